#pragma once
// The live dashboard's server side: its own listener, on its own port, served by its own
// thread (dashboard-0), never by the event loop it watches. So while /async-wrong freezes the
// loop, the page still opens, its stream still hears every 100 ms how long the loop has been
// blocked, and a page opened now gets the last minute of history at once.
//
// Every 100 ms the dashboard takes what the loop, the pool and the watchdog reported, encodes
// it once, keeps it in its history and queues it, shared, for every viewer. It fires the
// requests the page's buttons ask for. It reaches the rest of the server only through what it
// is given at construction: the feed, a function for the figures, and one for "shutting down".

#include "dashboard_history.hpp"
#include "dashboard_http.hpp"
#include "dashboard_viewers.hpp"
#include "fire_sender.hpp"
#include "metrics.hpp"
#include "request_feed.hpp"
#include "routes.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>

namespace asyncscope {

struct dashboard_config {
  sleep_limits limits;  // what POST /fire may ask for
  std::chrono::milliseconds block_warn{100};
  viewer_limits viewers;
  fire_limits fire;
  boost::asio::ip::tcp::endpoint fire_at;  // the main port, where fired requests go
  // --classroom: a browser off this machine needs this token to fire; empty: no token asked.
  std::string teacher_token;
};

// The requests in flight now: GET /requests's body for the `most` oldest, and how many there
// are in all.
using requests_now_source =
    std::function<std::pair<boost::json::object, std::size_t>(std::size_t most)>;

// What the dashboard reads from the rest of the server; each may be called from its thread.
struct dashboard_sources {
  request_feed& feed;                         // requests' I/O and the detector's warnings
  std::function<metrics_snapshot()> figures;  // the server's counters and gauges, now
  std::function<bool()> draining;             // the server is shutting down
  requests_now_source in_flight{};  // empty when the server does not measure them (--timing off)
};

// How far back a page that opens now can see, and how much of it is kept.
inline constexpr double history_seconds = 60;
inline constexpr std::size_t history_bytes = 1024 * 1024;

class dashboard {
 public:
  // `acceptor` listens on the dashboard's port; its executor is the dashboard's thread, where
  // everything the dashboard does runs.
  dashboard(boost::asio::ip::tcp::acceptor acceptor, dashboard_config config,
            dashboard_sources sources);
  dashboard(const dashboard&) = delete;
  dashboard& operator=(const dashboard&) = delete;

  // "http://127.0.0.1:8001/": printed at start.
  std::string url() const;
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  // Starts accepting and the 100 ms tick, on the acceptor's executor (run it after this).
  void start();

 private:
  boost::asio::awaitable<void> accept_connections();
  boost::asio::awaitable<void> tick_every_100ms();
  boost::asio::awaitable<void> publish_feed();
  void publish_status(bool& was_blocked);
  void publish_requests_in_flight();
  void publish_batch(const fire_route& fire);
  std::vector<encoded_events> stream_start() const;
  // Whether the server measures its requests (--timing): then pages get cards and the table.
  bool measures_timing() const { return static_cast<bool>(sources_.in_flight); }

  boost::asio::ip::tcp::acceptor acceptor_;
  dashboard_config config_;
  dashboard_sources sources_;
  event_history history_{history_seconds, history_bytes};
  event_viewers viewers_;
  fire_sender fire_;
  dashboard_site site_;
  int open_connections_ = 0;
  std::map<boost::asio::ip::address, int> connections_from_;  // open, per peer address
  bool at_connection_cap_ = false;
};

}  // namespace asyncscope
