#include "timeline_svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace asyncscope {

namespace {

// The picture's geometry, in pixels. Wide enough to project, type big enough to read from the
// back of a room.
constexpr int picture_width = 1600;
constexpr int margin = 30;
constexpr int label_right = 200;  // thread names end here
constexpr int plot_left = 220;
constexpr int plot_right = picture_width - 40;
constexpr int plot_width = plot_right - plot_left;
constexpr int lanes_height_budget = 900;  // all lanes share this, within the limits below
constexpr int tallest_lane = 44;
constexpr int thinnest_lane = 12;
constexpr int title_font = 34;
constexpr int text_font = 22;
constexpr int smallest_font = 16;
constexpr int pixels_per_tick = 110;

constexpr std::string_view font_family = "DejaVu Sans, Helvetica, Arial, sans-serif";
constexpr std::string_view ink = "#111111";
constexpr std::string_view grid_colour = "#c4c4c4";
constexpr std::string_view band_colour = "#eaeff6";
constexpr std::string_view failed_colour = "#b00020";
// Back-to-back bars alternate between these: a dark blue and an orange, apart in hue and in
// brightness, so they stay distinct on a washed-out projector and in greyscale.
constexpr std::string_view bar_colours[] = {"#1f5aa6", "#e8710a"};
// The queued time before a bar: the first bar colour, faint.
constexpr double queued_opacity = 0.2;

// Where things go: the time scale, and how tall a lane and a label are for this many lanes.
struct layout {
  double start = 0;
  double span = 0;
  int lane_height = 0;
  int label_font = 0;

  double x_at(double at) const {
    const double fraction = span > 0 ? (at - start) / span : 0;
    return plot_left + std::clamp(fraction, 0.0, 1.0) * plot_width;
  }
};

// Lanes as tall as fit in the budget; labels as large as the thinnest thread's rows allow.
layout layout_for(const timeline& t) {
  std::size_t lanes = 0;
  std::size_t fewest_lanes = t.threads.empty() ? 1 : t.threads.front().lanes.size();
  for (const auto& thread : t.threads) {
    lanes += thread.lanes.size();
    fewest_lanes = std::min(fewest_lanes, thread.lanes.size());
  }
  const int lane_height =
      std::clamp(static_cast<int>(lanes_height_budget / std::max<std::size_t>(lanes, 1)),
                 thinnest_lane, tallest_lane);
  const int thinnest_group = lane_height * static_cast<int>(fewest_lanes);
  return {.start = t.start,
          .span = t.end - t.start,
          .lane_height = lane_height,
          .label_font = std::clamp(thinnest_group - 2, smallest_font, text_font)};
}

// <text> at (x, y) in the picture's font.
std::string text_at(double x, double y, int size, std::string_view anchor, std::string_view text,
                    std::string_view extra = "") {
  return fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{}\" text-anchor=\"{}\"{}>{}</text>\n", x, y,
      size, anchor, extra, xml_escaped(text));
}

// The title, and the verdict under it.
std::string title_svg(const timeline& t, const summary& s) {
  const auto title = fmt::format("{}: {} {}, {:.2f} s in total", s.endpoint, s.count,
                                 s.count == 1 ? "request" : "requests", t.end - t.start);
  return text_at(margin, 56, title_font, "start", title, " font-weight=\"bold\"") +
         text_at(margin, 96, text_font, "start", s.verdict);
}

// One bar: when the server ran the request, with its number and times as a tooltip.
std::string bar_svg(const timeline_bar& bar, const layout& l, double lane_top,
                    std::size_t position) {
  const double x = l.x_at(bar.started_at);
  const double width = std::max(2.0, l.x_at(bar.finished_at) - x);
  const double gap = std::max(2, l.lane_height / 5);
  return fmt::format(
      "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
      "fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"1\"><title>request {}: {:.3f} s to {:.3f} "
      "s</title></rect>\n",
      x, lane_top + gap / 2, width, l.lane_height - gap, bar_colours[position % 2], bar.index,
      bar.started_at - l.start, bar.finished_at - l.start);
}

// Before a bar, faintly: the time the request was queued, ready but not yet run.
std::string queued_svg(const timeline_bar& bar, const layout& l, double lane_top) {
  if (bar.queued <= 0) return "";
  const double x = l.x_at(bar.started_at - bar.queued);
  const double width = l.x_at(bar.started_at) - x;
  if (width < 1) return "";
  const double gap = std::max(2, l.lane_height / 5);
  return fmt::format(
      "<rect class=\"queued\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
      "fill=\"{}\" fill-opacity=\"{}\"><title>request {}: queued {:.3f} s</title></rect>\n",
      x, lane_top + gap / 2, width, l.lane_height - gap, bar_colours[0], queued_opacity, bar.index,
      bar.queued);
}

// The numbers on bars fit inside a lane, with a margin.
int number_font(const layout& l) {
  return std::min(text_font, l.lane_height - 12);
}

// The order in which a lane's bars ran, written on them in white, when the lane holds more than
// two bars one after another (a blocked loop's): every bar if the numbers fit, else every 2nd,
// 5th or 10th, so that fifty bars end to end can be counted from the back of the room.
std::string order_numbers_svg(const lane& bars, const layout& l, double lane_top) {
  if (bars.size() <= 2 || number_font(l) < smallest_font) return "";
  double widths = 0;
  for (const auto& bar : bars) widths += l.x_at(bar.finished_at) - l.x_at(bar.started_at);
  const double bar_width = widths / static_cast<double>(bars.size());
  // A bold digit is about 0.65 em wide: the largest type whose widest number fits in a bar,
  // but never under the smallest type a room can read.
  const auto digits = static_cast<double>(std::to_string(bars.size()).size());
  const int font = std::clamp(static_cast<int>((bar_width - 4) / (0.65 * digits)), smallest_font,
                              number_font(l));
  const double number_width = 0.65 * font * digits;
  std::size_t every = 1;
  while (static_cast<double>(every) * bar_width < number_width + 4 && every < bars.size()) {
    every = std::to_string(every).front() == '2' ? every / 2 * 5 : every * 2;  // 1, 2, 5, 10...
  }
  std::string out;
  for (std::size_t k = 0; k < bars.size(); ++k) {
    if (k != 0 && (k + 1) % every != 0) continue;
    const double middle = (l.x_at(bars[k].started_at) + l.x_at(bars[k].finished_at)) / 2;
    out += text_at(middle, lane_top + l.lane_height / 2.0 + font * 0.35, font, "middle",
                   std::to_string(k + 1), " fill=\"#ffffff\" font-weight=\"bold\"");
  }
  return out;
}

// The shading behind every other thread's lanes, so the eye can follow a thread across.
std::string band_svg(const thread_lanes& thread, const layout& l, double top) {
  return fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n",
                     margin, top, plot_right - margin,
                     static_cast<int>(thread.lanes.size()) * l.lane_height, band_colour);
}

// A thread's bars, lane by lane, and its name centred on the left. The name is left out when
// the previous one is too close to read: `last_label_y` keeps track.
std::string thread_svg(const thread_lanes& thread, const layout& l, double top,
                       double& last_label_y) {
  const double height = static_cast<double>(thread.lanes.size()) * l.lane_height;
  std::string out;
  const double label_y = top + height / 2 + l.label_font * 0.35;
  if (label_y - last_label_y >= l.label_font) {
    out += text_at(label_right, label_y, l.label_font, "end", thread.thread_name);
    last_label_y = label_y;
  }
  for (std::size_t i = 0; i < thread.lanes.size(); ++i) {
    const double lane_top = top + static_cast<double>(i) * l.lane_height;
    for (const auto& bar : thread.lanes[i]) out += queued_svg(bar, l, lane_top);
    for (std::size_t k = 0; k < thread.lanes[i].size(); ++k) {
      out += bar_svg(thread.lanes[i][k], l, lane_top, k);
    }
    out += order_numbers_svg(thread.lanes[i], l, lane_top);
  }
  return out;
}

// Vertical lines at each tick behind the lanes, the axis under them with its labels in
// seconds, and what the axis measures.
std::string axis_svg(const layout& l, double top, double bottom) {
  const double step = tick_step(l.span, plot_width / pixels_per_tick);
  std::string grid;
  std::string axis = fmt::format(
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"2\"/>\n",
      plot_left, bottom, plot_right, bottom, ink);
  for (int k = 0; k == 0 || k * step <= l.span * (1 + 1e-9); ++k) {
    const double x = l.x_at(l.start + k * step);
    grid += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"1\"/>\n",
        x, top, bottom, grid_colour);
    axis += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"2\"/>\n",
        x, bottom, bottom + 10, ink);
    axis += text_at(x, bottom + 36, text_font, "middle",
                    fmt::format("{:g} s", std::round(k * step * 1e6) / 1e6));
  }
  axis += text_at((plot_left + plot_right) / 2.0, bottom + 72, text_font, "middle",
                  "seconds since the first request was sent");
  return grid + axis;
}

// Whether some lane has its bars numbered: more than two, one after another, in lanes tall
// enough for the numbers.
bool numbered(const timeline& t, const layout& l) {
  if (number_font(l) < smallest_font) return false;
  return std::any_of(t.threads.begin(), t.threads.end(), [](const thread_lanes& thread) {
    return std::any_of(thread.lanes.begin(), thread.lanes.end(),
                       [](const lane& bars) { return bars.size() > 2; });
  });
}

bool any_queued(const timeline& t) {
  for (const auto& thread : t.threads) {
    for (const auto& lane : thread.lanes) {
      for (const auto& bar : lane) {
        if (bar.queued > 0) return true;
      }
    }
  }
  return false;
}

// With the servers' timings, a lane of many bars one after another (a blocked loop's) becomes a
// staircase, a row per bar, so that each bar's queued time shows before it instead of under the
// bars that ran first.
timeline with_staircases(timeline t) {
  if (!any_queued(t)) return t;
  for (auto& thread : t.threads) {
    std::vector<lane> rows;
    for (auto& lane : thread.lanes) {
      if (lane.size() <= 2) {
        rows.push_back(std::move(lane));
        continue;
      }
      for (auto& bar : lane) rows.push_back({bar});
    }
    thread.lanes = std::move(rows);
  }
  return t;
}

// What a bar means, with both colours shown, and how many requests have none.
std::string legend_svg(const timeline& t, const layout& l, double top) {
  std::string out;
  if (any_queued(t)) {
    out += fmt::format(
        "<rect x=\"{}\" y=\"{:.1f}\" width=\"60\" height=\"20\" fill=\"{}\" "
        "fill-opacity=\"{}\"/>\n",
        margin, top + 19, bar_colours[0], queued_opacity);
    out += text_at(margin + 76, top + 36, text_font, "start",
                   "queued: the request was ready, but its thread was held by others");
  }
  for (int i = 0; i < 2; ++i) {
    out += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"28\" height=\"20\" fill=\"{}\"/>\n",
                       margin + 32 * i, top - 17, bar_colours[i]);
  }
  out += text_at(margin + 76, top, text_font, "start",
                 fmt::format("one request each, from when the server thread started it to when it "
                             "finished (neighbours alternate{})",
                             numbered(t, l) ? "; numbers: the order they ran in" : ""));
  if (t.without_server_record > 0) {
    const auto n = t.without_server_record;
    out +=
        text_at(margin, top + (any_queued(t) ? 72 : 36), text_font, "start",
                fmt::format("{} {} before the server ran {}: no bar", n,
                            n == 1 ? "request failed" : "requests failed", n == 1 ? "it" : "them"),
                fmt::format(" fill=\"{}\"", failed_colour));
  }
  return out;
}

}  // namespace

std::string xml_escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string timeline_svg(const timeline& drawn, const summary& s) {
  const auto t = with_staircases(drawn);
  const auto l = layout_for(t);
  const double lanes_top = 130;
  double y = lanes_top;
  std::string bands;  // drawn first, so the grid and the bars show on top of them
  std::string lanes;
  std::optional<std::int64_t> pid;
  double last_label_y = -std::numeric_limits<double>::infinity();  // no label yet
  std::optional<double> first_lane_top;  // where the grid starts, under the first pid's header
  for (std::size_t i = 0; i < t.threads.size(); ++i) {
    const auto& thread = t.threads[i];
    if (thread.pid != pid) {
      lanes += text_at(margin, y + 26, text_font, "start", fmt::format("server pid {}", thread.pid),
                       " font-weight=\"bold\"");
      y += 36;
      last_label_y = -std::numeric_limits<double>::infinity();
    }
    pid = thread.pid;
    if (!first_lane_top) first_lane_top = y;
    if (i % 2 == 0) bands += band_svg(thread, l, y);
    lanes += thread_svg(thread, l, y, last_label_y);
    y += static_cast<double>(thread.lanes.size()) * l.lane_height;
  }
  if (t.threads.empty()) {
    lanes += text_at(margin, y + 26, text_font, "start",
                     "no request reached the server's endpoint: nothing to draw");
    y += 36;
  }
  const double axis_y = y + 8;
  const double legend_y = axis_y + 120;
  const double height =
      legend_y + (t.without_server_record > 0 ? 36 : 0) + (any_queued(t) ? 36 : 0) + margin;
  return fmt::format(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1:.0f}\" "
             "viewBox=\"0 0 {0} {1:.0f}\" font-family=\"{2}\" fill=\"{3}\">\n"
             "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
             picture_width, height, font_family, ink) +
         title_svg(t, s) + bands + axis_svg(l, first_lane_top.value_or(lanes_top), axis_y) + lanes +
         legend_svg(t, l, legend_y) + "</svg>\n";
}

}  // namespace asyncscope
