#pragma once
// What a run's records reveal about the server: pure functions, no I/O, so tests can pin them.

#include "client_options.hpp"
#include "load.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asyncscope {

// When the server ran one request's simulated I/O, in Unix epoch seconds.
struct interval {
  double started_at = 0;
  double finished_at = 0;
};

// Latency of the successful requests, in seconds.
struct latency_summary {
  double min = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

// The middle and the tail of one of the server's per-request times (seconds, or resumes).
struct spread {
  double p50 = 0;
  double p99 = 0;
};

// How the answered requests' time split on the server (their `timing`), when it says.
struct timing_summary {
  std::size_t requests = 0;  // answers that carried a timing
  spread queued{};
  spread busy{};
  spread waiting{};
  spread resumes{};
};

// A request that held a thread while others were ready: all the time they waited behind it.
struct holder {
  std::uint64_t request_id = 0;
  std::string endpoint{};
  double seconds = 0;        // summed over the requests that waited behind it
  std::size_t requests = 0;  // how many of this run's requests name it
  std::string location{};    // where it blocked, when the server caught it
};

// Everything the client prints after the responses, human or JSON.
struct summary {
  std::string endpoint{};
  std::size_t count = 0;
  std::size_t concurrency = 0;
  std::size_t ok = 0;        // answered with a 2xx status
  std::size_t failed = 0;    // connection error, timeout, or a non-2xx status
  double total_time = 0;     // first send to the last answer or failure, seconds
  double answered_time = 0;  // first send to the last successful answer: what the verdict judges
  std::optional<latency_summary> latency{};             // none when nothing succeeded
  std::map<std::string, std::size_t> statuses{};        // "200" -> 50
  std::map<std::string, std::size_t> server_threads{};  // "loop-0" -> 50
  std::vector<std::int64_t> server_pids{};
  std::map<std::int64_t, std::size_t> answers_per_pid{};  // 4242 -> 25: the spread over workers
  std::size_t max_overlap = 0;          // most server intervals overlapping at one instant
  std::optional<double> ideal_time{};   // one sleep: every request at once
  std::optional<double> serial_time{};  // count sleeps: one after another
  std::string verdict{};
  std::map<std::string, std::size_t> failures{};  // "timeout" -> 3
  // --duration runs: answered requests per second, first send to the last answer.
  std::optional<double> requests_per_second{};
  std::optional<timing_summary> timing{};  // none when no answer had a timing
  std::vector<holder> held_up_by{};        // the worst holders named in waited_behind, worst first
};

// The holders named in the answers' waited_behind, summed per request, worst first, at most
// `most` of them, and only those that held each request they held up 20 ms or more on average.
std::vector<holder> worst_holders(const std::vector<request_record>& records, std::size_t most);

// Nearest-rank percentile of values sorted ascending: the value at index ceil(p/100 * n) - 1.
// No interpolation, so the answer is always a latency some request really had. 0 when empty.
double percentile(const std::vector<double>& sorted, double p);

// The most intervals that contain one instant. An interval that ends exactly when another
// starts does not overlap it: requests run one after another give 1.
std::size_t max_overlap(const std::vector<interval>& intervals);

// One sentence comparing the total time with one sleep (all at once) and count sleeps (one
// after another), e.g. "50 × 1.0 s finished in 1.02 s: they ran concurrently".
// Reads ok, failed, answered_time, ideal_time and max_overlap.
std::string verdict(const summary& s);

// Sums up one run from its records; options says what was asked for.
summary summarize(const client_options& options, const std::vector<request_record>& records);

// The summary as one line of JSON, with the keys docs/reference.md lists.
std::string summary_json(const summary& s);

// Where the summary's labels end and their text begins: "verdict:     ".
inline constexpr int summary_label_width = 13;

// The summary as a few aligned lines for a terminal, ending with "TOTAL TIME: 1.012". A line
// wider than `width` columns is broken at spaces and carries on under its text, not its label.
std::string summary_text(const summary& s, int width = std::numeric_limits<int>::max());

// What one record shows: "Response 3: {...}" or "Response 3: ERROR timeout".
std::string response_line(const request_record& record);

}  // namespace asyncscope
