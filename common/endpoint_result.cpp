#include "endpoint_result.hpp"

#include "json_text.hpp"
#include "seconds.hpp"

#include <boost/json.hpp>

#include <string_view>
#include <type_traits>

namespace asyncscope {

namespace json = boost::json;

namespace {

// The schema, written once: each member of an answer, in order, handed to `member(key, value)`.
// Both the boost::json::value (value_from) and the answer's text (to_json_text) are made from
// these lists, so the two cannot disagree on a key, an order or a rounding.
template <typename Member>
void members_of(const time_split& t, Member&& member) {
  member("queued", round_to_microseconds(t.queued));
  member("busy", round_to_microseconds(t.busy));
  member("waiting", round_to_microseconds(t.waiting));
  member("resumes", t.resumes);
  member("threads", t.threads);
}

template <typename Member>
void members_of(const wait_cause& w, Member&& member) {
  member("request_id", w.request_id);
  member("endpoint", w.endpoint);
  member("seconds", round_to_microseconds(w.seconds));
  member("location", w.location);
}

template <typename Member>
void members_of(const endpoint_result& r, Member&& member) {
  member("message", r.message);
  member("endpoint", r.endpoint);
  member("request_id", r.request_id);
  member("pid", r.pid);
  member("thread_id", r.thread_id);
  member("thread_name", r.thread_name);
  member("sleep", r.sleep);
  member("started_at", round_to_microseconds(r.started_at));
  member("finished_at", round_to_microseconds(r.finished_at));
  member("duration", round_to_microseconds(r.duration));
  if (!r.note.empty()) member("note", r.note);
  if (r.timing) {
    member("timing", *r.timing);
    member("waited_behind", r.waited_behind);
  }
}

// One of the schema's structs as a boost::json object.
template <typename Struct>
void object_from(json::value& out, const Struct& s) {
  auto& o = out.emplace_object();
  members_of(s, [&o](const json_key& key, const auto& value) {
    o.emplace(key.name(), json::value_from(value, o.storage()));
  });
}

// The values an answer holds, as text: the schema's structs, lists of them or of names, and
// plain strings and numbers.
template <typename Struct>
  requires std::is_class_v<Struct>
void write(json_text_writer& out, const Struct& s);

void write(json_text_writer& out, const std::string& text) {
  out.value(std::string_view(text));
}

template <typename Number>
  requires std::is_arithmetic_v<Number>
void write(json_text_writer& out, Number n) {
  out.value(n);
}

template <typename Item>
void write(json_text_writer& out, const std::vector<Item>& items) {
  out.begin_array();
  for (const auto& item : items) write(out, item);
  out.end_array();
}

template <typename Struct>
  requires std::is_class_v<Struct>
void write(json_text_writer& out, const Struct& s) {
  out.begin_object();
  members_of(s, [&out](const json_key& key, const auto& value) {
    out.plain_key(key);
    write(out, value);
  });
  out.end_object();
}

}  // namespace

void tag_invoke(json::value_from_tag, json::value& out, const time_split& t) {
  object_from(out, t);
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
  object_from(out, w);
}

wait_cause tag_invoke(json::value_to_tag<wait_cause>, const json::value& in) {
  const auto& o = in.as_object();
  return {.request_id = json::value_to<std::uint64_t>(o.at("request_id")),
          .endpoint = json::value_to<std::string>(o.at("endpoint")),
          .seconds = json::value_to<double>(o.at("seconds")),
          .location = json::value_to<std::string>(o.at("location"))};
}

void tag_invoke(json::value_from_tag, json::value& out, const endpoint_result& r) {
  object_from(out, r);
}

std::string to_json_text(const endpoint_result& r) {
  std::string text;
  text.reserve(512);  // an answer with its timing: one allocation
  json_text_writer out{text};
  write(out, r);
  return text;
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
