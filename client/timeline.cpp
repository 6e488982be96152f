#include "timeline.hpp"

#include "summary.hpp"
#include "terminal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
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
// Rows of bars for all server processes together, however many requests: with the summary
// above and the axis, legend, threads and verdict below, fifty requests fit in 80×24.
constexpr std::size_t most_rows = 6;
// A lane of more bars than this, one after another, is drawn as a staircase of this many steps
// at most (two bars stay one row: a pool thread that took a second request).
constexpr std::size_t most_bars_in_one_row = 2;
constexpr std::size_t most_steps = 5;
// More threads than this are named as "pool-00, pool-01, …, pool-39".
constexpr std::size_t threads_named_in_full = 3;
// When more distinct rows than this need merging, only neighbours are compared: the cost grows
// with the square of the rows, not the cube, for a run of thousands of scattered requests.
constexpr std::size_t rows_compared_pairwise = 64;

// Two glyphs (and two colours) so that back-to-back bars in one lane can be told apart, and a
// faint third for the time a request was queued before its bar.
constexpr std::string_view bar_glyphs[] = {"█", "▒", "·"};
constexpr std::string_view bar_colours[] = {"\x1b[1;36m", "\x1b[1;35m", "\x1b[90m"};
constexpr std::size_t queued_cell = 2;
constexpr std::string_view no_colour = "\x1b[0m";

// The thread a response names: its name, or its OS thread id when it has none.
std::string thread_label(const endpoint_result& result) {
  return result.thread_name.empty() ? std::to_string(result.thread_id) : result.thread_name;
}

// The bars of every server thread, grouped by pid, then thread name, then thread id.
using bars_by_thread =
    std::map<std::tuple<std::int64_t, std::string, std::int64_t>, std::vector<timeline_bar>>;

// What one terminal cell of a row shows: nothing, a bar drawn with glyph 0 or 1, or queued.
using lane_cells = std::vector<std::optional<std::size_t>>;

// Which of a thread's requests a step of a staircase holds: its 11th to 20th, counting from 1.
struct step_range {
  std::size_t first = 0;
  std::size_t last = 0;
  auto operator<=>(const step_range&) const = default;
};

// One row as drawn, and what it stands for: `rows` lanes or steps of `threads` that looked
// the same (or, past most_rows, alike).
struct drawn_row {
  lane_cells cells{};
  std::optional<step_range> step{};
  std::vector<std::string> threads{};
  std::size_t rows = 1;
};

// The rows of one server process.
struct process_rows {
  std::int64_t pid = 0;
  std::vector<drawn_row> rows{};
};

// The bars part of the picture, for one plot width: the rows, and the columns their labels
// (left) and notes such as "× 50" (right) take.
struct chart {
  int columns = 0;
  std::vector<process_rows> processes{};
  int label_width = narrowest_label;
  int note_width = 0;

  // The widest row: "  label │bars│ note".
  int width() const { return label_width + columns + 5 + (note_width > 0 ? note_width + 1 : 0); }
};

// Some of a lane's bars as cells: each bar over its columns, alternating glyphs along the lane
// (`ordinal` is the first bar's place in it). A pause between two bars shorter than a column
// (the few milliseconds a blocked loop takes between two requests) is rounding, not something
// to show, so the second bar closes it.
lane_cells cells_of(std::span<const timeline_bar> bars, std::size_t ordinal, const timeline& t,
                    int columns) {
  lane_cells cells(static_cast<std::size_t>(columns));
  const double seconds_per_column = (t.end - t.start) / columns;
  int previous_last = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    auto [first, last] = bar_columns(bars[i], t.start, t.end, columns);
    if (i > 0 && bars[i].started_at - bars[i - 1].finished_at < seconds_per_column) {
      first = std::min(first, previous_last);
    }
    for (auto c = first; c < last; ++c) cells[static_cast<std::size_t>(c)] = (ordinal + i) % 2;
    previous_last = last;
  }
  // Queued time, where no bar is drawn: at least half a column of it, so rounding draws none.
  for (const auto& bar : bars) {
    if (bar.queued < seconds_per_column / 2) continue;
    const auto [from, to] =
        bar_columns({.started_at = bar.started_at - bar.queued, .finished_at = bar.started_at},
                    t.start, t.end, columns);
    for (auto c = from; c < to; ++c) {
      auto& cell = cells[static_cast<std::size_t>(c)];
      if (!cell) cell = queued_cell;
    }
  }
  return cells;
}

// How many cells two rows draw differently.
std::size_t difference(const lane_cells& a, const lane_cells& b) {
  std::size_t n = 0;
  for (std::size_t c = 0; c < a.size(); ++c) n += a[c] != b[c];
  return n;
}

// `from` drawn into `into`: cells either draws, the rows and threads of both, the steps of both.
void absorb(drawn_row& into, drawn_row&& from) {
  for (std::size_t c = 0; c < into.cells.size(); ++c) {
    if (!into.cells[c]) into.cells[c] = from.cells[c];
  }
  into.rows += from.rows;
  for (auto& thread : from.threads) {
    if (std::find(into.threads.begin(), into.threads.end(), thread) == into.threads.end()) {
      into.threads.push_back(std::move(thread));
    }
  }
  if (into.step && from.step) {
    into.step = step_range{std::min(into.step->first, from.step->first),
                           std::max(into.step->last, from.step->last)};
  } else {
    into.step.reset();
  }
}

// Draws the two rows that differ in the fewest cells as one row; the first of the two keeps
// its place.
void merge_most_alike(std::vector<drawn_row>& rows) {
  const std::size_t reach = rows.size() > rows_compared_pairwise ? 1 : rows.size();
  std::pair<std::size_t, std::size_t> closest{0, 1};
  auto fewest = std::numeric_limits<std::size_t>::max();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = i + 1; j < std::min(rows.size(), i + 1 + reach); ++j) {
      const auto d = difference(rows[i].cells, rows[j].cells);
      if (d < fewest) {
        fewest = d;
        closest = {i, j};
      }
    }
  }
  absorb(rows[closest.first], std::move(rows[closest.second]));
  rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(closest.second));
}

// One process's threads as at most `budget` rows. Each lane is a row, or a staircase of steps
// when it holds many bars one after another; rows that look the same are drawn once, in the
// order they first appear; if that is still too many, the most alike are drawn together.
std::vector<drawn_row> rows_of(std::span<const thread_lanes> threads, const timeline& t,
                               int columns, std::size_t budget) {
  std::vector<drawn_row> rows;
  std::map<std::pair<lane_cells, std::optional<step_range>>, std::size_t> seen;
  const auto add = [&](drawn_row row) {
    const auto [at, fresh] = seen.try_emplace({row.cells, row.step}, rows.size());
    if (fresh) {
      rows.push_back(std::move(row));
    } else {
      absorb(rows[at->second], std::move(row));
    }
  };
  for (const auto& thread : threads) {
    for (const auto& lane : thread.lanes) {
      const std::span<const timeline_bar> bars(lane);
      const auto per_step = bars_per_step(bars.size());
      if (per_step == 0) {
        add({.cells = cells_of(bars, 0, t, columns), .threads = {thread.thread_name}});
        continue;
      }
      for (std::size_t k = 0; k < bars.size(); k += per_step) {
        const auto n = std::min(per_step, bars.size() - k);
        add({.cells = cells_of(bars.subspan(k, n), k, t, columns),
             .step = step_range{k + 1, k + n},
             .threads = {thread.thread_name}});
      }
    }
  }
  while (rows.size() > budget) merge_most_alike(rows);
  return rows;
}

// "1st", "2nd", "3rd", "11th", "22nd".
std::string ordinal(std::size_t n) {
  const auto last_two = n % 100;
  const auto last = n % 10;
  const bool teen = last_two >= 11 && last_two <= 13;
  return fmt::format("{}{}", n,
                     teen        ? "th"
                     : last == 1 ? "st"
                     : last == 2 ? "nd"
                     : last == 3 ? "rd"
                                 : "th");
}

// "1st–10th", or "3rd" for a step of one request.
std::string step_text(const step_range& step) {
  if (step.first == step.last) return ordinal(step.first);
  return fmt::format("{}–{}", ordinal(step.first), ordinal(step.last));
}

// What a row's label says: its thread, or how many threads when it stands for several.
std::string label_of(const drawn_row& row) {
  if (row.threads.size() == 1) return row.threads.front();
  return fmt::format("{} threads", row.threads.size());
}

// What follows a row: which step it is, and how many rows it stands for.
std::string note_of(const drawn_row& row) {
  std::string note = row.step ? step_text(*row.step) : "";
  if (row.rows > 1) note += fmt::format("{}× {}", note.empty() ? "" : " ", row.rows);
  return note;
}

// Every process's rows at a plot `columns` wide, and how wide their labels and notes are.
chart chart_of(const timeline& t, int columns) {
  chart c{.columns = columns};
  std::vector<std::span<const thread_lanes>> processes;
  for (auto from = t.threads.begin(); from != t.threads.end();) {
    const auto to = std::find_if(from, t.threads.end(),
                                 [&from](const auto& thread) { return thread.pid != from->pid; });
    processes.emplace_back(from, to);
    from = to;
  }
  const auto budget =
      std::max<std::size_t>(1, most_rows / std::max<std::size_t>(processes.size(), 1));
  for (const auto threads : processes) {
    c.processes.push_back(
        {.pid = threads.front().pid, .rows = rows_of(threads, t, columns, budget)});
    for (const auto& row : c.processes.back().rows) {
      c.label_width = std::max(c.label_width, display_columns(label_of(row)));
      c.note_width = std::max(c.note_width, display_columns(note_of(row)));
    }
  }
  return c;
}

// The widest a chart's labels and notes could be, before drawing it: every thread name, "40
// threads", and "41st–50th × 50" for the most bars and rows there are.
int widest_margins(const timeline& t) {
  int label = narrowest_label;
  std::size_t bars = 0;
  std::map<std::int64_t, std::size_t> threads_per_pid;
  for (const auto& thread : t.threads) {
    label = std::max(label, display_columns(thread.thread_name));
    ++threads_per_pid[thread.pid];
    for (const auto& lane : thread.lanes) bars += lane.size();
  }
  for (const auto& [pid, n] : threads_per_pid) {
    if (n > 1) label = std::max(label, display_columns(fmt::format("{} threads", n)));
  }
  const auto digits = static_cast<int>(std::to_string(bars).size());
  const int note = bars == 0 ? 0 : 3 * digits + 8;  // "41st–50th × 50"
  return label + 5 + note + 1;
}

// The chart as wide as fits `width`: drawn once with room for the widest labels and notes
// there could be, then again with the room the first one really needed, if that still fits.
chart chart_for(const timeline& t, int width) {
  auto c = chart_of(t, std::max(narrowest_plot, width - widest_margins(t)));
  const int wider = c.columns + width - c.width();
  if (wider <= c.columns) return c;
  auto second = chart_of(t, wider);
  return second.width() <= std::max(width, c.width()) ? second : c;
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

// The rows of bars: "  loop-0 │█████│ × 50". A thread's name is not repeated on the rows
// right under its own.
std::string rows_text(const chart& c, bool colour) {
  std::string out;
  for (const auto& process : c.processes) {
    if (c.processes.size() > 1) out += fmt::format("server pid {}\n", process.pid);
    std::string previous_label;
    for (const auto& row : process.rows) {
      auto label = label_of(row);
      const bool same_thread = row.threads.size() == 1 && label == previous_label;
      previous_label = row.threads.size() == 1 ? label : "";
      if (same_thread) label.clear();
      const auto note = note_of(row);
      out += fmt::format(
          "  {}{} │{}│{}{}\n", label,
          std::string(static_cast<std::size_t>(c.label_width - display_columns(label)), ' '),
          text_of(row.cells, colour), note.empty() ? "" : " ", note);
    }
  }
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

// Three digits of a duration, in seconds or, under a millisecond, in milliseconds: "0.0158 s",
// "0.848 s", "0.0729 ms".
std::string short_duration(double seconds) {
  if (seconds > 0 && seconds < 0.001) return fmt::format("{:.3g} ms", seconds * 1000);
  return fmt::format("{:.3g} s", seconds);
}

// Entries joined by "; " into lines at most `width` columns wide, each indented by two spaces,
// an entry broken only when it is too long for a line of its own.
std::string packed(const std::vector<std::string>& entries, int width) {
  std::string out;
  std::string line;
  for (const auto& entry : entries) {
    auto longer = line.empty() ? "  " + entry : line + "; " + entry;
    if (!line.empty() && display_columns(longer) > width) {
      out += wrapped(line, width, 2);
      longer = "  " + entry;
    }
    line = std::move(longer);
  }
  return line.empty() ? out : out + wrapped(line, width, 2);
}

// What the glyphs, the notes and a column mean, wrapped to the width; only the notes the chart
// uses, each explained with its first example.
std::string legend_text(const chart& c, const timeline& t, int width, bool colour) {
  std::vector<std::string> parts{fmt::format("{}{} a request on its server thread, start to end",
                                             bar_glyphs[0], bar_glyphs[1])};
  const drawn_row* repeated = nullptr;
  const drawn_row* stepped = nullptr;
  for (const auto& process : c.processes) {
    for (const auto& row : process.rows) {
      if (!repeated && row.rows > 1) repeated = &row;
      if (!stepped && row.step) stepped = &row;
    }
  }
  const bool queued = std::any_of(c.processes.begin(), c.processes.end(), [](const auto& p) {
    return std::any_of(p.rows.begin(), p.rows.end(), [](const drawn_row& row) {
      return std::find(row.cells.begin(), row.cells.end(), queued_cell) != row.cells.end();
    });
  });
  if (queued) parts.push_back(fmt::format("{} queued: ready, its thread held", bar_glyphs[2]));
  if (repeated) parts.push_back(fmt::format("× {0}: {0} rows alike", repeated->rows));
  if (stepped && stepped->step->first == stepped->step->last) {
    parts.emplace_back("1st, 2nd, …: the order its thread ran them in");
  } else if (stepped) {
    const auto& step = *stepped->step;
    parts.push_back(fmt::format("{}: the requests its thread ran {} to {}", step_text(step),
                                ordinal(step.first), ordinal(step.last)));
  }
  parts.push_back(fmt::format("{} per column", short_duration((t.end - t.start) / c.columns)));
  auto text = packed(parts, width);
  if (colour) {
    const auto plain = fmt::format("{}{}", bar_glyphs[0], bar_glyphs[1]);
    text.replace(text.find(plain), plain.size(), glyph(0, true) + glyph(1, true));
  }
  return text;
}

// "3 requests failed before the server ran them: they have no bar".
std::string without_bars_text(std::size_t n) {
  return fmt::format("{} {} before the server ran {}: no bar\n", n,
                     n == 1 ? "request failed" : "requests failed", n == 1 ? "it" : "them");
}

// Who ran the requests, for the line under the picture: "loop-0 ran 50 requests", or "40
// threads ran 50 requests: pool-00, pool-01, …, pool-39".
std::string threads_text(const timeline& t) {
  std::size_t bars = 0;
  std::vector<std::string> names;
  for (const auto& thread : t.threads) {
    for (const auto& lane : thread.lanes) bars += lane.size();
    names.push_back(thread.thread_name);
  }
  const auto requests = fmt::format("{} {}", bars, bars == 1 ? "request" : "requests");
  if (names.size() == 1) return fmt::format("{} ran {}", names.front(), requests);
  std::sort(names.begin(), names.end());
  if (names.size() > threads_named_in_full) {
    names = {names[0], names[1], "…", names.back()};
  }
  std::set<std::int64_t> pids;
  for (const auto& thread : t.threads) pids.insert(thread.pid);
  return fmt::format("{} threads{} ran {}: {}", t.threads.size(),
                     pids.size() > 1 ? fmt::format(" in {} server processes", pids.size()) : "",
                     requests, fmt::join(names, ", "));
}

// A line of the picture's end, labelled like the summary's lines.
std::string labelled(std::string_view label, std::string_view text, int width) {
  return wrapped(fmt::format("{:<{}}{}", label, summary_label_width, text), width,
                 summary_label_width);
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
        {.index = record.index,
         .started_at = r.started_at,
         .finished_at = r.finished_at,
         .queued = r.timing ? r.timing->queued : 0});
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

std::size_t bars_per_step(std::size_t bars) {
  if (bars <= most_bars_in_one_row) return 0;
  for (std::size_t power = 1;; power *= 10) {
    for (const std::size_t m : {1, 2, 5}) {
      if ((bars + m * power - 1) / (m * power) <= most_steps) return m * power;
    }
  }
}

std::string timeline_text(const timeline& t, std::string_view verdict, int width, bool colour) {
  const auto c = chart_for(t, width);
  const double span = t.end - t.start;
  auto header = fmt::format("timeline: {:.2f} s from the first send to the last answer", span);
  if (c.processes.size() == 1) header += fmt::format(", server pid {}", c.processes.front().pid);
  std::string out = wrapped(header, width, 2);
  out += rows_text(c, colour);
  if (t.threads.empty()) out += "no request reached the server's endpoint: nothing to draw\n";
  out += axis_text(t, c.label_width, c.columns);
  out += legend_text(c, t, width, colour);
  if (t.without_server_record > 0) out += without_bars_text(t.without_server_record);
  if (!t.threads.empty()) out += labelled("threads:", threads_text(t), width);
  if (!verdict.empty()) out += labelled("verdict:", verdict, width);
  return out;
}

}  // namespace asyncscope
