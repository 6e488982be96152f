#pragma once
// What every connection and /metrics share: the configuration, fixed before the first
// connection; the services the handlers use; and the counters the HTTP layer keeps.

#include "flight_recorder.hpp"
#include "http_limits.hpp"
#include "idle_connections.hpp"
#include "loop_watch.hpp"
#include "metrics.hpp"
#include "request_feed.hpp"
#include "requests_in_flight.hpp"
#include "routes.hpp"
#include "worker_pool.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <string>

namespace asyncscope {

class todo_backend;

// Decided at start, from the flags; never changed after (see docs/reference.md for each flag).
struct server_config {
  sleep_limits limits;
  http_limits http;
  int loop_threads = 1;
  bool loopback_only = true;  // listening on loopback alone: only loopback Host names are ours
  unsigned short dashboard_port = 0;  // where GET / sends a browser; 0: no dashboard
  bool test_routes = false;           // --test-routes: routes that exist only for the tests
  bool timing = true;  // --timing: each request's time split, GET /requests, the flight recorder
};

// Counted by the HTTP layer; read by /metrics, the dashboard and shutdown.
struct server_counters {
  std::atomic<std::uint64_t> last_request_id{0};
  std::atomic<int> requests_in_flight{0};  // read and not yet answered
  std::atomic<int> open_connections{0};
  // Accepted (on the acceptor thread) and handed to the loop, which has not started on them yet:
  // while the loop is blocked, they queue here.
  std::atomic<int> sessions_not_started{0};
  std::atomic<int> connections_unread{0};     // accepted, their first request not read yet
  std::atomic<int> turning_away{0};           // over the cap, being told so
  std::atomic<std::uint64_t> turned_away{0};  // connections refused at --max-connections
  std::atomic<bool> at_connection_cap{false};
  std::atomic<bool> draining{false};  // shutting down: answer, then close
};

struct server_state {
  const server_config config;
  boost::asio::any_io_executor event_loop;
  worker_pool& pool;
  loop_watch& loops;
  request_feed& feed;
  request_metrics& metrics;
  todo_backend* todo = nullptr;  // the database lesson's ToDo routes (todo_http.hpp); always set
  requests_in_flight& requests;  // GET /requests
  flight_recorder& recorder;     // GET /trace, and whom each request waited behind
  idle_connections& idle;        // kept-alive connections between two requests
  server_counters counters{};
};

// The counters so far plus the gauges as they are now.
inline metrics_snapshot current_metrics(const server_state& server) {
  auto s = server.metrics.snapshot();
  s.in_flight = server.counters.requests_in_flight;
  s.last_request_id = server.counters.last_request_id;
  s.open_connections = server.counters.open_connections;
  s.connections_unread = server.counters.connections_unread;
  s.turned_away = server.counters.turned_away;
  s.pool_threads = server.pool.size();
  s.pool_queued = server.pool.queued();
  s.pool_busy = server.pool.busy();
  s.loops = server.loops.report();
  return s;
}

}  // namespace asyncscope
