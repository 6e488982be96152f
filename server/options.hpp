#pragma once
// The server's flags and their validation; docs/reference.md lists them for users.

#include "http_limits.hpp"
#include "logging.hpp"

#include <spdlog/common.h>

#include <chrono>
#include <optional>
#include <string>

namespace asyncscope {

struct server_options {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;
  int loop_threads = 1;
  int pool_threads = 40;  // FastAPI's (AnyIO's) default thread limit
  double sleep = 1.0;
  double max_sleep = 60.0;
  int block_warn_ms = 100;  // asyncio's debug-mode threshold for a slow callback
  std::chrono::milliseconds drain_timeout{30'000};  // at shutdown, for requests in flight
  bool test_routes = false;                          // hidden: routes only the tests use
  bool timing = true;       // each request's time split, GET /requests, the flight recorder
  int record_seconds = 60;  // what the flight recorder keeps for GET /trace
  http_limits http;
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::size_t log_queue_lines = default_log_queue_lines;
};

// Either options to run with, or text to print and the exit code to leave with
// (--help and --version: stdout, 0; a bad flag: one line on stderr, 2).
struct parsed_server_options {
  std::optional<server_options> options;
  std::string message;
  int exit_code = 0;
};

parsed_server_options parse_server_options(int argc, const char* const argv[]);

}  // namespace asyncscope
