#include "dashboard_viewers.hpp"

#include "platform.hpp"

#include "awaitable_result.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <deque>
#include <optional>

namespace asyncscope {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

// The kernel may hold this much of a viewer's stream; more waits in the viewer's queue, where
// it counts as behind. (Left alone, Linux grows a socket's buffer to megabytes per viewer.)
constexpr int socket_send_buffer = 32 * 1024;  // Linux doubles it: 64 KiB
// Pieces sent with one write: a new viewer's history goes out in a few writes, not hundreds.
constexpr std::size_t pieces_per_write = 64;

std::string peer_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  return ec ? std::string("a viewer that left")
            : fmt::format("{}:{}", peer.address().to_string(), peer.port());
}

}  // namespace

struct event_viewers::viewer {
  explicit viewer(tcp::socket s)
      : socket(std::move(s)),
        peer(peer_of(socket)),
        wake(socket.get_executor(), clock::time_point::max()) {}
  struct piece {
    encoded_events events;
    bool live;  // counts as behind; the history a viewer starts with does not
  };
  tcp::socket socket;
  std::string peer;
  asio::steady_timer wake;  // cancelled when there is something to send
  std::deque<piece> queue;
  std::size_t behind = 0;  // live bytes queued or being written
  bool writing = false;
  clock::time_point writing_since{};
  // Since when the kernel has held bytes the page did not take, seen at every tick while the
  // slots are all taken; unset while it keeps up.
  std::optional<clock::time_point> unread_since;
  bool dropped = false;

  // Stopped reading: a write has waited this long, or the kernel has held unread bytes for it.
  bool stalled_for(clock::time_point now, clock::duration at_least) const {
    return (writing && now - writing_since >= at_least) ||
           (unread_since && now - *unread_since >= at_least);
  }
};

namespace {

// Bytes the kernel holds for this socket that the peer has not acknowledged: a page that reads
// takes them within a round trip; one that stopped reading leaves them there.
int unread_in_kernel(tcp::socket& socket) {
  return platform::unsent_bytes(socket.native_handle());
}

}  // namespace

void event_viewers::watch_for_stalls() {
  if (count() < limits_.max_viewers) return;  // only needed to make room
  const auto now = clock::now();
  for (const auto& v : viewers_) {
    if (unread_in_kernel(v->socket) == 0) {
      v->unread_since.reset();
    } else if (!v->unread_since) {
      v->unread_since = now;
    }
  }
}

bool event_viewers::make_room() {
  if (count() < limits_.max_viewers) return true;
  const auto now = clock::now();
  viewer* furthest = nullptr;
  for (const auto& v : viewers_) {
    if (v->stalled_for(now, limits_.stalled_after) && (!furthest || v->behind > furthest->behind)) {
      furthest = v.get();
    }
  }
  if (!furthest) return false;
  drop(*furthest, fmt::format("it stopped reading and all {} viewer slots are taken "
                              "(--max-viewers): making room for a new viewer",
                              limits_.max_viewers));
  forget_dropped();
  return true;
}

awaitable<void> event_viewers::serve(tcp::socket socket, std::vector<encoded_events> first) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::send_buffer_size(socket_send_buffer), ignored);
  auto v = std::make_shared<viewer>(std::move(socket));
  for (auto& events : first) v->queue.push_back({std::move(events), false});
  viewers_.push_back(v);
  spdlog::info("dashboard: {} opened the event stream ({} of {} viewers, --max-viewers)", v->peer,
               count(), limits_.max_viewers);
  co_await write_until_dropped(*v);
  if (!v->dropped) drop(*v, "");
  forget_dropped();
}

awaitable<void> event_viewers::write_until_dropped(viewer& v) {
  std::vector<encoded_events> sending;
  std::vector<asio::const_buffer> buffers;
  while (!v.dropped) {
    if (v.queue.empty()) {
      co_await v.wake.async_wait(as_result);
      continue;
    }
    sending.clear();
    buffers.clear();
    std::size_t live_bytes = 0;
    while (!v.queue.empty() && sending.size() < pieces_per_write) {
      auto& piece = v.queue.front();
      if (piece.live) live_bytes += piece.events->size();
      buffers.push_back(asio::buffer(*piece.events));
      sending.push_back(std::move(piece.events));
      v.queue.pop_front();
    }
    v.writing = true;
    v.writing_since = clock::now();
    const auto [ec, _] = co_await asio::async_write(v.socket, buffers, as_result);
    v.writing = false;
    v.behind -= live_bytes;
    if (ec) co_return;  // the page went away, or it was dropped (its socket closed)
  }
}

void event_viewers::publish(const encoded_events& events, std::size_t skip_if_behind) {
  for (const auto& v : viewers_) {
    if (v->dropped) continue;
    if (v->behind > limits_.max_behind_bytes) {
      drop(*v, fmt::format("{} KiB behind (more than {} KiB unsent): it stopped reading",
                           v->behind / 1024, limits_.max_behind_bytes / 1024));
      continue;
    }
    // Counting what its kernel still holds: a page that stopped reading fills that first.
    if (skip_if_behind != std::numeric_limits<std::size_t>::max() &&
        v->behind + static_cast<std::size_t>(std::max(0, unread_in_kernel(v->socket))) >
            skip_if_behind) {
      continue;
    }
    v->queue.push_back({events, true});
    v->behind += events->size();
    v->wake.cancel();
  }
  forget_dropped();
}

void event_viewers::drop_stuck() {
  const auto now = clock::now();
  for (const auto& v : viewers_) {
    if (!v->dropped && v->writing && now - v->writing_since > limits_.write_timeout) {
      drop(*v,
           fmt::format(
               "one write waited more than {} s",
               std::chrono::duration_cast<std::chrono::seconds>(limits_.write_timeout).count()));
    }
  }
  forget_dropped();
}

// Closing the socket ends the viewer's pending write; its coroutine then returns.
void event_viewers::drop(viewer& v, std::string_view why) {
  v.dropped = true;
  v.queue.clear();
  boost::system::error_code ignored;
  v.socket.shutdown(tcp::socket::shutdown_both, ignored);
  v.socket.close(ignored);
  v.wake.cancel();
  if (why.empty()) {
    spdlog::info("dashboard: {} closed the event stream", v.peer);
  } else {
    spdlog::warn("WARN dashboard: dropped the viewer {}: {}", v.peer, why);
  }
}

void event_viewers::forget_dropped() {
  std::erase_if(viewers_, [](const auto& v) { return v->dropped; });
}

}  // namespace asyncscope
