#pragma once

#include <chrono>
#include <cstddef>

namespace asyncscope {

// What one client may cost the server, from the flags (see --help for each).
struct http_limits {
  std::chrono::milliseconds read_timeout{10'000};       // for a request's header and body
  std::chrono::milliseconds keep_alive_timeout{5'000};  // idle, between two requests
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_header_bytes = 8 * 1024;  // beyond: 431
  std::size_t max_body_bytes = 64 * 1024;   // beyond: 413
  int max_connections = 10'000;             // beyond: 503 and close
  int max_pool_queue = 1'000;               // jobs waiting for a pool thread; beyond: 503
  // Connections over the cap that may wait for their 503 at once; past this they are closed
  // without one, so that a flood cannot use up the file descriptors. Set from the open-file
  // limit at start.
  int max_turning_away = 1'000;
};

}  // namespace asyncscope
