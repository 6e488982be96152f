#include "dashboard_http.hpp"

#include "allowed_host.hpp"
#include "awaitable_result.hpp"
#include "dashboard_page.hpp"
#include "fire_guard.hpp"
#include "json_text.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <optional>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// A browser's requests to the dashboard are small and quick; anything else is cut short.
constexpr std::size_t max_header_bytes = 8 * 1024;
constexpr std::size_t max_body_bytes = 4 * 1024;  // a form post's body, at most
constexpr auto read_timeout = 10s;
constexpr auto write_timeout = 10s;

response text_response(http::status status, std::string_view content_type, std::string body) {
  response res{status, 11};
  res.set(http::field::server, "asyncscope/" ASYNCSCOPE_VERSION);
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response json_response(http::status status, const json::value& body) {
  return text_response(status, "application/json", to_json_text(body));
}

response error_response(http::status status, std::string_view error, std::string_view detail) {
  return json_response(status, {{"error", error}, {"detail", detail}});
}

// The page, with what keeps other sites from framing it: a page that put the dashboard in an
// invisible frame could make a visitor click its fire buttons (clickjacking).
response page_response() {
  auto res =
      text_response(http::status::ok, "text/html; charset=utf-8", std::string(dashboard_page()));
  res.set("Content-Security-Policy", "frame-ancestors 'none'");
  res.set("X-Frame-Options", "DENY");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

std::optional<std::string_view> header(const request& req, std::string_view name) {
  const auto found = req.find(name);
  if (found == req.end()) return std::nullopt;
  return std::string_view(found->value());
}

// A loopback peer, also as an IPv4 address mapped into IPv6 ("::ffff:127.0.0.1").
bool is_loopback_peer(const beast::tcp_stream& stream) {
  beast::error_code ec;
  const auto address = stream.socket().remote_endpoint(ec).address();
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

std::string peer_of(const beast::tcp_stream& stream) {
  beast::error_code ec;
  const auto peer = stream.socket().remote_endpoint(ec);
  return ec ? "a client that left" : fmt::format("{}:{}", peer.address().to_string(), peer.port());
}

// POST /fire: who sent it, whether the budget has room, then the requests are queued.
response fire_response(const request& req, const route& found, dashboard_site& site,
                       const std::string& peer, bool peer_is_loopback) {
  const auto refused = why_fire_is_refused({.host = req[http::field::host],
                                            .fire_header = header(req, fire_header_name),
                                            .origin = header(req, "Origin"),
                                            .fetch_site = header(req, "Sec-Fetch-Site"),
                                            .peer_is_loopback = peer_is_loopback,
                                            .token = header(req, fire_token_header_name)},
                                           site.teacher_token);
  if (refused) {
    spdlog::warn("WARN dashboard: POST /fire from {} refused (403): {}", peer, *refused);
    return error_response(http::status::forbidden, "fire_refused", *refused);
  }
  if (const auto* e = std::get_if<route_error>(&found)) {
    return error_response(e->status, e->error, e->detail);
  }
  const auto& fire = std::get<fire_route>(found);
  if (site.draining()) {
    auto res = error_response(http::status::service_unavailable, "shutting_down",
                              "the server is shutting down; it fires nothing more");
    res.set(http::field::retry_after, "1");
    return res;
  }
  if (const auto over = site.fire.fire(fire)) {
    spdlog::warn("WARN dashboard: POST /fire {} x {} refused (429): {}", fire.count,
                 lesson_target(fire.lesson), *over);
    auto res = error_response(http::status::too_many_requests, "fire_budget", *over);
    res.set(http::field::retry_after, "1");
    return res;
  }
  spdlog::info("dashboard: POST /fire from {}: {} x {} ({} s of {} s fire budget outstanding)",
               peer, fire.count, lesson_target(fire.lesson),
               decimal_text(site.fire.budget().outstanding()),
               decimal_text(site.fire.budget().total()));
  if (site.fired) site.fired(fire);
  return json_response(http::status::accepted,
                       {{"fired", fire.count},
                        {"endpoint", fire.lesson.path},
                        {"outstanding_seconds", site.fire.budget().outstanding()},
                        {"budget_seconds", site.fire.budget().total()}});
}

// Every request but GET /events, from its route to its response.
response answer(const request& req, const route& found, dashboard_site& site,
                const std::string& peer, bool peer_is_loopback) {
  const bool fire_path = std::string_view(route_label(found)) == "/fire";
  if (fire_path && req.method() == http::verb::post) {
    return fire_response(req, found, site, peer, peer_is_loopback);
  }
  if (const auto* which = std::get_if<watch_route>(&found)) {
    if (*which == watch_route::dashboard) return page_response();
    if (*which == watch_route::health) return json_response(http::status::ok, {{"status", "ok"}});
  }
  if (const auto* e = std::get_if<route_error>(&found);
      e && e->status == http::status::method_not_allowed) {
    // Never a CORS answer: an OPTIONS preflight from another site gets no Access-Control-*.
    auto res = error_response(e->status, e->error, e->detail);
    res.set(http::field::allow, fire_path ? "POST" : "GET");
    return res;
  }
  return error_response(
      http::status::not_found, "not_found",
      fmt::format("the dashboard's port serves GET /, GET /events and POST /fire; the lesson's "
                  "endpoints and /metrics are on the server's main port"));
}

// The reason a request could not be read, for the client; nothing when it sent nothing.
std::optional<response> unreadable(beast::error_code ec, bool got_some) {
  if (!got_some || ec == beast::error::timeout) return std::nullopt;
  if (ec == http::error::header_limit) {
    return error_response(http::status::request_header_fields_too_large, "headers_too_large",
                          fmt::format("request headers exceed {} bytes", max_header_bytes));
  }
  if (ec == http::error::body_limit) {
    return error_response(http::status::payload_too_large, "body_too_large",
                          fmt::format("request body exceeds {} bytes", max_body_bytes));
  }
  return error_response(http::status::bad_request, "bad_request",
                        fmt::format("could not read the HTTP request: {}", ec.message()));
}

awaitable<void> send(beast::tcp_stream& stream, response res, bool keep_alive) {
  res.keep_alive(keep_alive);
  stream.expires_after(write_timeout);
  co_await http::async_write(stream, res, as_result);
}

// Answers requests until the connection closes (nothing returned) or asks for GET /events and
// may have it: then the socket is returned, and with this coroutine go its buffer and parser,
// which a viewer that stays for an hour does not need.
awaitable<std::optional<tcp::socket>> answer_until_events(beast::tcp_stream& stream,
                                                          dashboard_site& site) {
  const auto peer = peer_of(stream);
  const bool peer_is_loopback = is_loopback_peer(stream);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(max_header_bytes);
    parser.body_limit(max_body_bytes);
    stream.expires_after(read_timeout);
    const auto [read_error, _] = co_await http::async_read(stream, buffer, parser, as_result);
    if (read_error) {
      if (auto res = unreadable(read_error, parser.got_some())) {
        co_await send(stream, std::move(*res), false);
      }
      co_return std::nullopt;
    }
    const auto& req = parser.get();
    const auto host = req[http::field::host];
    if (!host_allowed(host, site.loopback_only)) {
      spdlog::warn("WARN dashboard: {} {} from {} refused (421): Host '{}' is not a loopback name",
                   std::string_view(req.method_string()), std::string_view(req.target()), peer,
                   std::string_view(host));
      co_await send(stream,
                    error_response(http::status::misdirected_request, "foreign_host",
                                   "this dashboard listens on loopback and answers only "
                                   "loopback names in Host (localhost, 127.0.0.1, [::1])"),
                    false);
      co_return std::nullopt;
    }
    const auto found = find_route(req.method(), req.target(), site.limits);
    const auto* which = std::get_if<watch_route>(&found);
    if (which && *which == watch_route::events) {
      // With --classroom, the teacher's own machine always gets to watch, whoever else does.
      const bool teachers_machine = !site.teacher_token.empty() && peer_is_loopback;
      if (site.viewers.make_room() || teachers_machine) {
        stream.expires_never();
        co_return stream.release_socket();
      }
      spdlog::info("dashboard: {} turned away: {} viewers already (--max-viewers)", peer,
                   site.viewers.max_viewers());
      auto res = error_response(
          http::status::service_unavailable, "too_many_viewers",
          fmt::format("{} pages already watch this server (--max-viewers); try again shortly",
                      site.viewers.max_viewers()));
      res.set(http::field::retry_after, "1");
      co_await send(stream, std::move(res), false);
      co_return std::nullopt;
    }
    const bool keep_alive = req.keep_alive();
    auto res = answer(req, found, site, peer, peer_is_loopback);
    res.version(req.version());
    co_await send(stream, std::move(res), keep_alive);
    if (!keep_alive) co_return std::nullopt;
  }
}

}  // namespace

awaitable<void> dashboard_session(beast::tcp_stream stream, dashboard_site& site) {
  auto viewer = co_await answer_until_events(stream, site);
  if (viewer) co_await site.viewers.serve(std::move(*viewer), site.stream_start());
}

}  // namespace asyncscope
