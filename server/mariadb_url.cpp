#include "mariadb_url.hpp"

#include <fmt/format.h>
#include <boost/url/parse.hpp>

#include <charconv>

namespace asyncscope {

namespace {

constexpr std::string_view expected_form = "mariadb://USER:PASSWORD@HOST:PORT/DATABASE";

// The text itself is not repeated: it may hold a password.
std::string problem(std::string_view what) {
  return fmt::format("not a database URL: {}; expected {}", what, expected_form);
}

}  // namespace

std::string mariadb_url::without_password() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("mariadb://{}:***@{}{}{}:{}/{}", user, ipv6 ? "[" : "", host, ipv6 ? "]" : "",
                     port, database);
}

std::variant<mariadb_url, std::string> parse_mariadb_url(std::string_view text) {
  const auto url = boost::urls::parse_uri(text);
  if (!url) return problem(url.error().message());
  if (url->scheme() != "mariadb" && url->scheme() != "mysql") {
    return problem(
        fmt::format("the scheme must be mariadb, not '{}'", std::string_view(url->scheme())));
  }
  mariadb_url result;
  result.user = url->user();
  result.password = url->password();
  if (result.user.empty()) return problem("it names no user");
  result.host = url->host_address();
  if (result.host.empty()) return problem("it names no host");
  if (url->has_port()) {
    const std::string_view port = url->port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value < 1 || value > 65535) {
      return problem(fmt::format("the port must be from 1 to 65535, not '{}'", port));
    }
    result.port = static_cast<unsigned short>(value);
  }
  const std::string path = url->path();
  if (path.size() < 2 || path.find('/', 1) != std::string::npos) {
    return problem("its path must be one database name, as in /demo");
  }
  result.database = path.substr(1);
  if (url->has_query() || url->has_fragment()) {
    return problem("it takes no ?query or #fragment");
  }
  return result;
}

}  // namespace asyncscope
