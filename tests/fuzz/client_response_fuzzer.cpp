// Fuzzes what the client makes of the answers it gets: read_endpoint_result on each body, then
// summarize, percentile and max_overlap over the records, and the summary's JSON and text.
//
// Input: one line per request, as the client would have recorded it:
//
//   STATUS SENT_AT RECEIVED_AT BODY      e.g.  200 0.001 1.012 {"message": "Async ...", ...}
//
// STATUS is the HTTP status, or a word for a network error ("timeout"); the times are seconds
// since the run started; BODY is the rest of the line. A line "sleep S" sets the client's
// --sleep. Fields that do not read as numbers count as 0, and the times are made what the
// client's steady clock gives (finite, not negative, received no earlier than sent), so every
// invariant checked below is one the client relies on.

#include "client_options.hpp"
#include "fuzz_check.hpp"
#include "json_text.hpp"
#include "load.hpp"
#include "response_body.hpp"
#include "summary.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;
using asyncscope::fuzzing::check;

// More records add nothing the first few hundred do not already reach.
constexpr std::size_t max_records = 256;

// Cuts the first space-separated field off `line`.
std::string_view next_field(std::string_view& line) {
  const auto end = std::min(line.find(' '), line.size());
  const auto field = line.substr(0, end);
  line.remove_prefix(std::min(end + 1, line.size()));
  return field;
}

// A time as the steady clock gives it: finite and not negative.
double seconds_field(std::string_view& line) {
  const auto field = next_field(line);
  double value = 0;
  std::from_chars(field.data(), field.data() + field.size(), value);
  return std::isfinite(value) && value > 0 ? value : 0;
}

asyncscope::request_record record_from(std::string_view line, std::size_t index) {
  asyncscope::request_record record{.index = index};
  const auto status = next_field(line);
  unsigned code = 0;
  const auto [end, error] = std::from_chars(status.data(), status.data() + status.size(), code);
  if (error == std::errc{} && end == status.data() + status.size() && code < 1000) {
    record.connected = true;
    record.status = code;
  } else {
    record.error = status.empty() ? "timeout" : std::string(status);
  }
  record.sent_at = seconds_field(line);
  record.received_at = std::max(record.sent_at, seconds_field(line));
  if (record.error.empty()) record.body = line;
  record.result = asyncscope::read_endpoint_result(record.body);  // as run_load does
  return record;
}

// A result the client accepted, written by the server's own code, reads back the same.
void check_result_round_trip(const asyncscope::endpoint_result& result) {
  const auto text = asyncscope::to_json_text(json::value_from(result));
  boost::system::error_code ec;
  (void)json::parse(text, ec);
  check(!ec, "an endpoint result is written as valid JSON");
  const auto again = asyncscope::read_endpoint_result(text);
  if (!again) return;  // a time too large for microseconds is written as null: no result
  check(again->message == result.message && again->endpoint == result.endpoint &&
            again->thread_name == result.thread_name && again->request_id == result.request_id &&
            again->pid == result.pid && again->thread_id == result.thread_id,
        "an endpoint result keeps its text and ids through JSON");
}

void check_percentiles(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  double previous = -1;
  for (const double p : {-1.0, 0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0, 101.0}) {
    const double value = asyncscope::percentile(values, p);
    check(value >= previous, "percentiles do not decrease as p grows");
    check(values.empty() ? value == 0 : std::binary_search(values.begin(), values.end(), value),
          "a percentile is a value some request had");
    previous = value;
  }
}

void check_summary(const asyncscope::summary& s,
                   const std::vector<asyncscope::request_record>& records) {
  check(s.count == records.size(), "count is the number of records");
  check(s.ok + s.failed == s.count, "ok + failed == count");
  const auto sum = [](const auto& counts) {
    return std::accumulate(counts.begin(), counts.end(), std::size_t{0},
                           [](std::size_t n, const auto& entry) { return n + entry.second; });
  };
  check(sum(s.failures) == s.failed, "every failure has a kind");
  check(sum(s.statuses) == static_cast<std::size_t>(std::count_if(
                               records.begin(), records.end(),
                               [](const auto& record) { return record.status != 0; })),
        "every status received is counted once");
  check(sum(s.server_threads) <= s.ok, "only successful answers name a server thread");
  check(s.max_overlap <= s.ok, "max_overlap <= the successful answers");
  check(s.latency.has_value() == (s.ok > 0), "there is a latency exactly when something succeeded");
  if (s.latency) {
    const auto& l = *s.latency;
    check(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max,
          "min <= p50 <= p90 <= p99 <= max");
  }
  check(s.total_time >= 0 && s.answered_time <= s.total_time, "0 <= answered_time <= total_time");
  check(!s.verdict.empty(), "there is a verdict");

  boost::system::error_code ec;
  const auto parsed = json::parse(asyncscope::summary_json(s), ec);
  check(!ec && parsed.is_object(), "the --json summary is one valid JSON object");
  check(parsed.as_object().at("count").to_number<std::size_t>() == s.count,
        "the --json summary keeps the count");
  check(asyncscope::summary_text(s).find("TOTAL TIME: ") != std::string::npos,
        "the text summary ends with TOTAL TIME");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  asyncscope::client_options options{.endpoint = "/async-endpoint"};
  std::vector<asyncscope::request_record> records;
  while (!input.empty() && records.size() < max_records) {
    const auto end = std::min(input.find('\n'), input.size());
    const auto line = input.substr(0, end);
    input.remove_prefix(std::min(end + 1, input.size()));
    if (line.starts_with("sleep ")) {
      options.sleep = std::string(line.substr(6));
      continue;
    }
    records.push_back(record_from(line, records.size() + 1));
  }
  options.count = options.concurrency = static_cast<int>(std::max<std::size_t>(records.size(), 1));

  std::vector<double> latencies;
  std::vector<asyncscope::interval> intervals;
  for (const auto& record : records) {
    (void)asyncscope::response_line(record);
    latencies.push_back(record.received_at - record.sent_at);
    if (!record.result) continue;
    check_result_round_trip(*record.result);
    intervals.push_back({record.result->started_at, record.result->finished_at});
  }
  check_percentiles(latencies);
  const auto overlap = asyncscope::max_overlap(intervals);
  check(overlap <= intervals.size(), "max_overlap <= the intervals");
  check(intervals.empty() || overlap >= 1, "one interval or more overlap at least once");

  check_summary(asyncscope::summarize(options, records), records);
  return 0;
}
