#include "dashboard_page.hpp"

namespace asyncscope {

// Stands in until the page lands.
std::string_view dashboard_page() {
  return "<!doctype html><title>asyncscope</title><p>dashboard coming</p>";
}

}  // namespace asyncscope
