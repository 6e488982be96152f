#include "timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>

namespace asyncscope {

namespace {

// Thread names are short ("pool-07"); the label column is never narrower than this.
constexpr int narrowest_label = 6;
// However narrow the terminal, the bars get at least this many columns.
constexpr int narrowest_plot = 10;
// Axis labels such as "0.2 s" need about this many columns each, with a gap.
constexpr int columns_per_tick = 10;

// Two glyphs (and two colours) so that back-to-back bars in one lane can be told apart.
constexpr std::string_view bar_glyphs[] = {"█", "▒"};
constexpr std::string_view bar_colours[] = {"\x1b[1;36m", "\x1b[1;35m"};
constexpr std::string_view no_colour = "\x1b[0m";

// The thread a response names: its name, or its OS thread id when it has none.
std::string thread_label(const endpoint_result& result) {
  return result.thread_name.empty() ? std::to_string(result.thread_id) : result.thread_name;
}

// The bars of every server thread, grouped by pid, then thread name, then thread id.
using bars_by_thread =
    std::map<std::tuple<std::int64_t, std::string, std::int64_t>, std::vector<timeline_bar>>;

// What one terminal cell of a lane shows: nothing, or a bar drawn with glyph 0 or 1.
using lane_cells = std::vector<std::optional<std::size_t>>;

// One lane as cells: each bar over its columns, alternating glyphs along the lane. A pause
// between two bars shorter than a column (the few milliseconds a blocked loop takes between
// two requests) is rounding, not something to show, so the second bar closes it.
lane_cells cells_of(const lane& bars, const timeline& t, int columns) {
  lane_cells cells(static_cast<std::size_t>(columns));
  const double seconds_per_column = (t.end - t.start) / columns;
  int previous_last = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    auto [first, last] = bar_columns(bars[i], t.start, t.end, columns);
    if (i > 0 && bars[i].started_at - bars[i - 1].finished_at < seconds_per_column) {
      first = std::min(first, previous_last);
    }
    for (auto c = first; c < last; ++c) cells[static_cast<std::size_t>(c)] = i % 2;
    previous_last = last;
  }
  return cells;
}

// A glyph, in its colour when colours are on.
std::string glyph(std::size_t which, bool colour) {
  if (!colour) return std::string(bar_glyphs[which]);
  return fmt::format("{}{}{}", bar_colours[which], bar_glyphs[which], no_colour);
}

// The cells as text; with colour, each run of one glyph gets one colour code, not one per cell.
std::string text_of(const lane_cells& cells, bool colour) {
  std::string out;
  std::optional<std::size_t> current;
  for (const auto& cell : cells) {
    if (colour && cell != current) {
      if (current) out += no_colour;
      if (cell) out += bar_colours[*cell];
      current = cell;
    }
    out += cell ? bar_glyphs[*cell] : " ";
  }
  if (colour && current) out += no_colour;
  return out;
}

// The column of an instant `seconds` after the start: the column a bar starting then begins in.
int axis_column(const timeline& t, double seconds, int columns) {
  const double at = t.start + seconds;
  return bar_columns({.started_at = at, .finished_at = at}, t.start, t.end, columns).first;
}

// "0 s", "0.2 s", "10 s".
std::string tick_label(double seconds) {
  return fmt::format("{:g} s", std::round(seconds * 1e6) / 1e6);
}

// The axis under the lanes: a rule with a tick per step, and below it the seconds, each label
// starting at its tick (the last one may end at the axis's end instead) and left out when it
// would run into the one before.
std::string axis_text(const timeline& t, int label_width, int columns) {
  const double span = t.end - t.start;
  const double step = tick_step(span, std::max(1, columns / columns_per_tick));
  const auto indent = static_cast<std::size_t>(label_width) + 4;  // where the lanes' bars begin
  std::vector<std::string_view> rule(static_cast<std::size_t>(columns), "─");
  std::string labels(indent + static_cast<std::size_t>(columns) + 1, ' ');
  std::size_t free_from = 0;
  for (int k = 0; k * step <= span * (1 + 1e-9) || k == 0; ++k) {
    const int column = axis_column(t, k * step, columns);
    rule[static_cast<std::size_t>(column)] = "┬";
    const auto text = tick_label(k * step);
    const auto at =
        std::min(indent + static_cast<std::size_t>(column), labels.size() - text.size());
    if (at < free_from) continue;
    labels.replace(at, text.size(), text);
    free_from = at + text.size() + 1;
  }
  labels.erase(labels.find_last_not_of(' ') + 1);
  return fmt::format("{}└{}┘\n{}\n", std::string(indent - 1, ' '), fmt::join(rule, ""), labels);
}

// The longest thread name, so that every lane's bars start in the same column.
int label_width_of(const timeline& t) {
  std::size_t widest = narrowest_label;
  for (const auto& thread : t.threads) widest = std::max(widest, thread.thread_name.size());
  return static_cast<int>(widest);
}

// "3 requests failed before the server ran them: they have no bar".
std::string without_bars_text(std::size_t n) {
  return fmt::format("{} {} before the server ran {}: no bar\n", n,
                     n == 1 ? "request failed" : "requests failed", n == 1 ? "it" : "them");
}

}  // namespace

std::vector<lane> stack_into_lanes(std::vector<timeline_bar> bars) {
  std::stable_sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) {
    return std::tie(a.started_at, a.finished_at) < std::tie(b.started_at, b.finished_at);
  });
  std::vector<lane> lanes;
  for (const auto& bar : bars) {
    auto free = std::find_if(lanes.begin(), lanes.end(), [&bar](const lane& l) {
      return l.back().finished_at <= bar.started_at;
    });
    if (free == lanes.end()) free = lanes.emplace(lanes.end());
    free->push_back(bar);
  }
  return lanes;
}

timeline build_timeline(const load_result& run) {
  timeline t{.start = run.started_at, .end = run.started_at};
  bars_by_thread bars;
  for (const auto& record : run.records) {
    const double sent = run.started_at + record.sent_at;
    t.start = record.index == 1 ? sent : std::min(t.start, sent);
    t.end = std::max(t.end, run.started_at + record.received_at);
    if (!record.result) {
      ++t.without_server_record;
      continue;
    }
    const auto& r = *record.result;
    bars[{r.pid, thread_label(r), r.thread_id}].push_back(
        {.index = record.index, .started_at = r.started_at, .finished_at = r.finished_at});
  }
  for (auto& [who, thread_bars] : bars) {
    const auto& [pid, name, thread_id] = who;
    t.threads.push_back({.pid = pid,
                         .thread_id = thread_id,
                         .thread_name = name,
                         .lanes = stack_into_lanes(std::move(thread_bars))});
  }
  return t;
}

std::pair<int, int> bar_columns(const timeline_bar& bar, double start, double end, int columns) {
  columns = std::max(columns, 1);
  const double span = end - start;
  const auto column = [&](double at) {
    const double x = span > 0 ? (at - start) / span * columns : 0;
    return static_cast<int>(std::lround(std::clamp(x, 0.0, static_cast<double>(columns))));
  };
  const int first = std::min(column(bar.started_at), columns - 1);
  const int last = std::max(column(bar.finished_at), first + 1);
  return {first, last};
}

double tick_step(double span, int most_ticks) {
  if (!(span > 0) || most_ticks < 1) return 1;
  const double least = span / most_ticks;
  const double power = std::pow(10.0, std::floor(std::log10(least)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * power >= least * (1 - 1e-9)) return m * power;
  }
  return 10 * power;
}

std::string timeline_text(const timeline& t, int width, bool colour) {
  const int label_width = label_width_of(t);
  const int columns = std::max(narrowest_plot, width - label_width - 5);
  const double span = t.end - t.start;
  std::string out = fmt::format(
      "timeline: {:.2f} s from the first request sent to the last answer, {:.3f} s per column\n",
      span, span / columns);
  std::optional<std::int64_t> pid;
  for (const auto& thread : t.threads) {
    if (thread.pid != pid) out += fmt::format("server pid {}\n", thread.pid);
    pid = thread.pid;
    for (std::size_t i = 0; i < thread.lanes.size(); ++i) {
      const auto& label = i == 0 ? thread.thread_name : std::string();
      out += fmt::format("  {:<{}} │{}│\n", label, label_width,
                         text_of(cells_of(thread.lanes[i], t, columns), colour));
    }
  }
  if (t.threads.empty()) out += "no request reached the server's endpoint: nothing to draw\n";
  out += axis_text(t, label_width, columns);
  out += fmt::format(
      "  {}{} a request, from when its server thread started it to when it finished; "
      "0 s = first send\n",
      glyph(0, colour), glyph(1, colour));
  if (t.without_server_record > 0) out += without_bars_text(t.without_server_record);
  return out;
}

}  // namespace asyncscope
