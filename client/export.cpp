#include "export.hpp"

#include "json_text.hpp"
#include "seconds.hpp"
#include "timeline.hpp"
#include "timeline_svg.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace asyncscope {

namespace json = boost::json;

namespace {

// The part of a file name after its last dot, in lower case: "Runs.CSV" -> "csv".
std::string extension_of(std::string_view path) {
  const auto name = path.substr(path.find_last_of('/') + 1);
  const auto dot = name.find_last_of('.');
  if (dot == std::string_view::npos) return {};
  std::string extension(name.substr(dot + 1));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

// A value as a CSV cell: numbers with microseconds, strings quoted as needed, null as empty.
std::string csv_cell(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return {};
    case json::kind::string:
      return csv_field(value.get_string());
    case json::kind::double_:
      return fmt::format("{:.6f}", value.get_double());
    default:
      return json::serialize(value);
  }
}

// "#1 0.200000; #2 0.200000": whom the request waited behind, and how many seconds, in a cell.
std::string waited_behind_text(const std::vector<wait_cause>& causes) {
  std::vector<std::string> parts;
  for (const auto& cause : causes) {
    parts.push_back(fmt::format("#{} {:.6f}", cause.request_id, cause.seconds));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace

std::optional<export_format> export_format_of(std::string_view path) {
  const auto extension = extension_of(path);
  if (extension == "csv") return export_format::csv;
  if (extension == "jsonl" || extension == "ndjson") return export_format::json_lines;
  if (extension == "svg") return export_format::svg;
  return std::nullopt;
}

json::object export_record(const request_record& record, double run_started_at) {
  const double sent_at = round_to_microseconds(run_started_at + record.sent_at);
  const double received_at = round_to_microseconds(run_started_at + record.received_at);
  json::object out{{"index", record.index},
                   {"sent_at", sent_at},
                   {"received_at", received_at},
                   {"latency", round_to_microseconds(received_at - sent_at)},
                   {"status", record.status == 0 ? json::value() : json::value(record.status)},
                   {"error", record.error}};
  const auto& r = record.result;
  out["request_id"] = r ? json::value(r->request_id) : json::value();
  out["pid"] = r ? json::value(r->pid) : json::value();
  out["thread_id"] = r ? json::value(r->thread_id) : json::value();
  out["thread_name"] = r ? json::value(r->thread_name) : json::value();
  out["started_at"] = r ? json::value(round_to_microseconds(r->started_at)) : json::value();
  out["finished_at"] = r ? json::value(round_to_microseconds(r->finished_at)) : json::value();
  out["duration"] = r ? json::value(round_to_microseconds(r->duration)) : json::value();
  const auto* t = r && r->timing ? &*r->timing : nullptr;
  out["queued"] = t ? json::value(round_to_microseconds(t->queued)) : json::value();
  out["busy"] = t ? json::value(round_to_microseconds(t->busy)) : json::value();
  out["waiting"] = t ? json::value(round_to_microseconds(t->waiting)) : json::value();
  out["resumes"] = t ? json::value(t->resumes) : json::value();
  out["waited_behind"] = t ? json::value(waited_behind_text(r->waited_behind)) : json::value();
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string records_csv(const load_result& run) {
  std::string out = fmt::format("{}\r\n", fmt::join(export_fields, ","));
  for (const auto& record : run.records) {
    const auto fields = export_record(record, run.started_at);
    std::vector<std::string> cells;
    for (const auto name : export_fields) cells.push_back(csv_cell(fields.at(name)));
    out += fmt::format("{}\r\n", fmt::join(cells, ","));
  }
  return out;
}

std::string records_json_lines(const load_result& run) {
  std::string out;
  for (const auto& record : run.records) {
    out += to_json_text(export_record(record, run.started_at));
    out += '\n';
  }
  return out;
}

std::string export_text(export_format format, const load_result& run, const summary& s) {
  switch (format) {
    case export_format::csv:
      return records_csv(run);
    case export_format::json_lines:
      return records_json_lines(run);
    case export_format::svg:
      return timeline_svg(build_timeline(run), s);
  }
  return {};
}

}  // namespace asyncscope
