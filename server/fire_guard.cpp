#include "fire_guard.hpp"

#include "allowed_host.hpp"

#include <fmt/format.h>
#include <boost/algorithm/string/predicate.hpp>

#include <random>

namespace asyncscope {

std::optional<std::string> why_fire_is_refused(const fire_request_origin& request,
                                               std::string_view teacher_token) {
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
  if (teacher_token.empty()) return std::nullopt;
  if (request.peer_is_loopback && is_loopback_host(request.host)) return std::nullopt;
  if (!request.token) {
    return fmt::format(
        "--classroom: only the teacher fires; open the teacher's URL (with #token=) or the "
        "dashboard on the server's own machine");
  }
  if (!same_token(*request.token, teacher_token)) {
    return "--classroom: the token is not the teacher's (it is printed when the server starts)";
  }
  return std::nullopt;
}

bool same_token(std::string_view given, std::string_view expected) {
  unsigned differ = given.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    // Past the end of a shorter guess, compare with 0: the loop's length is always expected's.
    const auto guessed = i < given.size() ? static_cast<unsigned char>(given[i]) : 0U;
    differ |= guessed ^ static_cast<unsigned char>(expected[i]);
  }
  return differ == 0 && !expected.empty();
}

std::string new_fire_token() {
  std::random_device os_random;  // getrandom(2) on Linux, arc4random on macOS
  std::string token;
  for (int i = 0; i < 4; ++i) token += fmt::format("{:08x}", os_random());
  return token;
}

}  // namespace asyncscope
