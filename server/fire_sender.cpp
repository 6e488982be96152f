#include "fire_sender.hpp"

#include "awaitable_result.hpp"
#include "dashboard_spawn.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;

namespace {

// A server bound to every interface is asked on loopback.
tcp::endpoint on_loopback(tcp::endpoint server) {
  if (server.address().is_unspecified()) {
    server.address(server.address().is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                                            : asio::ip::address(asio::ip::address_v4::loopback()));
  }
  return server;
}

std::string host_header_of(const tcp::endpoint& server) {
  const auto address = server.address().to_string();
  return server.address().is_v6() ? fmt::format("[{}]:{}", address, server.port())
                                  : fmt::format("{}:{}", address, server.port());
}

}  // namespace

fire_sender::fire_sender(asio::any_io_executor executor, tcp::endpoint server, fire_limits limits,
                         std::function<bool()> draining)
    : executor_(std::move(executor)),
      server_(on_loopback(server)),
      host_header_(host_header_of(server_)),
      limits_(limits),
      draining_(std::move(draining)),
      budget_(limits.budget_seconds) {}

std::optional<std::string> fire_sender::fire(const fire_route& fire) {
  const double seconds = fire.count * fire.lesson.sleep;
  if (!budget_.try_take(seconds)) {
    return fmt::format(
        "{} × {} s is {} s of work; with {} s of fired work still outstanding that is more than "
        "the {} s the dashboard may have outstanding at once (fire budget); wait for some to "
        "finish",
        fire.count, decimal_text(fire.lesson.sleep), decimal_text(seconds),
        decimal_text(budget_.outstanding()), decimal_text(budget_.total()));
  }
  const auto target = lesson_target(fire.lesson);
  for (int i = 0; i < fire.count; ++i) queue_.push_back({target, fire.lesson.sleep});
  start_queued();
  return std::nullopt;
}

void fire_sender::drop_queued(std::string_view why) {
  if (queue_.empty()) return;
  spdlog::warn("WARN dashboard: {}: dropped {} fired request(s) not yet sent", why, queue_.size());
  for (const auto& p : queue_) budget_.give_back(p.seconds);
  queue_.clear();
}

// Sends from the queue while fewer than max_connections are open.
void fire_sender::start_queued() {
  if (draining_()) drop_queued("the server is shutting down");
  while (!queue_.empty() && running_ < limits_.max_connections) {
    auto next = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    asio::co_spawn(executor_, send(next.target),
                   log_what_escaped(fmt::format("fired request {}", next.target),
                                    [this, seconds = next.seconds] {
                                      --running_;
                                      budget_.give_back(seconds);
                                      start_queued();
                                    }));
  }
}

// One request, as the client would send it: its own connection, read the answer, close.
awaitable<void> fire_sender::send(std::string target) {
  beast::tcp_stream stream{executor_};
  // Behind a blocked loop the answer may take the whole budget; a little more for the rest.
  stream.expires_after(std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::duration<double>(std::max(limits_.budget_seconds, limits_.max_sleep) + 30)));
  if (const auto [ec] = co_await stream.async_connect(server_, as_result); ec) {
    spdlog::warn("WARN dashboard: could not fire {}: {}", target, ec.message());
    co_return;
  }
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host_header_);
  req.set(http::field::user_agent, "asyncscope-dashboard");
  req.set(http::field::connection, "close");
  if (const auto [ec, _] = co_await http::async_write(stream, req, as_result); ec) {
    spdlog::warn("WARN dashboard: could not fire {}: {}", target, ec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (const auto [ec, _] = co_await http::async_read(stream, buffer, res, as_result); ec) {
    spdlog::warn("WARN dashboard: fired {} but got no answer: {}", target, ec.message());
    co_return;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace asyncscope
