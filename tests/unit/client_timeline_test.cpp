#include "terminal.hpp"
#include "timeline.hpp"
#include "timeline_svg.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

using asyncscope::bar_columns;
using asyncscope::build_timeline;
using asyncscope::columns_to_draw;
using asyncscope::endpoint_result;
using asyncscope::lane;
using asyncscope::load_result;
using asyncscope::request_record;
using asyncscope::stack_into_lanes;
using asyncscope::tick_step;
using asyncscope::timeline;
using asyncscope::timeline_bar;
using asyncscope::timeline_text;

namespace {

constexpr double epoch = 1763700000.0;  // the run starts here on the wall clock

// A request the server ran on `thread` from `started` to `finished`, seconds after the run's
// start; the client sent it at 0 and got the answer just after it finished.
request_record ran_on(std::size_t index, const std::string& thread, double started, double finished,
                      std::int64_t pid = 4242) {
  endpoint_result result{.message = "",
                         .endpoint = "/async-endpoint",
                         .request_id = index,
                         .pid = pid,
                         .thread_id = 4243,
                         .thread_name = thread,
                         .sleep = 1.0,
                         .started_at = epoch + started,
                         .finished_at = epoch + finished,
                         .duration = finished - started};
  return {.index = index,
          .sent_at = 0,
          .received_at = finished + 0.001,
          .connected = true,
          .status = 200,
          .body = "",
          .error = "",
          .result = result};
}

request_record failed(std::size_t index) {
  return {.index = index,
          .sent_at = 0,
          .received_at = 0.001,
          .connected = false,
          .status = 0,
          .body = "",
          .error = "connection refused",
          .result = std::nullopt};
}

load_result run_of(std::vector<request_record> records) {
  return {.started_at = epoch, .records = std::move(records)};
}

// The request numbers in each lane, lane by lane.
std::vector<std::vector<std::size_t>> indexes(const std::vector<lane>& lanes) {
  std::vector<std::vector<std::size_t>> out;
  for (const auto& l : lanes) {
    out.emplace_back();
    for (const auto& bar : l) out.back().push_back(bar.index);
  }
  return out;
}

// The rows of a text timeline that hold bars (they sit between two │).
std::vector<std::string> lane_rows(const std::string& text) {
  std::vector<std::string> rows;
  const std::regex row{"^  (\\S*) *│.*│$"};
  std::size_t from = 0;
  for (auto end = text.find('\n'); end != std::string::npos; end = text.find('\n', from)) {
    auto line = text.substr(from, end - from);
    if (std::regex_match(line, row)) rows.push_back(std::move(line));
    from = end + 1;
  }
  return rows;
}

// How many columns a line takes on screen: one per character, however many UTF-8 bytes it has.
std::size_t columns_of(const std::string& line) {
  std::size_t n = 0;
  for (const char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(StackIntoLanes, OverlappingBarsGetLanesOfTheirOwn) {
  const auto lanes = stack_into_lanes({{1, 0, 1}, {2, 0.1, 1.1}, {3, 0.2, 1.2}});
  EXPECT_EQ(indexes(lanes), (std::vector<std::vector<std::size_t>>{{1}, {2}, {3}}));
}

TEST(StackIntoLanes, ConsecutiveBarsShareOneLane) {
  const auto lanes = stack_into_lanes({{1, 0, 1}, {2, 1.5, 2.5}, {3, 3, 4}});
  EXPECT_EQ(indexes(lanes), (std::vector<std::vector<std::size_t>>{{1, 2, 3}}));
}

TEST(StackIntoLanes, ABarStartingExactlyWhenAnotherEndsSharesItsLane) {
  const auto lanes = stack_into_lanes({{2, 1, 2}, {1, 0, 1}});
  EXPECT_EQ(indexes(lanes), (std::vector<std::vector<std::size_t>>{{1, 2}}));
}

TEST(StackIntoLanes, UsesAsManyLanesAsTheMostOverlappingAtOnce) {
  // Two waves of a 3-thread pool on one thread's worth of lanes: 3 lanes, each two bars long.
  const auto lanes =
      stack_into_lanes({{1, 0, 1}, {2, 0, 1}, {3, 0, 1}, {4, 1, 2}, {5, 1.01, 2}, {6, 1.02, 2}});
  ASSERT_EQ(lanes.size(), 3u);
  for (const auto& l : lanes) EXPECT_EQ(l.size(), 2u);
}

TEST(StackIntoLanes, ReusesTheFirstLaneThatIsFreeAgain) {
  const auto lanes = stack_into_lanes({{1, 0, 1}, {2, 0, 3}, {3, 2, 3}});
  EXPECT_EQ(indexes(lanes), (std::vector<std::vector<std::size_t>>{{1, 3}, {2}}));
}

TEST(StackIntoLanes, OfNothingIsNoLanes) {
  EXPECT_TRUE(stack_into_lanes({}).empty());
}

TEST(BarColumns, ScaleTheBarToTheWidth) {
  EXPECT_EQ(bar_columns({1, 10, 15}, 10, 20, 100), (std::pair{0, 50}));
  EXPECT_EQ(bar_columns({1, 15, 20}, 10, 20, 100), (std::pair{50, 100}));
}

TEST(BarColumns, ClampToTheWidthWhenTheBarRunsOutsideTheAxis) {
  EXPECT_EQ(bar_columns({1, 5, 30}, 10, 20, 80), (std::pair{0, 80}));
  EXPECT_EQ(bar_columns({1, 25, 30}, 10, 20, 80), (std::pair{79, 80}));
  EXPECT_EQ(bar_columns({1, 0, 5}, 10, 20, 80), (std::pair{0, 1}));
}

TEST(BarColumns, GiveEveryBarAtLeastOneColumn) {
  EXPECT_EQ(bar_columns({1, 12, 12}, 10, 20, 10), (std::pair{2, 3}));
  EXPECT_EQ(bar_columns({1, 12, 12.0001}, 10, 20, 10), (std::pair{2, 3}));
}

TEST(BarColumns, PutBackToBackBarsInAdjacentColumns) {
  // Fifty one-second bars on a 51-second axis drawn 88 columns wide: no gaps, no overlaps.
  int previous_last = bar_columns({1, 0.5, 1.5}, 0, 51, 88).second;
  for (int i = 1; i < 50; ++i) {
    const auto [first, last] = bar_columns({1, 0.5 + i, 1.5 + i}, 0, 51, 88);
    EXPECT_EQ(first, previous_last) << i;
    EXPECT_GT(last, first) << i;
    previous_last = last;
  }
}

TEST(BarColumns, OfAnEmptyAxisStartAtTheLeft) {
  EXPECT_EQ(bar_columns({1, 10, 10}, 10, 10, 50), (std::pair{0, 1}));
}

TEST(TickStep, IsOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_DOUBLE_EQ(tick_step(1.02, 8), 0.2);
  EXPECT_DOUBLE_EQ(tick_step(2.02, 8), 0.5);
  EXPECT_DOUBLE_EQ(tick_step(51, 8), 10);
  EXPECT_DOUBLE_EQ(tick_step(10, 10), 1);
  EXPECT_DOUBLE_EQ(tick_step(0.21, 8), 0.05);
}

TEST(TickStep, OfNoTimeIsOneSecond) {
  EXPECT_DOUBLE_EQ(tick_step(0, 8), 1);
}

TEST(BuildTimeline, GroupsByPidThenThreadName) {
  const auto t = build_timeline(run_of({ran_on(1, "pool-01", 0, 1, 7), ran_on(2, "pool-00", 0, 1),
                                        ran_on(3, "pool-00", 1, 2), ran_on(4, "loop-0", 0, 1)}));
  ASSERT_EQ(t.threads.size(), 3u);
  EXPECT_EQ(t.threads[0].pid, 7);
  EXPECT_EQ(t.threads[0].thread_name, "pool-01");
  EXPECT_EQ(t.threads[1].thread_name, "loop-0");
  EXPECT_EQ(t.threads[2].thread_name, "pool-00");
  EXPECT_EQ(indexes(t.threads[2].lanes), (std::vector<std::vector<std::size_t>>{{2, 3}}));
}

TEST(BuildTimeline, RunsFromTheFirstSendToTheLastAnswerOnTheWallClock) {
  auto late = ran_on(2, "loop-0", 0.5, 1.5);
  late.sent_at = 0.25;
  auto early = ran_on(1, "loop-0", 0.5, 1);
  early.sent_at = 0.125;
  const auto t = build_timeline(run_of({early, late}));
  EXPECT_DOUBLE_EQ(t.start, epoch + 0.125);
  EXPECT_DOUBLE_EQ(t.end, epoch + 1.501);
}

TEST(BuildTimeline, CountsRequestsWithoutAServerRecord) {
  const auto t = build_timeline(run_of({ran_on(1, "loop-0", 0, 1), failed(2), failed(3)}));
  EXPECT_EQ(t.without_server_record, 2u);
  ASSERT_EQ(t.threads.size(), 1u);
  EXPECT_EQ(t.threads[0].lanes.size(), 1u);
}

TEST(TimelineText, AsyncDrawsOneRowPerOverlappingRequestOnTheLoopThread) {
  std::vector<request_record> records;
  for (std::size_t i = 1; i <= 50; ++i) records.push_back(ran_on(i, "loop-0", 0.001 * i, 1));
  const auto text = timeline_text(build_timeline(run_of(records)), 100, false);
  const auto rows = lane_rows(text);
  ASSERT_EQ(rows.size(), 50u) << text;
  EXPECT_TRUE(rows[0].starts_with("  loop-0 │")) << text;
  EXPECT_TRUE(rows[1].starts_with("         │")) << text;
  EXPECT_NE(text.find("server pid 4242\n"), std::string::npos) << text;
}

TEST(TimelineText, AsyncWrongDrawsConsecutiveBarsInOneRowInAlternatingGlyphs) {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 5; ++i) {
    records.push_back(ran_on(i + 1, "loop-0", static_cast<double>(i), i + 1.0));
  }
  const auto text = timeline_text(build_timeline(run_of(records)), 100, false);
  const auto rows = lane_rows(text);
  ASSERT_EQ(rows.size(), 1u) << text;
  EXPECT_NE(rows[0].find("█▒"), std::string::npos) << text;
  EXPECT_NE(rows[0].find("▒█"), std::string::npos) << text;
}

TEST(TimelineText, ClosesAPauseShorterThanAColumnButShowsALongerOne) {
  // 21 wide leaves 10 columns for 10 seconds: 4.49 falls in column 4 and 4.51 in column 5.
  auto short_pause = run_of({ran_on(1, "loop-0", 0, 4.49), ran_on(2, "loop-0", 4.51, 9)});
  short_pause.records[1].received_at = 10 - 0.001;
  const auto closed = lane_rows(timeline_text(build_timeline(short_pause), 21, false));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_NE(closed[0].find("████▒▒▒▒▒"), std::string::npos) << closed[0];

  auto long_pause = run_of({ran_on(1, "loop-0", 0, 4.49), ran_on(2, "loop-0", 6, 9)});
  long_pause.records[1].received_at = 10 - 0.001;
  const auto open = lane_rows(timeline_text(build_timeline(long_pause), 21, false));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_NE(open[0].find("████  ▒▒▒"), std::string::npos) << open[0];
}

TEST(TimelineText, SyncDrawsOneLabelledRowPerPoolThread) {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 40; ++i) {
    records.push_back(ran_on(i + 1, fmt::format("pool-{:02}", i), 0, 1));
  }
  for (std::size_t i = 0; i < 10; ++i) {
    records.push_back(ran_on(i + 41, fmt::format("pool-{:02}", i), 1, 2));
  }
  const auto rows = lane_rows(timeline_text(build_timeline(run_of(records)), 100, false));
  ASSERT_EQ(rows.size(), 40u);
  EXPECT_TRUE(rows[0].starts_with("  pool-00 │"));
  EXPECT_TRUE(rows[39].starts_with("  pool-39 │"));
}

TEST(TimelineText, FitsTheWidthAndLabelsTheAxisInSeconds) {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 5; ++i) {
    records.push_back(ran_on(i + 1, "loop-0", static_cast<double>(i), i + 1.0));
  }
  const auto text = timeline_text(build_timeline(run_of(records)), 80, false);
  for (const auto& row : lane_rows(text)) EXPECT_EQ(columns_of(row), 80u) << row;
  EXPECT_NE(text.find("0 s"), std::string::npos) << text;
  EXPECT_NE(text.find("4 s"), std::string::npos) << text;
  EXPECT_NE(text.find("└┬"), std::string::npos) << text;
}

TEST(TimelineText, ListsFailedRequestsUnderThePicture) {
  const auto text = timeline_text(
      build_timeline(run_of({ran_on(1, "loop-0", 0, 1), failed(2), failed(3)})), 100, false);
  EXPECT_TRUE(text.ends_with("2 requests failed before the server ran them: no bar\n")) << text;
}

TEST(TimelineText, UsesColourOnlyWhenAskedTo) {
  const auto t = build_timeline(run_of({ran_on(1, "loop-0", 0, 1)}));
  EXPECT_EQ(timeline_text(t, 100, false).find('\x1b'), std::string::npos);
  EXPECT_NE(timeline_text(t, 100, true).find("\x1b["), std::string::npos);
}

TEST(ColumnsToDraw, PrefersTheWindowThenColumnsThenAHundred) {
  EXPECT_EQ(columns_to_draw(132, "80"), 132);
  EXPECT_EQ(columns_to_draw(std::nullopt, "80"), 80);
  EXPECT_EQ(columns_to_draw(0, "80"), 80);
  EXPECT_EQ(columns_to_draw(std::nullopt, nullptr), 100);
  EXPECT_EQ(columns_to_draw(std::nullopt, "wide"), 100);
  EXPECT_EQ(columns_to_draw(std::nullopt, "-5"), 100);
}

TEST(ColumnsToDraw, NeverGoesBelowTheNarrowestReadableWidth) {
  EXPECT_EQ(columns_to_draw(12, nullptr), asyncscope::narrowest_terminal);
  EXPECT_EQ(columns_to_draw(std::nullopt, "3"), asyncscope::narrowest_terminal);
}

TEST(TimelineSvg, HasATitleABarPerRequestAndTheThreadNames) {
  asyncscope::summary s;
  s.endpoint = "/sync-endpoint";
  s.count = 3;
  s.verdict = "3 × 1.0 s finished in 1.00 s: they ran concurrently";
  const auto svg = asyncscope::timeline_svg(
      build_timeline(run_of({ran_on(1, "pool-00", 0, 1), ran_on(2, "pool-01", 0, 1),
                             ran_on(3, "pool-01", 1, 2), failed(4)})),
      s);
  EXPECT_TRUE(svg.starts_with("<?xml")) << svg;
  EXPECT_TRUE(svg.ends_with("</svg>\n")) << svg;
  EXPECT_EQ(occurrences(svg, "<rect class=\"bar\""), 3u);
  EXPECT_NE(svg.find(">pool-00</text>"), std::string::npos);
  EXPECT_NE(svg.find(">pool-01</text>"), std::string::npos);
  EXPECT_NE(svg.find(">/sync-endpoint: 3 requests"), std::string::npos);
  EXPECT_NE(svg.find(">3 × 1.0 s finished in 1.00 s: they ran concurrently</text>"),
            std::string::npos);
  EXPECT_NE(svg.find(">1 request failed before the server ran it: no bar</text>"),
            std::string::npos);
  EXPECT_NE(svg.find(">0 s</text>"), std::string::npos);
}

TEST(TimelineSvg, UsesTypeLargeEnoughToProject) {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 40; ++i) {
    records.push_back(ran_on(i + 1, fmt::format("pool-{:02}", i), 0, 1));
  }
  const auto svg = asyncscope::timeline_svg(build_timeline(run_of(records)), {});
  const std::regex font_size{"font-size=\"([0-9]+)\""};
  std::size_t labels = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), font_size);
       it != std::sregex_iterator(); ++it, ++labels) {
    EXPECT_GE(std::stoi((*it)[1]), 16);
  }
  EXPECT_GT(labels, 40u);
  EXPECT_EQ(occurrences(svg, ">pool-"), 40u);  // every thread named, none left out
}

TEST(XmlEscaped, EscapesWhatXmlReserves) {
  EXPECT_EQ(asyncscope::xml_escaped("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
}
