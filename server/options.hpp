#pragma once
// The server's flags, as DESIGN.md lists them, and their validation.

#include "http_limits.hpp"

#include <spdlog/common.h>

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
  int block_warn_ms = 100;
  http_limits http;  // asyncio's debug-mode threshold for a slow callback
  // The dashboard's own port: -1 means --port + 1, or a free port when --port is 0.
  int dashboard_port = -1;
  int max_viewers = 100;  // /events streams open at once
  spdlog::level::level_enum log_level = spdlog::level::info;
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
