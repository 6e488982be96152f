#include "fire_guard.hpp"

#include <fmt/format.h>
#include <boost/algorithm/string/predicate.hpp>

namespace asyncscope {

std::optional<std::string> why_fire_is_refused(const fire_request_origin& request) {
  if (request.fire_header != "1") {
    return fmt::format(
        "POST /fire needs the header {}: 1, which the dashboard page sets (a page on another "
        "site cannot)",
        fire_header_name);
  }
  if (request.fetch_site && *request.fetch_site != "same-origin" && *request.fetch_site != "none") {
    return fmt::format("POST /fire comes only from the dashboard's own page (Sec-Fetch-Site: {})",
                       *request.fetch_site);
  }
  if (request.origin) {
    const auto own = fmt::format("http://{}", request.host);
    if (request.host.empty() || !boost::algorithm::iequals(*request.origin, own)) {
      return fmt::format("POST /fire comes only from the dashboard's own page ({}), not from {}",
                         own, *request.origin);
    }
  }
  return std::nullopt;
}

}  // namespace asyncscope
