#include "metrics.hpp"

#include "logging.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace asyncscope {

void request_metrics::answering::record(std::string_view endpoint, unsigned status,
                                        double seconds) {
  const std::lock_guard lock{metrics_.mutex_};
  --metrics_.being_answered_;
  recorded_ = true;
  ++metrics_.counted_.requests[{endpoint, status}];
  auto& histogram = metrics_.counted_.latency[endpoint];
  const auto bucket = std::lower_bound(latency_buckets.begin(), latency_buckets.end(), seconds);
  if (bucket != latency_buckets.end())
    ++histogram.counts[std::distance(latency_buckets.begin(), bucket)];
  ++histogram.count;
  histogram.sum += seconds;
}

metrics_snapshot request_metrics::snapshot() const {
  const std::lock_guard lock{mutex_};
  auto s = counted_;
  s.being_answered = being_answered_;
  s.log_lines_dropped = log_lines_dropped();  // the log queue counts its own
  return s;
}

namespace {

// Label values may hold any text; the format escapes backslash, quote and newline.
std::string label_value(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string prometheus_text(const metrics_snapshot& s) {
  std::string out;
  const auto line = std::back_inserter(out);

  family(out, "asyncscope_requests_total", "counter", "Requests answered, by endpoint and status.");
  for (const auto& [key, count] : s.requests) {
    fmt::format_to(line, "asyncscope_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n",
                   label_value(key.first), key.second, count);
  }

  family(out, "asyncscope_request_duration_seconds", "histogram",
         "Time from reading a request to having its answer, seconds.");
  for (const auto& [endpoint, h] : s.latency) {
    const auto label = label_value(endpoint);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
      cumulative += h.counts[i];
      fmt::format_to(line,
                     "asyncscope_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"{}\"}} {}\n",
                     label, latency_buckets[i], cumulative);
    }
    fmt::format_to(line,
                   "asyncscope_request_duration_seconds_bucket{{endpoint=\"{}\",le=\"+Inf\"}} {}\n",
                   label, h.count);
    fmt::format_to(line, "asyncscope_request_duration_seconds_sum{{endpoint=\"{}\"}} {}\n", label,
                   h.sum);
    fmt::format_to(line, "asyncscope_request_duration_seconds_count{{endpoint=\"{}\"}} {}\n", label,
                   h.count);
  }

  family(out, "asyncscope_requests_in_flight", "gauge", "Requests read and not yet answered.");
  fmt::format_to(line, "asyncscope_requests_in_flight {}\n", s.in_flight);
  family(out, "asyncscope_connections_open", "gauge", "Client connections open now.");
  fmt::format_to(line, "asyncscope_connections_open {}\n", s.open_connections);
  family(out, "asyncscope_connections_turned_away_total", "counter",
         "Connections answered 503 and closed because --max-connections were open.");
  fmt::format_to(line, "asyncscope_connections_turned_away_total {}\n", s.turned_away);
  family(out, "asyncscope_pool_threads", "gauge", "Threads in the worker pool.");
  fmt::format_to(line, "asyncscope_pool_threads {}\n", s.pool_threads);
  family(out, "asyncscope_pool_queue_depth", "gauge",
         "Blocking jobs waiting for a free worker pool thread.");
  fmt::format_to(line, "asyncscope_pool_queue_depth {}\n", s.pool_queued);
  family(out, "asyncscope_pool_busy_workers", "gauge", "Worker pool threads running a job now.");
  fmt::format_to(line, "asyncscope_pool_busy_workers {}\n", s.pool_busy);

  family(out, "asyncscope_loop_blocked_seconds_total", "counter",
         "Time each event-loop thread spent away from the loop in handlers that ran longer than "
         "--block-warn-ms.");
  for (const auto& loop : s.loops) {
    fmt::format_to(line, "asyncscope_loop_blocked_seconds_total{{thread=\"{}\"}} {}\n",
                   label_value(loop.thread), loop.blocked_total);
  }
  family(out, "asyncscope_loop_blocked_now_seconds", "gauge",
         "How long each event-loop thread has been blocked, if it is blocked now (else 0).");
  for (const auto& loop : s.loops) {
    fmt::format_to(line, "asyncscope_loop_blocked_now_seconds{{thread=\"{}\"}} {}\n",
                   label_value(loop.thread), loop.blocked_now);
  }
  family(out, "asyncscope_log_lines_dropped_total", "counter",
         "Log lines dropped because the log queue (--log-queue) was full; the log warns about "
         "each drop.");
  fmt::format_to(line, "asyncscope_log_lines_dropped_total {}\n", s.log_lines_dropped);
  return out;
}

}  // namespace asyncscope
