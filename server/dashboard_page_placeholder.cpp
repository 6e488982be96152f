#include "dashboard_page.hpp"

namespace asyncscope {

// Stands in until the page lands.
std::string_view dashboard_page() {
  return "<!doctype html><html><title>asyncscope</title><p>dashboard coming</p></html>";
}

}  // namespace asyncscope
