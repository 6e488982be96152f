#include "endpoint_result.hpp"

#include "seconds.hpp"

#include <boost/json.hpp>

namespace asyncscope {

namespace json = boost::json;

void tag_invoke(json::value_from_tag, json::value& out, const time_split& t) {
  out = {{"queued", round_to_microseconds(t.queued)},
         {"busy", round_to_microseconds(t.busy)},
         {"waiting", round_to_microseconds(t.waiting)},
         {"resumes", t.resumes},
         {"threads", json::value_from(t.threads)}};
}

time_split tag_invoke(json::value_to_tag<time_split>, const json::value& in) {
  const auto& o = in.as_object();
  return {.queued = json::value_to<double>(o.at("queued")),
          .busy = json::value_to<double>(o.at("busy")),
          .waiting = json::value_to<double>(o.at("waiting")),
          .resumes = json::value_to<int>(o.at("resumes")),
          .threads = json::value_to<std::vector<std::string>>(o.at("threads"))};
}

void tag_invoke(json::value_from_tag, json::value& out, const wait_cause& w) {
  out = {{"request_id", w.request_id},
         {"endpoint", w.endpoint},
         {"seconds", round_to_microseconds(w.seconds)},
         {"location", w.location}};
}

wait_cause tag_invoke(json::value_to_tag<wait_cause>, const json::value& in) {
  const auto& o = in.as_object();
  return {.request_id = json::value_to<std::uint64_t>(o.at("request_id")),
          .endpoint = json::value_to<std::string>(o.at("endpoint")),
          .seconds = json::value_to<double>(o.at("seconds")),
          .location = json::value_to<std::string>(o.at("location"))};
}

void tag_invoke(json::value_from_tag, json::value& out, const endpoint_result& r) {
  out = {{"message", r.message},
         {"endpoint", r.endpoint},
         {"request_id", r.request_id},
         {"pid", r.pid},
         {"thread_id", r.thread_id},
         {"thread_name", r.thread_name},
         {"sleep", r.sleep},
         {"started_at", round_to_microseconds(r.started_at)},
         {"finished_at", round_to_microseconds(r.finished_at)},
         {"duration", round_to_microseconds(r.duration)}};
  auto& o = out.as_object();
  if (!r.note.empty()) o["note"] = r.note;
  if (r.timing) {
    o["timing"] = json::value_from(*r.timing);
    o["waited_behind"] = json::value_from(r.waited_behind);
  }
}

endpoint_result tag_invoke(json::value_to_tag<endpoint_result>, const json::value& in) {
  const auto& o = in.as_object();
  return {.message = json::value_to<std::string>(o.at("message")),
          .endpoint = json::value_to<std::string>(o.at("endpoint")),
          .request_id = json::value_to<std::uint64_t>(o.at("request_id")),
          .pid = json::value_to<std::int64_t>(o.at("pid")),
          .thread_id = json::value_to<std::int64_t>(o.at("thread_id")),
          .thread_name = json::value_to<std::string>(o.at("thread_name")),
          .sleep = json::value_to<double>(o.at("sleep")),
          .started_at = json::value_to<double>(o.at("started_at")),
          .finished_at = json::value_to<double>(o.at("finished_at")),
          .duration = json::value_to<double>(o.at("duration")),
          .note = o.contains("note") ? json::value_to<std::string>(o.at("note")) : std::string{},
          .timing = o.contains("timing") ? std::optional(json::value_to<time_split>(o.at("timing")))
                                         : std::nullopt,
          .waited_behind = o.contains("waited_behind")
                               ? json::value_to<std::vector<wait_cause>>(o.at("waited_behind"))
                               : std::vector<wait_cause>{}};
}

void tag_invoke(json::value_from_tag, json::value& out, const error_body& e) {
  out = {{"error", e.error}, {"detail", e.detail}};
}

}  // namespace asyncscope
