#pragma once
// The server's flags and their validation; docs/reference.md lists them for users.

#include "db_options.hpp"
#include "http_limits.hpp"
#include "logging.hpp"

#include <spdlog/common.h>

#include <chrono>
#include <optional>
#include <string>

namespace asyncscope {

// Set only in a worker process that `--workers N` started: which one it is, the port the parent
// chose for all of them, and the pipe on which it tells the parent it is listening.
struct worker_role {
  int index = 0;
  unsigned short port = 0;
  int ready_fd = -1;
};

struct server_options {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;
  int loop_threads = 1;
  int pool_threads = 40;  // FastAPI's (AnyIO's) default thread limit
  int workers = 1;        // processes sharing the port, like uvicorn's --workers
  double sleep = 1.0;
  double max_sleep = 60.0;
  int block_warn_ms = 100;  // asyncio's debug-mode threshold for a slow callback
  std::chrono::milliseconds drain_timeout{30'000};  // at shutdown, for requests in flight
  bool test_routes = false;                         // hidden: routes only the tests use
  bool timing = true;       // each request's time split, GET /requests, the flight recorder
  int record_seconds = 60;  // what the flight recorder keeps for GET /trace
  std::optional<worker_role> worker;                // hidden: given by the parent to its workers
  http_limits http;
  // The dashboard's own port: -1 means --port + 1, or a free port when --port is 0.
  int dashboard_port = -1;
  int max_viewers = 100;  // /events streams open at once
  // --classroom: the dashboard listens on every interface for a room of viewers; only the
  // teacher fires (this machine, or the token printed at start). The main port keeps --host.
  bool classroom = false;
  std::string dashboard_host;  // where the dashboard listens; empty: --host
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::size_t log_queue_lines = default_log_queue_lines;
  db_options db;  // the database lesson's ToDo routes
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
