#include "http_framing.hpp"

#include "allowed_host.hpp"

#include <fmt/format.h>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <cctype>

namespace asyncscope {

namespace http = boost::beast::http;

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

route_error refusal(http::status status, std::string error, std::string detail) {
  return {status, std::move(error), std::move(detail)};
}

// Transfer-Encoding decides where the body ends. Unless its last coding is chunked, nothing
// does, and whatever follows would be read as the next request (request smuggling).
std::optional<route_error> check_transfer_encoding(const http::request_header<>& head) {
  const auto fields = head.equal_range(http::field::transfer_encoding);
  if (fields.first == fields.second) return std::nullopt;
  if (head.version() < 11) {
    return refusal(http::status::bad_request, "bad_framing",
                   "Transfer-Encoding is not allowed in an HTTP/1.0 request");
  }
  if (head.count(http::field::content_length) > 0) {
    return refusal(http::status::bad_request, "bad_framing",
                   "a request may not have both Content-Length and Transfer-Encoding");
  }
  std::string last;
  bool other_than_chunked = false;
  for (auto f = fields.first; f != fields.second; ++f) {
    for (const auto& coding : http::token_list{f->value()}) {
      last = std::string(coding);
      if (!equals_ignoring_case(coding, "chunked")) other_than_chunked = true;
    }
  }
  if (!equals_ignoring_case(last, "chunked")) {
    return refusal(http::status::bad_request, "bad_framing",
                   "Transfer-Encoding must end in chunked, or the body has no end");
  }
  if (other_than_chunked) {
    return refusal(http::status::not_implemented, "unsupported_transfer_coding",
                   "only the chunked transfer coding is supported");
  }
  return std::nullopt;
}

// Host names the server the client meant. Bound to loopback, a foreign name means a page
// elsewhere is reaching in through the browser (DNS rebinding).
std::optional<route_error> check_host(const http::request_header<>& head, bool loopback_only) {
  const auto hosts = head.count(http::field::host);
  if (hosts > 1) {
    return refusal(http::status::bad_request, "bad_host", "more than one Host header");
  }
  if (hosts == 0 && head.version() >= 11) {
    return refusal(http::status::bad_request, "missing_host", "an HTTP/1.1 request needs Host");
  }
  const auto authority = target_authority(head.target());
  const std::string_view host =
      authority.empty() ? std::string_view(head[http::field::host]) : authority;
  if (host.empty() && head.version() < 11) return std::nullopt;  // HTTP/1.0 may leave it out
  if (!host_allowed(host, loopback_only)) {
    return refusal(http::status::misdirected_request, "foreign_host",
                   fmt::format("this server answers only to loopback names (localhost, "
                               "127.0.0.1, [::1]), not '{}'",
                               host));
  }
  return std::nullopt;
}

bool has_body(const http::request_header<>& head) {
  if (head.count(http::field::transfer_encoding) > 0) return true;
  const auto length = head[http::field::content_length];
  return !length.empty() && length != "0";
}

}  // namespace

head_verdict check_request_head(const http::request_header<>& head, bool loopback_only) {
  if (auto e = check_transfer_encoding(head)) return {std::move(e)};
  if (auto e = check_host(head, loopback_only)) return {std::move(e)};
  const auto expect = head[http::field::expect];
  if (expect.empty()) return {};
  if (!equals_ignoring_case(expect, "100-continue")) {
    return {refusal(http::status::expectation_failed, "unsupported_expectation",
                    fmt::format("the only expectation supported is 100-continue, not '{}'",
                                std::string_view(expect)))};
  }
  return {std::nullopt, head.version() >= 11 && has_body(head)};
}

}  // namespace asyncscope
