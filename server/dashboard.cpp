#include "dashboard.hpp"

#include "awaitable_result.hpp"
#include "json_text.hpp"
#include "seconds.hpp"
#include "server_state.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto status_interval = 100ms;
constexpr std::size_t max_unsent_bytes = 4 * 1024 * 1024;  // a page that stopped reading

// One server-sent event: "event: io\ndata: {...}\n\n".
std::string sse(std::string_view name, const json::value& data) {
  return fmt::format("event: {}\ndata: {}\n\n", name, to_json_text(data));
}

std::string feed_text(const std::vector<feed_event>& events) {
  std::string text;
  for (const auto& e : events) {
    if (e.what == feed_event::kind::warning) {
      text += sse("warning", {{"text", e.text}, {"at", round_to_microseconds(e.at)}});
      continue;
    }
    text += sse("io", {{"phase", e.what == feed_event::kind::io_started ? "start" : "finish"},
                       {"id", e.request_id},
                       {"endpoint", e.endpoint},
                       {"thread", e.thread},
                       {"at", round_to_microseconds(e.at)}});
  }
  return text;
}

std::string status_text(const server_state& server) {
  const auto now = current_metrics(server);
  std::uint64_t requests_total = 0;
  for (const auto& [key, count] : now.requests) requests_total += count;
  json::array loops;
  for (const auto& loop : now.loops) {
    loops.push_back({{"thread", loop.thread},
                     {"blocked_now", round_to_microseconds(loop.blocked_now)},
                     {"blocked_by", loop.blocked_by},
                     {"blocked_total", round_to_microseconds(loop.blocked_total)}});
  }
  return sse(
      "status",
      {{"at", round_to_microseconds(unix_seconds_now())},
       {"in_flight", now.in_flight},
       {"requests_total", requests_total},
       {"pool",
        {{"busy", now.pool_busy}, {"queued", now.pool_queued}, {"threads", now.pool_threads}}},
       {"loops", std::move(loops)}});
}

std::string hello_text(const server_state& server) {
  json::array loop_threads;
  for (const auto& loop : server.loops.report()) loop_threads.push_back(json::string(loop.thread));
  return sse("hello", {{"pid", getpid()},
                       {"loop_threads", std::move(loop_threads)},
                       {"pool_threads", server.pool.size()},
                       {"block_warn_ms", server.loops.warn_after().count()},
                       {"now", round_to_microseconds(unix_seconds_now())}});
}

}  // namespace

// One open page: what is still to be sent to it, and a timer that wakes its writer.
struct dashboard::event_stream {
  explicit event_stream(tcp::socket s)
      : socket(std::move(s)), wake(socket.get_executor(), asio::steady_timer::time_point::max()) {}
  tcp::socket socket;
  asio::steady_timer wake;
  std::string unsent;
  bool closed = false;
};

dashboard::dashboard(server_state& server) : server_(server) {}

dashboard::~dashboard() {
  stop_and_join();
}

void dashboard::start(tcp::endpoint server_address) {
  if (server_address.address().is_unspecified()) {  // bound to every interface: ask loopback
    server_address.address(server_address.address().is_v6()
                               ? asio::ip::address(asio::ip::address_v6::loopback())
                               : asio::ip::address(asio::ip::address_v4::loopback()));
  }
  server_address_ = server_address;
  asio::co_spawn(thread_.context(), broadcast(), asio::detached);
  thread_.start();
}

void dashboard::stop_and_join() {
  thread_.stop_and_join();
}

void dashboard::adopt_event_stream(tcp::socket socket) {
  // The socket moves from the loop's io_context to the dashboard's, by its file descriptor.
  const auto protocol = socket.local_endpoint().protocol();
  tcp::socket moved{thread_.context(), protocol, socket.release()};
  auto stream = std::make_shared<event_stream>(std::move(moved));
  asio::post(thread_.context(), [this, stream] {
    stream->unsent =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Connection: keep-alive\r\n\r\n" +
        hello_text(server_);
    streams_.push_back(stream);
    asio::co_spawn(thread_.context(), stream_events(stream), asio::detached);
  });
}

// Every 100 ms: whatever the feed heard, then the status, to every open page. The feed is
// emptied even when no page is open, so a page opened later starts from now.
awaitable<void> dashboard::broadcast() {
  asio::steady_timer tick{co_await asio::this_coro::executor};
  for (;;) {
    tick.expires_after(status_interval);
    co_await tick.async_wait(as_result);
    std::erase_if(streams_, [](const auto& s) { return s->closed; });
    const auto events = server_.feed.take();
    if (streams_.empty()) continue;
    const auto text = feed_text(events) + status_text(server_);
    for (const auto& stream : streams_) {
      if (stream->unsent.size() > max_unsent_bytes) {
        stream->closed = true;  // it stopped reading; its writer gives up
        stream->socket.close();
      } else {
        stream->unsent += text;
      }
      stream->wake.cancel();
    }
  }
}

// Writes one page's stream until the page goes away.
awaitable<void> dashboard::stream_events(std::shared_ptr<event_stream> stream) {
  std::string sending;
  while (!stream->closed) {
    if (stream->unsent.empty()) {
      co_await stream->wake.async_wait(as_result);
      continue;
    }
    sending.clear();
    sending.swap(stream->unsent);
    const auto [ec, _] =
        co_await asio::async_write(stream->socket, asio::buffer(sending), as_result);
    if (ec) stream->closed = true;
  }
}

void dashboard::fire(const fire_route& fire) {
  const auto target = lesson_target(fire.lesson);
  asio::post(thread_.context(), [this, target, count = fire.count] {
    for (int i = 0; i < count; ++i) {
      asio::co_spawn(thread_.context(), fire_one(target), asio::detached);
    }
  });
}

// One request, as the client would send it: its own connection, read the answer, close.
awaitable<void> dashboard::fire_one(std::string target) {
  beast::tcp_stream stream{co_await asio::this_coro::executor};
  stream.expires_after(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::duration<double>(server_.config.limits.max_sleep)) +
                       60s);
  if (const auto [ec] = co_await stream.async_connect(server_address_, as_result); ec) {
    spdlog::warn("dashboard: could not fire {}: {}", target, ec.message());
    co_return;
  }
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "asyncscope-dashboard");
  req.set(http::field::connection, "close");
  co_await http::async_write(stream, req, as_result);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  co_await http::async_read(stream, buffer, res, as_result);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace asyncscope
