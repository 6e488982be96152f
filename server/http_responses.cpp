#include "http_responses.hpp"

#include "http_limits.hpp"
#include "json_text.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace asyncscope {

namespace http = boost::beast::http;
namespace json = boost::json;

http_response text_response(http::status status, std::string_view content_type, std::string body) {
  http_response res{status, 11};
  res.set(http::field::server, "asyncscope/" ASYNCSCOPE_VERSION);
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http_response json_response(http::status status, const json::value& body) {
  return text_response(status, "application/json", to_json_text(body));
}

http_response error_response(const route_error& e) {
  auto res = json_response(e.status, json::value_from(error_body{e.error, e.detail}));
  if (e.status == http::status::method_not_allowed) res.set(http::field::allow, e.allowed);
  return res;
}

http_response busy_response(std::string error, std::string detail) {
  auto res =
      error_response({http::status::service_unavailable, std::move(error), std::move(detail)});
  res.set(http::field::retry_after, "1");
  return res;
}

http_response internal_error_response(std::uint64_t request_id, std::string_view what) {
  return json_response(
      http::status::internal_server_error,
      {{"error", "internal"},
       {"detail", fmt::format("the handler of request #{} failed: {}", request_id, what)},
       {"request_id", request_id}});
}

http_response unreadable_request_response(boost::beast::error_code ec, const http_limits& limits) {
  if (ec == http::error::header_limit) {
    return error_response({http::status::request_header_fields_too_large, "headers_too_large",
                           fmt::format("request headers exceed {} bytes (--max-header-bytes)",
                                       limits.max_header_bytes)});
  }
  if (ec == http::error::body_limit) {
    return error_response(
        {http::status::payload_too_large, "body_too_large",
         fmt::format("request body exceeds {} bytes (--max-body-bytes)", limits.max_body_bytes)});
  }
  return error_response({http::status::bad_request, "bad_request",
                         fmt::format("could not read the HTTP request: {}", ec.message())});
}

http_response redirect_response(std::string location) {
  auto res = json_response(http::status::temporary_redirect,
                           {{"dashboard", location}});
  res.set(http::field::location, location);
  return res;
}

}  // namespace asyncscope
