#pragma once
// The pages watching the server: one /events stream each, all written by the dashboard thread.
// Each tick's events are encoded once and queued, shared, for every viewer, so a thousand
// viewers cost a thousand queues of pointers, not a thousand copies. A viewer that stops reading
// is dropped once it is more than a bound behind; when every slot is taken, the stalled viewer
// furthest behind makes room for a new one. Used on the dashboard thread only.

#include "dashboard_history.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

namespace asyncscope {

struct viewer_limits {
  int max_viewers = 100;                      // --max-viewers; beyond: 503, or a stalled one goes
  std::size_t max_behind_bytes = 256 * 1024;  // queued and unsent live events; beyond: dropped
  // A write that waited this long, or bytes left unread in the kernel this long: the page
  // stopped reading. Such a viewer may be dropped to make room for a new one.
  std::chrono::milliseconds stalled_after{1'000};
  std::chrono::milliseconds write_timeout{30'000};  // a write that waited this long: dropped
};

class event_viewers {
 public:
  explicit event_viewers(viewer_limits limits) : limits_(limits) {}
  event_viewers(const event_viewers&) = delete;
  event_viewers& operator=(const event_viewers&) = delete;

  // Whether one more viewer may come in: below --max-viewers, or else after dropping the
  // stalled viewer furthest behind. False: every slot is held by a viewer that still reads.
  bool make_room();

  // Writes `first` (the response head, hello and the history), then everything published,
  // until the viewer leaves or is dropped. Call make_room() first.
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket,
                                     std::vector<encoded_events> first);

  // Queues `events` for every viewer, dropping those more than max_behind_bytes behind. Those
  // more than `skip_if_behind` bytes behind, here and in the kernel, do not get them: what a
  // page can do without (the timing cards) must never be what pushes it out.
  void publish(const encoded_events& events,
               std::size_t skip_if_behind = std::numeric_limits<std::size_t>::max());

  // Drops the viewers whose write has waited longer than write_timeout.
  void drop_stuck();

  // Called every tick: while every slot is taken, notes which viewers leave bytes unread in
  // the kernel, so that make_room() knows a stalled viewer before its writes start waiting.
  void watch_for_stalls();

  int count() const { return static_cast<int>(viewers_.size()); }
  int max_viewers() const { return limits_.max_viewers; }

 private:
  struct viewer;
  boost::asio::awaitable<void> write_until_dropped(viewer& v);
  void drop(viewer& v, std::string_view why);
  void forget_dropped();

  viewer_limits limits_;
  std::vector<std::shared_ptr<viewer>> viewers_;
};

}  // namespace asyncscope
