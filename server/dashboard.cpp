#include "dashboard.hpp"

#include "allowed_host.hpp"
#include "awaitable_result.hpp"
#include "dashboard_events.hpp"
#include "dashboard_spawn.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <optional>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto tick_interval = 100ms;
constexpr std::size_t events_per_slice = 256;
// The table of requests in flight: refreshed every third tick, its oldest rows only.
constexpr int ticks_per_requests_table = 3;
constexpr std::size_t requests_in_table = 20;
// Timing cards ride along only in a tick whose other events are lighter than this; they and the
// table go only to viewers less than this behind: a page that falls behind loses its cards and
// its table first, so that they never push it past its 256 KiB of room (docs/dashboard.md).
constexpr std::size_t timing_room_bytes = 64 * 1024;
// Connections the dashboard's port takes besides its viewers: page loads and fire clicks,
// short-lived. Past this, new connections are closed at once.
constexpr int spare_connections = 64;
// --classroom: connections one laptop may hold at once (a browser opens up to six per host), so
// that one student cannot take the room's slots. The server's own machine has no such limit.
constexpr int connections_per_student = 6;

// The peer's address, an IPv4 one mapped into IPv6 unwrapped; nothing when it already left.
std::optional<asio::ip::address> peer_address(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto address = socket.remote_endpoint(ec).address();
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

encoded_events encoded(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

const encoded_events& stream_head() {
  static const auto head =
      encoded("HTTP/1.1 200 OK\r\nServer: asyncscope/" ASYNCSCOPE_VERSION
              "\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
  return head;
}

const encoded_events& live_marker() {
  static const auto live = encoded(live_event());
  return live;
}

}  // namespace

dashboard::dashboard(tcp::acceptor acceptor, dashboard_config config, dashboard_sources sources)
    : acceptor_(std::move(acceptor)),
      config_(config),
      sources_(std::move(sources)),
      viewers_(config.viewers),
      fire_(acceptor_.get_executor(), config.fire_at, config.fire, sources_.draining),
      site_{.loopback_only = acceptor_.local_endpoint().address().is_loopback(),
            .teacher_token = config.teacher_token,
            .limits = config.limits,
            .viewers = viewers_,
            .fire = fire_,
            .stream_start = [this] { return stream_start(); },
            .draining = sources_.draining,
            .fired = [this](const fire_route& fire) { publish_batch(fire); }} {}

std::string dashboard::url() const {
  const auto bound = acceptor_.local_endpoint();
  const auto address = bound.address().to_string();
  return fmt::format("http://{}:{}/", bound.address().is_v6() ? "[" + address + "]" : address,
                     bound.port());
}

void dashboard::start() {
  const auto executor = acceptor_.get_executor();
  asio::co_spawn(executor, accept_connections(), log_what_escaped("the dashboard's listener"));
  asio::co_spawn(executor, tick_every_100ms(), log_what_escaped("the dashboard's tick"));
}

// Each connection gets its own session; past max viewers + spare_connections, none. With
// --classroom, one student's laptop gets connections_per_student at most, and the teacher's
// machine (loopback) is never turned away.
awaitable<void> dashboard::accept_connections() {
  const bool classroom = !config_.teacher_token.empty();
  const int max_open = viewers_.max_viewers() + spare_connections;
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(as_result);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      spdlog::warn("WARN dashboard: accept failed: {}", ec.message());
      asio::steady_timer pause{acceptor_.get_executor(), 50ms};  // instead of spinning
      co_await pause.async_wait(as_result);
      continue;
    }
    const auto peer = peer_address(socket);
    if (!peer) continue;
    const bool teachers_machine = classroom && peer->is_loopback();
    if (classroom && !teachers_machine && connections_from_[*peer] >= connections_per_student) {
      spdlog::warn(
          "WARN dashboard: {} already has {} connections open (--classroom); closing a "
          "new one",
          peer->to_string(), connections_per_student);
      continue;  // the socket closes as it goes out of scope
    }
    const bool full = open_connections_ >= max_open && !teachers_machine;
    if (full != at_connection_cap_) {
      at_connection_cap_ = full;
      if (full) {
        spdlog::warn("WARN dashboard: {} connections open; new ones are closed until some close",
                     max_open);
      }
    }
    if (full) continue;  // the socket closes as it goes out of scope
    ++open_connections_;
    ++connections_from_[*peer];
    asio::co_spawn(acceptor_.get_executor(),
                   dashboard_session(beast::tcp_stream(std::move(socket)), site_),
                   log_what_escaped("a dashboard connection", [this, address = *peer] {
                     --open_connections_;
                     if (--connections_from_[address] == 0) connections_from_.erase(address);
                   }));
  }
}

awaitable<void> dashboard::tick_every_100ms() {
  asio::steady_timer timer{acceptor_.get_executor()};
  bool was_blocked = false;
  for (int tick = 1;; ++tick) {
    timer.expires_after(tick_interval);
    co_await timer.async_wait(as_result);
    co_await publish_feed();
    publish_status(was_blocked);
    if (tick % ticks_per_requests_table == 0) publish_requests_in_flight();
    // Timing cards and the table are made only while a page can show them.
    sources_.feed.set_watched(measures_timing() && viewers_.count() > 0);
  }
}

// What the loop, the pool and the watchdog reported since the last tick, to history and
// viewers. A burst can bring thousands; they are encoded a slice at a time, letting the
// dashboard's connections run in between, so a page that opens meanwhile is not kept waiting.
awaitable<void> dashboard::publish_feed() {
  const double now = unix_seconds_now();
  const auto events = sources_.feed.take();
  const auto timings = sources_.feed.take_timings();
  const std::span<const feed_event> all{events};
  std::size_t bytes = 0;
  for (std::size_t at = 0; at < all.size(); at += events_per_slice) {
    if (at > 0) co_await asio::post(acceptor_.get_executor(), asio::use_awaitable);
    const auto text =
        encoded(feed_events(all.subspan(at, std::min(events_per_slice, all.size() - at))));
    bytes += text->size();
    history_.add(now, text);
    viewers_.publish(text);
  }
  if (!timings.empty() && bytes <= timing_room_bytes) {
    const auto text = encoded(timing_events(timings));
    history_.add(now, text);
    viewers_.publish(text, timing_room_bytes);
  }
}

// The oldest requests in flight and what each is doing, to every viewer; not kept in the
// history (a page opened later wants the table as it is then). Read here, on the dashboard's
// thread, so it keeps coming while the loop is blocked.
void dashboard::publish_requests_in_flight() {
  if (!measures_timing() || viewers_.count() == 0) return;
  auto [requests, total] = sources_.in_flight(requests_in_table);
  viewers_.publish(encoded(requests_event(std::move(requests), total)), timing_room_bytes);
}

// The status, to every viewer. The history keeps it only while a loop is blocked (and the one
// that says it is free again): that is what a new page needs to shade the blocked stretches.
void dashboard::publish_status(bool& was_blocked) {
  const double now = unix_seconds_now();
  const auto figures = sources_.figures();
  const auto status = encoded(status_event(figures));
  const bool blocked = any_loop_blocked(figures);
  if (blocked || was_blocked) history_.add(now, status);
  was_blocked = blocked;
  viewers_.publish(status);
  viewers_.drop_stuck();
  viewers_.watch_for_stalls();
  if (sources_.draining()) fire_.drop_queued("the server is shutting down");
}

// A page fired a batch: every page (the class's too) starts counting it. Kept in the history,
// so a page that opens during the batch counts it as well.
void dashboard::publish_batch(const fire_route& fire) {
  const auto batch = encoded(batch_event(fire.lesson.path, fire.count, sources_.figures()));
  history_.add(unix_seconds_now(), batch);
  viewers_.publish(batch);
}

// What a new viewer gets before the live events: the response head, hello, the history, the
// end-of-history marker and the figures as they are now.
std::vector<encoded_events> dashboard::stream_start() const {
  std::vector<encoded_events> start{
      stream_head(),
      encoded(hello_event(sources_.figures(), config_.block_warn, history_seconds,
                          config_.teacher_token.empty() ? who_fires::anyone : who_fires::teacher,
                          measures_timing()))};
  for (auto& past : history_.all()) start.push_back(std::move(past));
  start.push_back(live_marker());
  // The figures now, so the page shows the badge at once instead of at the next tick.
  start.push_back(encoded(status_event(sources_.figures())));
  return start;
}

}  // namespace asyncscope
