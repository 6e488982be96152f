#include "summary.hpp"
#include "terminal.hpp"
#include "timeline.hpp"
#include "timeline_svg.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

using asyncscope::bar_columns;
using asyncscope::bars_per_step;
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
using asyncscope::wrapped;

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

// One row of bars in a text timeline: "  loop-0 │█████   │ × 50".
struct row {
  std::string label;  // the thread, "30 threads", or empty under a row of the same thread
  std::string bars;   // between the two │
  std::string note;   // after them: "× 50", "1st–10th", or empty
};

// The rows of a text timeline that hold bars.
std::vector<row> rows_of(const std::string& text) {
  std::vector<row> rows;
  const std::regex pattern{"^  (.*?) *│(.*)│(?: (.*))?$"};
  std::istringstream lines(text);
  std::smatch m;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, m, pattern)) rows.push_back({m[1], m[2], m[3]});
  }
  return rows;
}

// The lines of a text, without their line ends.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// How many columns a line takes on screen: one per character, however many UTF-8 bytes it has.
std::size_t columns_of(const std::string& line) {
  std::size_t n = 0;
  for (const char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The column where a row's first and last drawn cells are, counting UTF-8 characters.
std::pair<std::size_t, std::size_t> drawn_span(const std::string& bars) {
  std::size_t column = 0;
  std::size_t first = std::string::npos;
  std::size_t last = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    if ((static_cast<unsigned char>(bars[i]) & 0xC0) == 0x80) continue;
    if (bars[i] != ' ') {
      first = std::min(first, column);
      last = column;
    }
    ++column;
  }
  return {first, last};
}

// The rows a note such as "× 50" says a drawn row stands for; 1 without one.
std::size_t rows_stood_for(const row& r) {
  const auto at = r.note.find("× ");
  return at == std::string::npos ? 1 : std::stoul(r.note.substr(at + std::string("× ").size()));
}

// Fifty requests to each of the lesson's endpoints, as the server runs them with 1 s of I/O,
// 40 pool threads and one loop thread, the client sending all fifty at 0.
std::vector<request_record> fifty_async() {
  std::vector<request_record> records;
  for (std::size_t i = 1; i <= 50; ++i) records.push_back(ran_on(i, "loop-0", 0.0001 * i, 1.0));
  return records;
}
std::vector<request_record> fifty_sync() {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 50; ++i) {
    const bool second_wave = i >= 40;
    records.push_back(ran_on(i + 1, fmt::format("pool-{:02}", second_wave ? (i - 40) * 3 : i),
                             second_wave ? 1.0 : 0.0, second_wave ? 2.0 : 1.0));
  }
  return records;
}
std::vector<request_record> fifty_async_wrong() {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 50; ++i) {
    const double started = 0.005 + static_cast<double>(i) * 1.006;
    records.push_back(ran_on(i + 1, "loop-0", started, started + 1.0));
  }
  return records;
}

// What the client prints with --timeline: the summary, a blank line, the timeline.
std::string printed(const std::string& endpoint, const std::vector<request_record>& records,
                    int width) {
  asyncscope::client_options options;
  options.endpoint = endpoint;
  options.count = static_cast<int>(records.size());
  options.concurrency = options.count;
  const auto s = asyncscope::summarize(options, records);
  return asyncscope::summary_text(s, width) + "\n" +
         timeline_text(build_timeline(run_of(records)), s.verdict, width, false);
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

TEST(BarsPerStep, TwoBarsOrFewerStayInOneRow) {
  EXPECT_EQ(bars_per_step(0), 0u);
  EXPECT_EQ(bars_per_step(1), 0u);
  EXPECT_EQ(bars_per_step(2), 0u);
}

TEST(BarsPerStep, MakeAtMostFiveStepsOfOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_EQ(bars_per_step(3), 1u);
  EXPECT_EQ(bars_per_step(5), 1u);
  EXPECT_EQ(bars_per_step(6), 2u);
  EXPECT_EQ(bars_per_step(10), 2u);
  EXPECT_EQ(bars_per_step(11), 5u);
  EXPECT_EQ(bars_per_step(50), 10u);
  EXPECT_EQ(bars_per_step(51), 20u);
  EXPECT_EQ(bars_per_step(10000), 2000u);
}

TEST(TimelineText, FiftyAsyncRequestsThatLookTheSameAreOneRowTimesFifty) {
  const auto text = timeline_text(build_timeline(run_of(fifty_async())), "", 100, false);
  const auto rows = rows_of(text);
  ASSERT_EQ(rows.size(), 1u) << text;
  EXPECT_EQ(rows[0].label, "loop-0") << text;
  EXPECT_EQ(rows[0].note, "× 50") << text;
  EXPECT_NE(text.find("× 50: 50 rows alike"), std::string::npos) << text;
  EXPECT_NE(text.find(", server pid 4242\n"), std::string::npos) << text;
}

TEST(TimelineText, RequestsStartingAtDifferentTimesAreRowsOfTheirOwnAtMostSix) {
  // Fifty requests on one loop thread, started 20 ms apart over the whole axis: no two alike.
  std::vector<request_record> records;
  for (std::size_t i = 1; i <= 50; ++i) {
    records.push_back(ran_on(i, "loop-0", 0.02 * static_cast<double>(i), 1.0 + 0.02 * i));
  }
  const auto text = timeline_text(build_timeline(run_of(records)), "", 80, false);
  const auto rows = rows_of(text);
  ASSERT_EQ(rows.size(), 6u) << text;
  std::size_t stood_for = 0;
  std::size_t previous_first = 0;
  for (const auto& r : rows) {
    stood_for += rows_stood_for(r);
    EXPECT_GE(drawn_span(r.bars).first, previous_first) << "later starts lower down\n" << text;
    previous_first = drawn_span(r.bars).first;
  }
  EXPECT_EQ(stood_for, 50u) << text;
  EXPECT_EQ(rows[0].label, "loop-0") << text;
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i].label, "") << text;
}

TEST(TimelineText, AsyncWrongIsAStaircaseOfNumberedSteps) {
  const auto text = timeline_text(build_timeline(run_of(fifty_async_wrong())), "", 80, false);
  const auto rows = rows_of(text);
  ASSERT_EQ(rows.size(), 5u) << text;
  const std::vector<std::string> notes{"1st–10th", "11th–20th", "21st–30th", "31st–40th",
                                       "41st–50th"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].label, i == 0 ? "loop-0" : "") << text;
    EXPECT_EQ(rows[i].note, notes[i]) << text;
    if (i > 0) {
      // Each step starts where the one above it ended: a staircase, not two bars side by side.
      EXPECT_GE(drawn_span(rows[i].bars).first, drawn_span(rows[i - 1].bars).second) << text;
      EXPECT_LE(drawn_span(rows[i].bars).first, drawn_span(rows[i - 1].bars).second + 1) << text;
    }
  }
  EXPECT_NE(text.find("1st–10th: the requests its thread ran 1st to 10th"), std::string::npos)
      << text;
}

TEST(TimelineText, AFewRequestsOneAfterAnotherAreAStepEachInAlternatingGlyphs) {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 3; ++i) {
    records.push_back(ran_on(i + 1, "loop-0", static_cast<double>(i), i + 1.0));
  }
  const auto text = timeline_text(build_timeline(run_of(records)), "", 100, false);
  const auto rows = rows_of(text);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].note, "1st");
  EXPECT_EQ(rows[1].note, "2nd");
  EXPECT_EQ(rows[2].note, "3rd");
  EXPECT_NE(text.find("1st, 2nd, …: the order its thread ran them in"), std::string::npos) << text;
  EXPECT_NE(rows[0].bars.find("█"), std::string::npos) << rows[0].bars;
  EXPECT_NE(rows[1].bars.find("▒"), std::string::npos) << rows[1].bars;
  EXPECT_NE(rows[2].bars.find("█"), std::string::npos) << rows[2].bars;
}

TEST(TimelineText, TwoRequestsOneAfterAnotherShareARow) {
  const auto rows = rows_of(
      timeline_text(build_timeline(run_of({ran_on(1, "loop-0", 0, 1), ran_on(2, "loop-0", 1, 2)})),
                    "", 100, false));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].bars.find("█▒"), std::string::npos) << rows[0].bars;
  EXPECT_EQ(rows[0].note, "");
}

TEST(TimelineText, ClosesAPauseShorterThanAColumnButShowsALongerOne) {
  // 21 wide leaves 10 columns for 10 seconds: 4.49 falls in column 4 and 4.51 in column 5.
  auto short_pause = run_of({ran_on(1, "loop-0", 0, 4.49), ran_on(2, "loop-0", 4.51, 9)});
  short_pause.records[1].received_at = 10 - 0.001;
  const auto closed = rows_of(timeline_text(build_timeline(short_pause), "", 21, false));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].bars, "████▒▒▒▒▒ ");

  auto long_pause = run_of({ran_on(1, "loop-0", 0, 4.49), ran_on(2, "loop-0", 6, 9)});
  long_pause.records[1].received_at = 10 - 0.001;
  const auto open = rows_of(timeline_text(build_timeline(long_pause), "", 21, false));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].bars, "████  ▒▒▒ ");
}

TEST(TimelineText, SyncPoolThreadsThatRanTheSameAreOneRowNamingHowMany) {
  const auto text = timeline_text(build_timeline(run_of(fifty_sync())), "", 80, false);
  const auto rows = rows_of(text);
  ASSERT_EQ(rows.size(), 2u) << text;
  EXPECT_EQ(rows[0].label, "10 threads") << "pool-00 ran two, one after another\n" << text;
  EXPECT_EQ(rows[0].note, "× 10") << text;
  EXPECT_NE(rows[0].bars.find("█▒"), std::string::npos) << text;
  EXPECT_EQ(rows[1].label, "30 threads") << text;
  EXPECT_EQ(rows[1].note, "× 30") << text;
  EXPECT_EQ(rows[1].bars.find("▒"), std::string::npos) << text;
}

TEST(TimelineText, RepeatsTheThreadsAndTheVerdictUnderThePicture) {
  const auto text =
      timeline_text(build_timeline(run_of(fifty_async())),
                    "50 × 1.0 s finished in 1.00 s: they ran concurrently", 80, false);
  EXPECT_TRUE(
      text.ends_with("threads:     loop-0 ran 50 requests\n"
                     "verdict:     50 × 1.0 s finished in 1.00 s: they ran concurrently\n"))
      << text;
  const auto sync = timeline_text(build_timeline(run_of(fifty_sync())), "", 80, false);
  EXPECT_TRUE(
      sync.ends_with("threads:     40 threads ran 50 requests: pool-00, pool-01, …, "
                     "pool-39\n"))
      << sync;
}

TEST(TimelineText, EachLessonEndpointAtFiftyFitsEightyColumnsAndTwentyFourRows) {
  // The summary and the timeline, as printed: 22 lines at most leaves a row for the command
  // above and one for the prompt after it.
  for (const auto& [endpoint, records] :
       {std::pair{"/async-endpoint", fifty_async()}, std::pair{"/sync-endpoint", fifty_sync()},
        std::pair{"/async-wrong", fifty_async_wrong()}}) {
    const auto text = printed(endpoint, records, 80);
    const auto lines = lines_of(text);
    EXPECT_LE(lines.size(), 22u) << text;
    for (const auto& line : lines) EXPECT_LE(columns_of(line), 80u) << line;
    EXPECT_TRUE(lines.back().starts_with("             ") || lines.back().starts_with("verdict:"))
        << "the verdict comes last\n"
        << text;
  }
}

TEST(TimelineText, FiftyRequestsFitTwentyFourRowsEvenWhenTheyStartedFarApart) {
  // Every request on a row of its own, and a verdict that takes two lines, twice.
  std::vector<request_record> records;
  for (std::size_t i = 1; i <= 50; ++i) {
    records.push_back(ran_on(i, "loop-0", 0.02 * static_cast<double>(i), 1.0 + 0.02 * i));
  }
  const auto text = printed("/async-endpoint", records, 80);
  EXPECT_LE(lines_of(text).size(), 24u) << text;
  EXPECT_NE(text.find("all 50 overlapped on the server"), std::string::npos) << text;
}

TEST(TimelineText, NoLineIsWiderThanTheTerminal) {
  for (const int width : {40, 60, 80, 100, 132}) {
    for (const auto& records : {fifty_async(), fifty_sync(), fifty_async_wrong()}) {
      const auto text = printed("/async-wrong", records, width);
      for (const auto& line : lines_of(text)) {
        EXPECT_LE(columns_of(line), static_cast<std::size_t>(width)) << width << ": " << line;
      }
    }
  }
}

TEST(TimelineText, RowsUseTheWidthTheirLabelsAndNotesLeave) {
  const auto text = timeline_text(build_timeline(run_of(fifty_async_wrong())), "", 80, false);
  std::size_t widest = 0;
  for (const auto& line : lines_of(text)) {
    if (line.find("│") != std::string::npos) widest = std::max(widest, columns_of(line));
  }
  EXPECT_EQ(widest, 80u) << text;
}

TEST(TimelineText, LabelsTheAxisInSeconds) {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 5; ++i) {
    records.push_back(ran_on(i + 1, "loop-0", static_cast<double>(i), i + 1.0));
  }
  const auto text = timeline_text(build_timeline(run_of(records)), "", 80, false);
  EXPECT_NE(text.find("0 s"), std::string::npos) << text;
  EXPECT_NE(text.find("4 s"), std::string::npos) << text;
  EXPECT_NE(text.find("└┬"), std::string::npos) << text;
}

TEST(TimelineText, HeadsEachProcessWhenSeveralServersAnswered) {
  const auto text = timeline_text(
      build_timeline(run_of({ran_on(1, "loop-0", 0, 1, 7), ran_on(2, "loop-0", 0, 1, 8)})), "", 80,
      false);
  EXPECT_NE(text.find("server pid 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("server pid 8\n"), std::string::npos) << text;
  EXPECT_EQ(rows_of(text).size(), 2u) << text;
}

TEST(TimelineText, ListsFailedRequestsUnderThePicture) {
  const auto text = timeline_text(
      build_timeline(run_of({ran_on(1, "loop-0", 0, 1), failed(2), failed(3)})), "", 100, false);
  EXPECT_NE(text.find("\n2 requests failed before the server ran them: no bar\n"),
            std::string::npos)
      << text;
}

TEST(TimelineText, UsesColourOnlyWhenAskedTo) {
  const auto t = build_timeline(run_of({ran_on(1, "loop-0", 0, 1)}));
  EXPECT_EQ(timeline_text(t, "", 100, false).find('\x1b'), std::string::npos);
  EXPECT_NE(timeline_text(t, "", 100, true).find("\x1b["), std::string::npos);
}

TEST(Wrapped, LeavesALineThatFitsAlone) {
  EXPECT_EQ(wrapped("verdict:     all fine", 80, 13), "verdict:     all fine\n");
}

TEST(Wrapped, BreaksAtSpacesAndIndentsTheRest) {
  EXPECT_EQ(wrapped("verdict:     one two three four", 23, 13),
            "verdict:     one two\n             three four\n");
}

TEST(Wrapped, NeverBreaksInTheLabelsPaddingNorInsideAWord) {
  EXPECT_EQ(wrapped("verdict:     unbreakable-word more", 10, 13),
            "verdict:     unbreakable-word\n             more\n");
}

TEST(Wrapped, PrefersToBreakBeforeAParenthesis) {
  EXPECT_EQ(
      wrapped("verdict:     they ran one after another (something blocked the server)", 60, 13),
      "verdict:     they ran one after another\n"
      "             (something blocked the server)\n");
}

TEST(Wrapped, CountsCharactersNotBytes) {
  EXPECT_EQ(wrapped("× × × ×", 7, 0), "× × × ×\n");
  EXPECT_EQ(wrapped("× × × ×", 6, 0), "× × ×\n×\n");
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

TEST(TimelineSvg, NumbersBarsThatRanOneAfterAnotherInTheOrderTheyRan) {
  const auto wrong = asyncscope::timeline_svg(build_timeline(run_of(fifty_async_wrong())), {});
  for (const char* number : {">1</text>", ">10</text>", ">50</text>"}) {
    EXPECT_NE(wrong.find(number), std::string::npos) << number;
  }
  EXPECT_NE(wrong.find("numbers: the order they ran in"), std::string::npos);

  const auto sync = asyncscope::timeline_svg(build_timeline(run_of(fifty_sync())), {});
  EXPECT_EQ(sync.find(">1</text>"), std::string::npos) << "two bars in a lane need no numbers";
  EXPECT_EQ(sync.find("numbers:"), std::string::npos);
}

TEST(XmlEscaped, EscapesWhatXmlReserves) {
  EXPECT_EQ(asyncscope::xml_escaped("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
}
