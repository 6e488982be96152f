#pragma once
// What every connection, the dashboard and /metrics share.

#include "http_limits.hpp"
#include "loop_watch.hpp"
#include "metrics.hpp"
#include "request_feed.hpp"
#include "routes.hpp"
#include "worker_pool.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace asyncscope {

struct server_state {
  sleep_limits limits;
  http_limits http;
  boost::asio::any_io_executor event_loop;
  int loop_threads = 1;
  worker_pool& pool;
  loop_watch& loops;
  request_feed& feed;
  request_metrics& metrics;
  unsigned short dashboard_port = 0;  // GET / on the main port redirects there
  std::atomic<std::uint64_t> last_request_id{0};
  std::atomic<int> requests_in_flight{0};  // read and not yet answered
  std::atomic<int> open_connections{0};
  std::atomic<std::uint64_t> turned_away{0};  // connections refused at --max-connections
  std::atomic<bool> at_connection_cap{false};
  std::atomic<bool> draining{false};  // shutting down: answer, then close
};

// The counters so far plus the gauges as they are now.
inline metrics_snapshot current_metrics(const server_state& server) {
  auto s = server.metrics.snapshot();
  s.in_flight = server.requests_in_flight;
  s.open_connections = server.open_connections;
  s.turned_away = server.turned_away;
  s.pool_threads = server.pool.size();
  s.pool_queued = server.pool.queued();
  s.pool_busy = server.pool.busy();
  s.loops = server.loops.report();
  return s;
}

}  // namespace asyncscope
