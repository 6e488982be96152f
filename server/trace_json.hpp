#pragma once
// GET /trace: the flight recorder's contents as Chrome trace-event JSON, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open. One track per thread with a slice per handler
// run ("/async-wrong #5"), flow arrows joining one request's runs in order, an instant event per
// watchdog warning on the blocked thread, and per request an async track from ready to done with
// its queued part. Times are microseconds from the recording's start; otherData says when that
// was in Unix time.

#include "flight_recorder.hpp"

#include <string>

namespace asyncscope {

// `pid` labels the process; `from_unix_seconds` is the wall-clock time of recording.from_ns.
std::string trace_json(const recording& recorded, long pid, double from_unix_seconds);

}  // namespace asyncscope
