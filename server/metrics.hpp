#pragma once
// /metrics in the Prometheus text format (version 0.0.4): what was answered, how fast, and how
// busy the pool and the loop were.

#include "loop_watch.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncscope {

// Upper bounds of the latency histogram's buckets, seconds: from a healthz to a long sleep.
inline constexpr std::array latency_buckets{0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
                                            1.0,   2.5,  5.0,   10.0, 30.0, 60.0};

struct latency_histogram {
  std::array<std::uint64_t, latency_buckets.size()> counts{};  // per bucket, not cumulative
  std::uint64_t count = 0;
  double sum = 0;
};

// Everything /metrics shows, at one instant.
struct metrics_snapshot {
  // Endpoints are route labels: static strings (routes.hpp's route_label), so never copied.
  std::map<std::pair<std::string_view, unsigned>, std::uint64_t> requests;  // (endpoint, status)
  std::map<std::string_view, latency_histogram> latency;                    // by endpoint
  int in_flight = 0;
  // Handed to their handlers and not counted in `requests` yet: with them, the requests read so
  // far that will be counted answered (the dashboard's batches start from that sum).
  std::uint64_t being_answered = 0;
  std::uint64_t last_request_id = 0;  // requests read so far: the newest one's number
  // Connections the kernel holds for the listener, not accepted yet (-1: this platform cannot
  // tell). While the loop is blocked, a batch's later requests wait there.
  int accept_queue = -1;
  int open_connections = 0;
  int connections_unread = 0;  // accepted, their first request not read yet
  std::uint64_t turned_away = 0;
  int pool_threads = 0;
  int pool_queued = 0;
  int pool_busy = 0;
  std::vector<loop_thread_report> loops;
  std::uint64_t log_lines_dropped = 0;  // because the log queue was full
};

// Counts answered requests; any thread may record.
class request_metrics {
 public:
  // One request on its way to an answer: counted as being answered until it is recorded (or
  // dropped, if it never is), then as answered, in one step a snapshot cannot split.
  class answering {
   public:
    explicit answering(request_metrics& metrics) : metrics_(metrics) { ++metrics_.being_answered_; }
    ~answering() {
      if (!recorded_) --metrics_.being_answered_;
    }
    answering(const answering&) = delete;
    answering& operator=(const answering&) = delete;
    void record(std::string_view endpoint, unsigned status, double seconds);

   private:
    request_metrics& metrics_;
    bool recorded_ = false;
  };

  // The counters so far; the caller fills in the gauges.
  metrics_snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  metrics_snapshot counted_;
  std::atomic<std::uint64_t> being_answered_{0};
};

std::string prometheus_text(const metrics_snapshot& s);

}  // namespace asyncscope
