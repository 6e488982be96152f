#pragma once
// Fires the requests: N connections at once from a few client threads (each its own event loop),
// one coroutine per request in flight.

#include "client_options.hpp"
#include "endpoint_result.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asyncscope {

// What happened to one request, as the client saw it.
struct request_record {
  std::size_t index = 0;   // 1-based, in the order the requests were sent
  double sent_at = 0;      // seconds since the run started (steady clock), when connecting began
  double received_at = 0;  // seconds since the run started, when the answer (or the error) came
  bool connected = false;  // the TCP connection was established
  unsigned status = 0;     // HTTP status, 0 when no response arrived
  std::string body{};
  std::string error{};                      // why no response arrived, e.g. "timeout"; else empty
  std::optional<endpoint_result> result{};  // the body, when it is a lesson endpoint's answer
};

// The error every record gets when the host name does not resolve: nothing was tried.
inline constexpr std::string_view cannot_resolve_host = "cannot resolve host";

// One run: what happened to each request, and where the run's clock sits on the wall clock.
struct load_result {
  // Unix epoch seconds at the run's start (sent_at 0): started_at + sent_at puts a client time
  // on the same axis as the server's started_at and finished_at.
  double started_at = 0;
  std::vector<request_record> records{};  // one per request, in index order
  bool interrupted = false;               // Ctrl-C or SIGTERM stopped the run
  std::size_t paced_connects = 0;         // connects that waited for a free file descriptor
};

// Sends options.count requests, options.concurrency at a time, and returns one record per
// request in index order. Never throws for network trouble: that is written into the records.
load_result run_load(const client_options& options);

}  // namespace asyncscope
