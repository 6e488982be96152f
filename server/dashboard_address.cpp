#include "dashboard_address.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace asyncscope {

namespace {

// The name part of a Host header: "[::1]:8000" -> "[::1]", "localhost:8000" -> "localhost";
// empty when it is not something a URL could carry back.
std::string_view host_name(std::string_view host_header) {
  const auto name = host_header.starts_with('[') ? host_header.substr(0, host_header.find(']') + 1)
                                                 : host_header.substr(0, host_header.find(':'));
  const bool usable = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':';
  });
  return usable ? name : std::string_view{};
}

}  // namespace

std::string dashboard_url(std::string_view host_header, unsigned short dashboard_port,
                          std::string_view fallback_host) {
  const auto name = host_name(host_header);
  return fmt::format("http://{}:{}/", name.empty() ? fallback_host : name, dashboard_port);
}

}  // namespace asyncscope
