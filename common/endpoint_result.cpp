#include "endpoint_result.hpp"

#include "seconds.hpp"

#include <boost/json.hpp>

namespace asyncscope {

namespace json = boost::json;

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
  if (!r.note.empty()) out.as_object()["note"] = r.note;
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
          .note = o.contains("note") ? json::value_to<std::string>(o.at("note")) : std::string{}};
}

void tag_invoke(json::value_from_tag, json::value& out, const error_body& e) {
  out = {{"error", e.error}, {"detail", e.detail}};
}

}  // namespace asyncscope
