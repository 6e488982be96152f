#include "trace_fetch.hpp"

#include "awaitable_result.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cmath>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// A minute of a busy server is tens of megabytes.
constexpr std::uint64_t max_trace_bytes = 512ull << 20;

// The error body's detail, if it is the server's JSON error; else the status alone.
std::string error_of(const http::response<http::string_body>& res) {
  std::string text = fmt::format("HTTP {}", res.result_int());
  boost::system::error_code ec;
  const auto body = boost::json::parse(res.body(), ec);
  if (!ec && body.is_object() && body.as_object().contains("detail") &&
      body.as_object().at("detail").is_string()) {
    text += fmt::format(": {}", std::string_view(body.as_object().at("detail").as_string()));
  }
  return text;
}

asio::awaitable<fetched_trace> fetch(const std::string& host, unsigned short port, double seconds,
                                     std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver{executor};
  const auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(host, std::to_string(port), as_result);
  if (resolve_error) co_return fetched_trace{.error = resolve_error.message()};
  beast::tcp_stream stream{executor};
  stream.expires_after(timeout);
  if (const auto [ec, _] = co_await stream.async_connect(endpoints, as_result); ec) {
    co_return fetched_trace{.error = ec.message()};
  }
  http::request<http::empty_body> req{http::verb::get,
                                      fmt::format("/trace?seconds={}", decimal_text(seconds)), 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "asyncscope-client " ASYNCSCOPE_VERSION);
  req.keep_alive(false);
  if (const auto [ec, _] = co_await http::async_write(stream, req, as_result); ec) {
    co_return fetched_trace{.error = ec.message()};
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_trace_bytes);
  if (const auto [ec, _] = co_await http::async_read(stream, buffer, parser, as_result); ec) {
    co_return fetched_trace{.error = ec.message()};
  }
  auto res = parser.release();
  if (res.result() != http::status::ok) co_return fetched_trace{.error = error_of(res)};
  co_return fetched_trace{.ok = true, .body = std::move(res.body())};
}

}  // namespace

fetched_trace fetch_trace(const std::string& host, unsigned short port, double seconds,
                          double timeout_seconds) {
  asio::io_context context;
  fetched_trace result{.error = "not fetched"};
  asio::co_spawn(
      context,
      fetch(host, port, seconds, std::chrono::milliseconds(std::llround(timeout_seconds * 1000))),
      [&result](std::exception_ptr escaped, fetched_trace fetched) {
        if (escaped) {
          try {
            std::rethrow_exception(escaped);
          } catch (const std::exception& e) {
            result.error = e.what();
          } catch (...) {
            result.error = "an exception that is not a std::exception";
          }
          return;
        }
        result = std::move(fetched);
      });
  context.run();
  return result;
}

}  // namespace asyncscope
