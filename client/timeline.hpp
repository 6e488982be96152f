#pragma once
// The timeline: which server thread ran each request, and when, laid out in rows that a terminal
// (or a picture) can draw. Pure functions, no I/O, so tests can pin the layout.

#include "load.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncscope {

// One request as a bar: when the server ran its simulated I/O, in Unix epoch seconds.
struct timeline_bar {
  std::size_t index = 0;  // the request's number, as in "Response 3:"
  double started_at = 0;
  double finished_at = 0;
  double queued = 0;  // seconds it was ready before it first ran (its timing's queued), or 0
};

// Bars that never overlap, in time order: one row of the picture.
using lane = std::vector<timeline_bar>;

// One server thread: who it is, and its requests stacked into as few lanes as they need.
struct thread_lanes {
  std::int64_t pid = 0;
  std::int64_t thread_id = 0;
  std::string thread_name{};  // "loop-0", "pool-07"; the thread id when the server sent none
  std::vector<lane> lanes{};
};

// A whole run, ready to draw: the time axis, and every server thread that ran a request.
struct timeline {
  double start = 0;                       // Unix epoch seconds of the first send: "0 s"
  double end = 0;                         // the last answer
  std::vector<thread_lanes> threads{};    // by pid, then by thread name
  std::size_t without_server_record = 0;  // requests that failed before the server ran them
};

// Greedy interval partitioning: bars in order of their start, each in the first lane that is
// free by then, a new lane only when all are busy. Uses as many lanes as the most bars that
// overlap at one instant; a bar starting exactly when another ends shares its lane.
std::vector<lane> stack_into_lanes(std::vector<timeline_bar> bars);

// Lays out one run: the axis from the first send to the last answer (client times placed on
// the wall clock with `run.started_at`), and one group of lanes per server thread.
timeline build_timeline(const load_result& run);

// The columns a bar covers, [first, last), when `columns` columns show [start, end] seconds.
// Every bar gets at least one column, and none goes outside 0..columns, even one that starts
// before `start` or ends after `end`. Back-to-back bars get adjacent columns, never the same.
std::pair<int, int> bar_columns(const timeline_bar& bar, double start, double end, int columns);

// The distance between labelled ticks on an axis `span` seconds long: the smallest 1, 2 or 5
// times a power of ten that gives at most `most_ticks` ticks.
double tick_step(double span, int most_ticks);

// How many bars each step of a staircase holds, when a lane of `bars` requests that ran one
// after another is drawn as one: a step per row, each starting where the one above ended. 0 for
// a lane of two bars or fewer, which stays one row; else the smallest 1, 2 or 5 times a power of
// ten that makes at most five steps (50 bars: five steps of 10).
std::size_t bars_per_step(std::size_t bars);

// The timeline for a terminal `width` columns wide and 24 rows high: a header, at most 6 rows
// of bars (rows that look the same drawn once with "× 50"; a lane of many bars in a row as a
// staircase, each step numbered "1st–10th"; before each bar, in faint dots, the time it was
// queued, when the server said), an axis in seconds, a legend, the number of
// requests that have no bar, and, again under the picture, the threads and `verdict` (when not
// empty). Every line fits `width` when it is 40 or more. ANSI colours only when `colour`.
std::string timeline_text(const timeline& t, std::string_view verdict, int width, bool colour);

}  // namespace asyncscope
