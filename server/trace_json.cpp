#include "trace_json.hpp"

#include <fmt/format.h>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <map>

namespace asyncscope {

namespace {

// A string as a JSON string literal, quotes and escapes included.
std::string quoted(std::string_view text) {
  return boost::json::serialize(boost::json::string(text));
}

class trace_writer {
 public:
  trace_writer(const recording& r, long pid) : origin_ns_(r.from_ns), pid_(pid) {}

  // Microseconds from the recording's start, to the nanosecond.
  std::string ts(std::int64_t ns) const {
    return fmt::format("{:.3f}", static_cast<double>(ns - origin_ns_) / 1000.0);
  }

  void add(std::string event) {
    if (!events_.empty()) events_ += ",\n";
    events_ += event;
  }

  std::string event_head(char phase, std::string_view name, int tid) const {
    return fmt::format(R"("ph":"{}","name":{},"pid":{},"tid":{})", phase, quoted(name), pid_, tid);
  }

  std::string take() { return std::move(events_); }

 private:
  std::int64_t origin_ns_;
  long pid_;
  std::string events_;
};

std::string request_name(const char* endpoint, std::uint64_t id) {
  return fmt::format("{} #{}", endpoint ? endpoint : "request", id);
}

}  // namespace

std::string trace_json(const recording& r, long pid, double from_unix_seconds) {
  trace_writer out{r, pid};
  out.add(fmt::format(R"({{{},"args":{{"name":"asyncscope-server"}}}})",
                      out.event_head('M', "process_name", 0)));
  std::map<std::string, int> tids;
  // Each request's runs across all threads, in time order, for its flow arrows.
  std::map<std::uint64_t, std::vector<std::pair<handler_run, int>>> runs_of;
  for (std::size_t i = 0; i < r.threads.size(); ++i) {
    const auto& thread = r.threads[i];
    const int tid = static_cast<int>(i) + 1;
    tids[thread.thread] = tid;
    out.add(fmt::format(R"({{{},"args":{{"name":{}}}}})", out.event_head('M', "thread_name", tid),
                        quoted(thread.thread)));
    out.add(fmt::format(R"({{{},"args":{{"sort_index":{}}}}})",
                        out.event_head('M', "thread_sort_index", tid), tid));
    for (const auto& run : thread.runs) {
      out.add(fmt::format(
          R"({{{},"cat":"request","ts":{},"dur":{:.3f},"args":{{"request_id":{},"endpoint":{}}}}})",
          out.event_head('X', request_name(run.endpoint, run.request_id), tid),
          out.ts(run.start_ns), static_cast<double>(run.end_ns - run.start_ns) / 1000.0,
          run.request_id, quoted(run.endpoint ? run.endpoint : "")));
      runs_of[run.request_id].emplace_back(run, tid);
    }
  }
  for (auto& [id, runs] : runs_of) {
    if (runs.size() < 2) continue;
    std::sort(runs.begin(), runs.end(),
              [](const auto& a, const auto& b) { return a.first.start_ns < b.first.start_ns; });
    for (std::size_t k = 0; k < runs.size(); ++k) {
      const char phase = k == 0 ? 's' : k + 1 == runs.size() ? 'f' : 't';
      out.add(fmt::format(R"({{{},"cat":"request","id":{},"ts":{},"bp":"e"}})",
                          out.event_head(phase, "resume", runs[k].second), id,
                          out.ts(runs[k].first.start_ns)));
    }
  }
  for (const auto& warning : r.warnings) {
    const auto tid = tids.contains(warning.thread) ? tids[warning.thread] : 0;
    out.add(fmt::format(R"({{{},"s":"t","ts":{},"args":{{"request_id":{}}}}})",
                        out.event_head('i', warning.text, tid), out.ts(warning.at_ns),
                        warning.request_id));
  }
  // Per request, on its own async track: ready to done, and inside it the queued part.
  const int requests_tid = static_cast<int>(r.threads.size()) + 1;
  for (const auto& request : r.requests) {
    const auto name = request_name(request.endpoint, request.id);
    const auto async_event = [&](char phase, std::string_view what, std::int64_t at) {
      out.add(fmt::format(R"({{{},"cat":"request","id":{},"ts":{}}})",
                          out.event_head(phase, what, requests_tid), request.id, out.ts(at)));
    };
    const auto first_run = std::max(request.first_run_ns, request.ready_ns);
    async_event('b', name, request.ready_ns);
    async_event('b', "queued", request.ready_ns);
    async_event('e', "queued", first_run);
    async_event('e', name, std::max(request.done_ns, first_run));
  }
  return fmt::format(
      "{{\"traceEvents\":[\n{}\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{{\"producer\":"
      "\"asyncscope-server {}\",\"recorded_seconds\":{:.3f},\"ts_0_unix_seconds\":{:.6f}}}}}\n",
      out.take(), ASYNCSCOPE_VERSION, static_cast<double>(r.to_ns - r.from_ns) / 1e9,
      from_unix_seconds);
}

}  // namespace asyncscope
