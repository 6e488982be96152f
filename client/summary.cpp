#include "summary.hpp"

#include "json_text.hpp"
#include "seconds.hpp"
#include "terminal.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <tuple>

namespace asyncscope {

namespace json = boost::json;

namespace {

// More threads than this are shown as "40 threads: pool-00 × 2, pool-01 × 1, ...".
constexpr std::size_t threads_listed_in_full = 4;
// Others' waiting per request it held, below which a holder is not named: a few milliseconds
// each is the loop taking turns between many requests (a busy machine stretches a turn), not
// something that held them up.
constexpr double least_held_up = 0.02;

// Success as the exit code counts it: an answer came, and its status is 2xx.
bool is_ok(const request_record& record) {
  return record.error.empty() && record.status >= 200 && record.status < 300;
}

// Why a request counts as failed: its network error, or the status it got.
std::string failure_kind(const request_record& record) {
  if (!record.error.empty()) return record.error;
  return fmt::format("HTTP {}", record.status);
}

// A sleep as people write it: "1.0 s", "0.25 s".
std::string sleep_text(double seconds) {
  return decimal_text(seconds) + " s";
}

// "1 request", "50 requests".
std::string requests_text(std::size_t n) {
  return fmt::format("{} {}", n, n == 1 ? "request" : "requests");
}

// The latency line from the successful requests' latencies (at least one).
latency_summary latency_of(std::vector<double> latencies) {
  std::sort(latencies.begin(), latencies.end());
  return {.min = latencies.front(),
          .p50 = percentile(latencies, 50),
          .p90 = percentile(latencies, 90),
          .p99 = percentile(latencies, 99),
          .max = latencies.back()};
}

// The thread a response names: its name, or its OS thread id when it has none.
std::string thread_label(const endpoint_result& result) {
  return result.thread_name.empty() ? std::to_string(result.thread_id) : result.thread_name;
}

// Fills in what the server's answers tell: pids, threads, overlap, and the sleep it ran.
void add_server_view(summary& s, const std::vector<request_record>& records) {
  std::vector<interval> intervals;
  for (const auto& record : records) {
    if (!is_ok(record) || !record.result) continue;
    const auto& result = *record.result;
    ++s.server_threads[thread_label(result)];
    ++s.answers_per_pid[result.pid];
    intervals.push_back({result.started_at, result.finished_at});
    s.ideal_time = std::max(s.ideal_time.value_or(0), result.sleep);
  }
  for (const auto& [pid, answers] : s.answers_per_pid) s.server_pids.push_back(pid);
  s.max_overlap = max_overlap(intervals);
}

// The p50 and p99 of each part of the answers' timing, when some answer has one.
std::optional<timing_summary> timing_of(const std::vector<request_record>& records) {
  std::vector<double> queued, busy, waiting, resumes;
  for (const auto& record : records) {
    if (!is_ok(record) || !record.result || !record.result->timing) continue;
    const auto& t = *record.result->timing;
    queued.push_back(t.queued);
    busy.push_back(t.busy);
    waiting.push_back(t.waiting);
    resumes.push_back(t.resumes);
  }
  if (queued.empty()) return std::nullopt;
  const auto spread_of = [](std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return spread{percentile(values, 50), percentile(values, 99)};
  };
  return timing_summary{.requests = queued.size(),
                        .queued = spread_of(queued),
                        .busy = spread_of(busy),
                        .waiting = spread_of(waiting),
                        .resumes = spread_of(resumes)};
}

json::value spread_json(const spread& s, bool seconds) {
  if (!seconds) return {{"p50", s.p50}, {"p99", s.p99}};
  return {{"p50", round_to_microseconds(s.p50)}, {"p99", round_to_microseconds(s.p99)}};
}

json::value timing_json(const std::optional<timing_summary>& t) {
  if (!t) return nullptr;
  return {{"requests", t->requests},
          {"queued", spread_json(t->queued, true)},
          {"busy", spread_json(t->busy, true)},
          {"waiting", spread_json(t->waiting, true)},
          {"resumes", spread_json(t->resumes, false)}};
}

json::array holders_json(const std::vector<holder>& holders) {
  json::array out;
  for (const auto& h : holders) {
    out.push_back({{"request_id", h.request_id},
                   {"endpoint", h.endpoint},
                   {"seconds", round_to_microseconds(h.seconds)},
                   {"requests", h.requests},
                   {"location", h.location}});
  }
  return out;
}

// A p50 and a p99 in one unit, three digits: "0.215/1.02 ms", "24.5/49.0 s".
// A figure in four characters at most: "204", "57", "6.9", "0.51".
std::string compact_number(double v) {
  if (v >= 9.95) return fmt::format("{:.0f}", v);
  if (v >= 0.995) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

// "queued 57/84, busy 0.51/6.9, waiting 204/215 ms (p50/p99)": one unit for the line, so that
// it fits an 80-column terminal whatever the figures.
std::string timing_text(const timing_summary& t) {
  const bool in_ms = std::max({t.queued.p99, t.busy.p99, t.waiting.p99}) < 0.9995;
  const double scale = in_ms ? 1000 : 1;
  const auto spread_text = [scale](const spread& s) {
    return compact_number(s.p50 * scale) + "/" + compact_number(s.p99 * scale);
  };
  return fmt::format("queued {}, busy {}, waiting {} {} (p50/p99)", spread_text(t.queued),
                     spread_text(t.busy), spread_text(t.waiting), in_ms ? "ms" : "s");
}

// "#1 /async-wrong: 0.80 s of others' waiting (4 requests) in async_wrong (...)"
std::string holder_text(const holder& h) {
  auto text = fmt::format("#{} {}: {:.2f} s of others' waiting ({})", h.request_id, h.endpoint,
                          h.seconds, requests_text(h.requests));
  if (!h.location.empty()) text += " in " + h.location;
  return text;
}

// null when nothing succeeded, so scripts see "no latency" rather than zeros.
json::value latency_json(const std::optional<latency_summary>& latency) {
  if (!latency) return nullptr;
  return {{"min", round_to_microseconds(latency->min)},
          {"p50", round_to_microseconds(latency->p50)},
          {"p90", round_to_microseconds(latency->p90)},
          {"p99", round_to_microseconds(latency->p99)},
          {"max", round_to_microseconds(latency->max)}};
}

// null when the time is not known, e.g. no answer reported its sleep.
json::value optional_seconds_json(const std::optional<double>& seconds) {
  if (!seconds) return nullptr;
  return round_to_microseconds(*seconds);
}

// {"200": 50}: a count per key, keys in sorted order.
json::object counts_json(const std::map<std::string, std::size_t>& counts) {
  json::object out;
  for (const auto& [key, n] : counts) out[key] = n;
  return out;
}

// "200 × 48, 404 × 2": counts in a line, at most `limit` of them, then "...".
std::string counts_text(const std::map<std::string, std::size_t>& counts,
                        std::size_t limit = std::numeric_limits<std::size_t>::max()) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& [key, n] : counts) {
    if (!out.empty()) out += ", ";
    if (shown++ == limit) return out + "...";
    out += fmt::format("{} × {}", key, n);
  }
  return out;
}

// "loop-0 × 50", or "40 threads: pool-00 × 2, pool-01 × 1, pool-02 × 1, ..." when many.
std::string threads_text(const std::map<std::string, std::size_t>& threads) {
  if (threads.size() == 1) return counts_text(threads);
  const auto limit = threads.size() > threads_listed_in_full ? 3 : threads.size();
  return fmt::format("{} threads: {}", threads.size(), counts_text(threads, limit));
}

// "pid 4242", or "pids 4242 × 25, 4250 × 25" if answers came from several processes
// (--workers): how the kernel spread the connections over them.
std::string pids_text(const std::map<std::int64_t, std::size_t>& answers_per_pid) {
  if (answers_per_pid.size() == 1) return fmt::format("pid {}", answers_per_pid.begin()->first);
  std::string out = "pids ";
  const char* separator = "";
  for (const auto& [pid, n] : answers_per_pid) {
    out += fmt::format("{}{} × {}", separator, pid, n);
    separator = ", ";
  }
  return out;
}

// The verdict for the requests that were answered, judged on the time until the last of
// them: a few timeouts must not make concurrent requests look serial.
std::string verdict_on_the_answers(const summary& s) {
  if (s.ok == 0) {
    return s.count == 1 ? "the request did not succeed"
                        : fmt::format("none of the {} requests succeeded", s.count);
  }
  const auto n = s.ok;
  const auto took = fmt::format("{:.2f} s", s.answered_time);
  if (!s.ideal_time) {
    return fmt::format("{} took {}: the answers report no sleep to compare with", requests_text(n),
                       took);
  }
  const double ideal = *s.ideal_time;
  if (ideal <= 0) {
    return fmt::format("{} took {}: there was no simulated I/O (sleep 0) to overlap",
                       requests_text(n), took);
  }
  const auto each = fmt::format("{} × {}", n, sleep_text(ideal));
  if (s.answered_time < 0.9 * ideal) {
    return fmt::format("{} finished in {}, sooner than one sleep: the server did not wait", each,
                       took);
  }
  if (n == 1) return fmt::format("{} took {}", each, took);
  if (s.answered_time < 1.5 * ideal) {
    return fmt::format("{} finished in {}: they ran concurrently", each, took);
  }
  if (s.answered_time >= 0.8 * static_cast<double>(n) * ideal) {
    return fmt::format("{} took {}: they ran one after another (something blocked the server)",
                       each, took);
  }
  if (s.max_overlap == 0) {  // the answers did not say when they ran
    const auto waves = std::max(2L, std::lround(s.answered_time / ideal));
    return fmt::format("{} took {}: they ran in about {} waves", each, took, waves);
  }
  const auto waves = (n + s.max_overlap - 1) / s.max_overlap;
  if (waves == 1) {
    return fmt::format(
        "{} took {}: all {} overlapped on the server, but getting them in and out took {:.2f} s "
        "more than one sleep",
        each, took, n, s.answered_time - ideal);
  }
  return fmt::format("{} took {}: they ran in about {} waves of at most {} at once", each, took,
                     waves, s.max_overlap);
}

}  // namespace

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::ptrdiff_t>(std::ceil(p * n / 100));  // p * n first: exact
  const auto index = std::clamp<std::ptrdiff_t>(rank - 1, 0, std::ssize(sorted) - 1);
  return sorted[static_cast<std::size_t>(index)];
}

std::size_t max_overlap(const std::vector<interval>& intervals) {
  // Sweep the instants in time order. At one instant, ends come before starts, so back-to-back
  // intervals never count together; an empty interval ends after the starts at its instant so
  // that it still counts as running.
  enum order { end = 0, start = 1, end_of_empty = 2 };
  std::vector<std::tuple<double, order>> instants;
  instants.reserve(intervals.size() * 2);
  for (const auto& i : intervals) {
    instants.emplace_back(i.started_at, start);
    instants.emplace_back(std::max(i.started_at, i.finished_at),
                          i.finished_at > i.started_at ? end : end_of_empty);
  }
  std::sort(instants.begin(), instants.end());
  std::size_t running = 0;
  std::size_t most = 0;
  for (const auto& [at, what] : instants) {
    if (what == start) {
      most = std::max(most, ++running);
    } else {
      --running;
    }
  }
  return most;
}

std::vector<holder> worst_holders(const std::vector<request_record>& records, std::size_t most) {
  std::map<std::uint64_t, holder> by_request;
  for (const auto& record : records) {
    if (!record.result) continue;
    for (const auto& cause : record.result->waited_behind) {
      auto& h = by_request[cause.request_id];
      h.request_id = cause.request_id;
      h.endpoint = cause.endpoint;
      h.seconds += cause.seconds;
      ++h.requests;
      if (h.location.empty()) h.location = cause.location;
    }
  }
  std::vector<holder> ranked;
  for (auto& [id, h] : by_request) {
    if (h.seconds >= least_held_up * static_cast<double>(h.requests)) {
      ranked.push_back(std::move(h));
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
  if (ranked.size() > most) ranked.resize(most);
  return ranked;
}

std::string verdict(const summary& s) {
  auto sentence = verdict_on_the_answers(s);
  if (s.ok > 0 && s.failed > 0) sentence += fmt::format(" ({} failed)", s.failed);
  return sentence;
}

summary summarize(const client_options& options, const std::vector<request_record>& records) {
  summary s{.endpoint = options.endpoint,
            .count = records.size(),
            .concurrency = static_cast<std::size_t>(options.concurrency)};
  std::vector<double> latencies;
  double first_sent = 0;
  double last_received = 0;
  double last_answered = 0;
  for (const auto& record : records) {
    first_sent = record.index == 1 ? record.sent_at : std::min(first_sent, record.sent_at);
    last_received = std::max(last_received, record.received_at);
    if (is_ok(record)) last_answered = std::max(last_answered, record.received_at);
    if (record.status != 0) ++s.statuses[std::to_string(record.status)];
    if (is_ok(record)) {
      ++s.ok;
      latencies.push_back(record.received_at - record.sent_at);
    } else {
      ++s.failed;
      ++s.failures[failure_kind(record)];
    }
  }
  s.total_time = records.empty() ? 0 : last_received - first_sent;
  s.answered_time = s.ok == 0 ? 0 : last_answered - first_sent;
  if (!latencies.empty()) s.latency = latency_of(std::move(latencies));

  add_server_view(s, records);
  s.timing = timing_of(records);
  s.held_up_by = worst_holders(records, 3);
  if (!s.ideal_time) s.ideal_time = options.sleep_seconds();
  if (s.ideal_time) s.serial_time = static_cast<double>(s.count) * *s.ideal_time;
  if (options.duration_seconds && s.answered_time > 0) {
    s.requests_per_second = static_cast<double>(s.ok) / s.answered_time;
  }
  s.verdict = verdict(s);
  return s;
}

std::string summary_json(const summary& s) {
  json::array pids(s.server_pids.begin(), s.server_pids.end());
  json::object answers_per_pid;
  for (const auto& [pid, n] : s.answers_per_pid) answers_per_pid[std::to_string(pid)] = n;
  const json::object out{{"endpoint", s.endpoint},
                         {"count", s.count},
                         {"ok", s.ok},
                         {"failed", s.failed},
                         {"total_time", round_to_microseconds(s.total_time)},
                         {"latency", latency_json(s.latency)},
                         {"statuses", counts_json(s.statuses)},
                         {"server_threads", counts_json(s.server_threads)},
                         {"server_pids", std::move(pids)},
                         {"answers_per_pid", std::move(answers_per_pid)},
                         {"max_overlap", s.max_overlap},
                         {"ideal_time", optional_seconds_json(s.ideal_time)},
                         {"serial_time", optional_seconds_json(s.serial_time)},
                         {"verdict", s.verdict},
                         {"failures", counts_json(s.failures)},
                         {"concurrency", s.concurrency},
                         {"requests_per_second", optional_seconds_json(s.requests_per_second)},
                         {"timing", timing_json(s.timing)},
                         {"held_up_by", holders_json(s.held_up_by)}};
  return to_json_text(out);
}

std::string summary_text(const summary& s, int width) {
  std::string out;
  const auto line = [&out, width](std::string_view label, const std::string& text) {
    out += wrapped(fmt::format("{:<{}}{}", label, summary_label_width, text), width,
                   summary_label_width);
  };
  line("endpoint:",
       fmt::format("{}, {}, {} at once", s.endpoint, requests_text(s.count), s.concurrency));
  line("result:", fmt::format("{} ok, {} failed{}", s.ok, s.failed,
                              s.statuses.empty() ? "" : "; status " + counts_text(s.statuses)));
  if (!s.failures.empty()) line("failures:", counts_text(s.failures));
  if (s.latency) {
    const auto& l = *s.latency;
    line("latency:", fmt::format("min {:.3f} s, p50 {:.3f} s, p90 {:.3f} s, p99 {:.3f} s, "
                                 "max {:.3f} s",
                                 l.min, l.p50, l.p90, l.p99, l.max));
  }
  if (!s.server_threads.empty()) {
    line("server:",
         fmt::format("{}; {}", pids_text(s.answers_per_pid), threads_text(s.server_threads)));
    line("max overlap:", fmt::format("{} at one instant on the server", s.max_overlap));
  }
  if (s.timing) {
    line("timing:", timing_text(*s.timing));
  }
  if (!s.held_up_by.empty()) {
    std::vector<std::string> holders;
    for (const auto& h : s.held_up_by) holders.push_back(holder_text(h));
    line("held up by:", fmt::format("{}", fmt::join(holders, "; ")));
  }
  if (!s.verdict.empty()) line("verdict:", s.verdict);
  if (s.requests_per_second) {
    line("throughput:", fmt::format("{:.1f} requests/s ({} answered in {:.2f} s, {} connections "
                                    "kept alive)",
                                    *s.requests_per_second, s.ok, s.answered_time, s.concurrency));
  }
  out += fmt::format("TOTAL TIME: {:.3f}\n", s.total_time);
  return out;
}

std::string response_line(const request_record& record) {
  if (!record.error.empty()) {
    return fmt::format("Response {}: ERROR {}", record.index, record.error);
  }
  // Like the lesson's client printing the parsed JSON: no trailing newline from the server.
  const auto end = record.body.find_last_not_of(" \r\n");
  return fmt::format("Response {}: {}", record.index,
                     std::string_view(record.body).substr(0, end + 1));
}

}  // namespace asyncscope
