#pragma once
// --export FILE: every request's record as CSV or JSON Lines, or the timeline as an SVG picture.
// Pure functions that return the file's text; main writes it.

#include "load.hpp"
#include "summary.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace asyncscope {

enum class export_format { csv, json_lines, svg };

// What --help and the usage error list as the extensions --export understands.
inline constexpr std::string_view export_extensions = ".csv, .jsonl, .ndjson or .svg";

// The format a file name asks for by its extension, in any case; none for any other name.
std::optional<export_format> export_format_of(std::string_view path);

// The fields of one request, in the order CSV columns show them: one list for both formats.
inline constexpr std::array<std::string_view, 18> export_fields{
    "index",      "sent_at", "received_at", "latency",     "status",     "error",
    "request_id", "pid",     "thread_id",   "thread_name", "started_at", "finished_at",
    "duration",   "queued",  "busy",        "waiting",     "resumes",    "waited_behind"};

// One request as the export writes it: the client's times as Unix epoch seconds (placed with
// `run_started_at`), the server's record when it sent one, null for what is not known.
boost::json::object export_record(const request_record& record, double run_started_at);

// One CSV field as RFC 4180 wants it: in double quotes, with quotes doubled, when it holds a
// comma, a quote, CR or LF; as it is otherwise.
std::string csv_field(std::string_view text);

// A header row, then one row per request; CRLF line ends, empty fields for what is not known.
std::string records_csv(const load_result& run);

// One JSON object per request, one per line.
std::string records_json_lines(const load_result& run);

// The whole file --export writes; the picture's title comes from the summary.
std::string export_text(export_format format, const load_result& run, const summary& s);

}  // namespace asyncscope
