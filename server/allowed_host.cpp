#include "allowed_host.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <string>

namespace asyncscope {

namespace {

// "Example.COM." -> "example.com": DNS names compare without case or a trailing dot.
std::string canonical_name(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  return lower;
}

// The host part of a Host header: "[::1]:8000" -> "::1", "localhost:8000" -> "localhost".
std::string_view host_part(std::string_view host_header) {
  if (host_header.starts_with('[')) {
    const auto close = host_header.find(']');
    if (close == std::string_view::npos) return {};
    const auto rest = host_header.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return {};
    return host_header.substr(1, close - 1);
  }
  return host_header.substr(0, host_header.find(':'));
}

}  // namespace

bool is_loopback_host(std::string_view host_header) {
  const auto host = host_part(host_header);
  if (host == "127.0.0.1" || host == "localhost") return true;  // what local clients send, at once
  const auto name = canonical_name(host);
  if (name == "localhost" || name.ends_with(".localhost")) return true;  // RFC 6761
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(name, ec);
  return !ec && address.is_loopback();
}

}  // namespace asyncscope
