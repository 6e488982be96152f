#pragma once
// --trace-out FILE: after the run, the server's flight recorder for the run's seconds
// (GET /trace?seconds=S), as Chrome trace-event JSON.

#include <string>

namespace asyncscope {

struct fetched_trace {
  bool ok = false;
  std::string body{};   // the trace, when ok
  std::string error{};  // why not, for a person: "HTTP 404: the flight recorder is off ..."
};

// Asks host:port for its last `seconds` of trace; gives up after `timeout_seconds`.
fetched_trace fetch_trace(const std::string& host, unsigned short port, double seconds,
                          double timeout_seconds);

}  // namespace asyncscope
