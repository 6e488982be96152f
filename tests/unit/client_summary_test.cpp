#include "summary.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <string>
#include <tuple>
#include <vector>

namespace json = boost::json;
using asyncscope::client_options;
using asyncscope::endpoint_result;
using asyncscope::interval;
using asyncscope::max_overlap;
using asyncscope::percentile;
using asyncscope::request_record;
using asyncscope::summarize;
using asyncscope::summary;
using asyncscope::summary_json;
using asyncscope::summary_text;
using asyncscope::time_split;
using asyncscope::verdict;

namespace {

constexpr double epoch = 1763700000.0;  // server times are Unix epoch seconds

// A request that the server answered with 200 after running it on `thread` from `started`
// to `finished` seconds (relative to `epoch`).
request_record answered(std::size_t index, double sent_at, double received_at,
                        const std::string& thread, double started, double finished) {
  endpoint_result result{.message = "Async endpoint completed!",
                         .endpoint = "/async-endpoint",
                         .request_id = index,
                         .pid = 4242,
                         .thread_id = 4243,
                         .thread_name = thread,
                         .sleep = 1.0,
                         .started_at = epoch + started,
                         .finished_at = epoch + finished,
                         .duration = finished - started};
  return {.index = index,
          .sent_at = sent_at,
          .received_at = received_at,
          .connected = true,
          .status = 200,
          .body = json::serialize(json::value_from(result)),
          .error = "",
          .result = result};
}

request_record failed(std::size_t index, double sent_at, double received_at, std::string error) {
  return {.index = index,
          .sent_at = sent_at,
          .received_at = received_at,
          .connected = false,
          .status = 0,
          .body = "",
          .error = std::move(error),
          .result = std::nullopt};
}

// What the verdict reads: how many, how many succeeded, how long, one sleep, and the overlap.
summary outcome(std::size_t count, std::size_t ok, double total_time, double ideal_time,
                std::size_t overlap) {
  summary s;
  s.count = count;
  s.ok = ok;
  s.failed = count - ok;
  s.total_time = total_time;
  s.answered_time = total_time;
  s.ideal_time = ideal_time;
  s.max_overlap = overlap;
  return s;
}

client_options asked_for(int count) {
  client_options options;
  options.endpoint = "/async-endpoint";
  options.count = count;
  options.concurrency = count;
  return options;
}

}  // namespace

TEST(Percentile, PicksTheNearestRankWithoutInterpolating) {
  const std::vector<double> ten{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile(ten, 50), 5);
  EXPECT_EQ(percentile(ten, 90), 9);
  EXPECT_EQ(percentile(ten, 99), 10);
  EXPECT_EQ(percentile(ten, 100), 10);
  EXPECT_EQ(percentile(ten, 0), 1);
}

TEST(Percentile, OfAHundredValuesIsTheValueAtThatRank) {
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(percentile(hundred, 50), 50);
  EXPECT_EQ(percentile(hundred, 90), 90);
  EXPECT_EQ(percentile(hundred, 99), 99);
}

TEST(Percentile, OfASingleValueIsThatValue) {
  EXPECT_EQ(percentile({1.25}, 99), 1.25);
}

TEST(Percentile, OfNothingIsZero) {
  EXPECT_EQ(percentile({}, 50), 0);
}

TEST(MaxOverlap, OfBackToBackIntervalsIsOne) {
  // async-wrong: each request starts the instant the previous one finishes.
  EXPECT_EQ(max_overlap({{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}}), 1u);
}

TEST(MaxOverlap, OfIntervalsRunningTogetherIsTheirNumber) {
  std::vector<interval> fifty(50, interval{0.0, 1.0});
  EXPECT_EQ(max_overlap(fifty), 50u);
}

TEST(MaxOverlap, OfTwoWavesIsTheLargerWave) {
  // sync-endpoint with 50 requests and a 40-thread pool.
  std::vector<interval> waves(40, interval{0.0, 1.0});
  waves.insert(waves.end(), 10, interval{1.0, 2.0});
  EXPECT_EQ(max_overlap(waves), 40u);
}

TEST(MaxOverlap, CountsIntervalsThatOnlyPartlyOverlap) {
  EXPECT_EQ(max_overlap({{0, 1}, {0.5, 1.5}, {0.9, 2}, {1.6, 3}}), 3u);
}

TEST(MaxOverlap, CountsAnEmptyIntervalAsRunningAtItsInstant) {
  EXPECT_EQ(max_overlap({{1, 1}}), 1u);
  EXPECT_EQ(max_overlap({{0, 2}, {1, 1}}), 2u);
}

TEST(MaxOverlap, OfNothingIsZero) {
  EXPECT_EQ(max_overlap({}), 0u);
}

TEST(Verdict, FiftyAtOnceInAboutOneSleepIsConcurrent) {
  EXPECT_EQ(verdict(outcome(50, 50, 1.02, 1.0, 50)),
            "50 × 1.0 s finished in 1.02 s: they ran concurrently");
}

TEST(Verdict, FiveInFiveSleepsRanOneAfterAnother) {
  EXPECT_EQ(verdict(outcome(5, 5, 5.01, 1.0, 1)),
            "5 × 1.0 s took 5.01 s: they ran one after another (something blocked the server)");
}

TEST(Verdict, FiftyInTwoSleepsRanInWavesOfTheOverlap) {
  EXPECT_EQ(verdict(outcome(50, 50, 2.01, 1.0, 40)),
            "50 × 1.0 s took 2.01 s: they ran in about 2 waves of at most 40 at once");
}

TEST(Verdict, CountsWavesFromHowManyRanAtOnce) {
  EXPECT_EQ(verdict(outcome(100, 100, 2.16, 0.2, 10)),
            "100 × 0.2 s took 2.16 s: they ran in about 10 waves of at most 10 at once");
}

TEST(Verdict, AllOverlappingButSlowToStartSaysWhereTheTimeWent) {
  EXPECT_EQ(verdict(outcome(10000, 10000, 2.34, 1.0, 10000)),
            "10000 × 1.0 s took 2.34 s: all 10000 overlapped on the server, but getting them in "
            "and out took 1.34 s more than one sleep");
}

TEST(Verdict, OneRequestJustReportsItsTime) {
  EXPECT_EQ(verdict(outcome(1, 1, 1.0, 1.0, 1)), "1 × 1.0 s took 1.00 s");
}

TEST(Verdict, ShowsFractionalSleepsAsTheyWere) {
  EXPECT_EQ(verdict(outcome(2, 2, 0.26, 0.25, 2)),
            "2 × 0.25 s finished in 0.26 s: they ran concurrently");
}

TEST(Verdict, ZeroSleepSaysThereWasNoSimulatedIo) {
  EXPECT_NE(verdict(outcome(50, 50, 0.05, 0.0, 3)).find("no simulated I/O"), std::string::npos);
}

TEST(Verdict, NothingSucceededSaysSo) {
  EXPECT_EQ(verdict(outcome(3, 0, 0.01, 1.0, 0)), "none of the 3 requests succeeded");
}

TEST(Verdict, FinishingSoonerThanOneSleepSaysTheServerDidNotWait) {
  EXPECT_NE(verdict(outcome(3, 3, 0.01, 1.0, 0)).find("sooner than one sleep"), std::string::npos);
}

TEST(Verdict, WithoutAKnownSleepOnlyReportsTheTime) {
  auto s = outcome(3, 3, 0.01, 0, 0);
  s.ideal_time.reset();
  EXPECT_EQ(verdict(s), "3 requests took 0.01 s: the answers report no sleep to compare with");
}

TEST(Summarize, CountsOutcomesStatusesAndFailureReasons) {
  auto not_found = answered(3, 0.0, 0.01, "loop-0", 0, 0);
  not_found.status = 404;
  not_found.result.reset();
  const std::vector<request_record> records{answered(1, 0.0, 1.0, "loop-0", 0, 1),
                                            answered(2, 0.0, 1.0, "loop-0", 0, 1), not_found,
                                            failed(4, 0.0, 120.0, "timeout")};
  const auto s = summarize(asked_for(4), records);
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(s.ok, 2u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.statuses, (std::map<std::string, std::size_t>{{"200", 2}, {"404", 1}}));
  EXPECT_EQ(s.failures, (std::map<std::string, std::size_t>{{"HTTP 404", 1}, {"timeout", 1}}));
}

TEST(Summarize, AFewTimeoutsDoNotMakeConcurrentRequestsLookSerial) {
  const std::vector<request_record> records{
      answered(1, 0.0, 1.0, "loop-0", 0, 1), answered(2, 0.0, 1.0, "loop-0", 0, 1),
      answered(3, 0.0, 1.0, "loop-0", 0, 1), failed(4, 0.0, 120.0, "timeout")};
  const auto s = summarize(asked_for(4), records);
  EXPECT_DOUBLE_EQ(s.total_time, 120.0);
  EXPECT_EQ(s.verdict, "3 × 1.0 s finished in 1.00 s: they ran concurrently (1 failed)");
}

TEST(Summarize, TotalTimeRunsFromFirstSendToLastAnswer) {
  const std::vector<request_record> records{answered(1, 0.010, 1.015, "loop-0", 0, 1),
                                            answered(2, 0.020, 1.030, "loop-0", 0, 1)};
  EXPECT_NEAR(summarize(asked_for(2), records).total_time, 1.020, 1e-9);
}

TEST(Summarize, LatencyCoversOnlySuccessfulRequests) {
  const std::vector<request_record> records{answered(1, 0.0, 1.0, "loop-0", 0, 1),
                                            answered(2, 0.0, 2.0, "loop-0", 1, 2),
                                            failed(3, 0.0, 9.0, "connection reset")};
  const auto s = summarize(asked_for(3), records);
  ASSERT_TRUE(s.latency.has_value());
  EXPECT_DOUBLE_EQ(s.latency->min, 1.0);
  EXPECT_DOUBLE_EQ(s.latency->p50, 1.0);
  EXPECT_DOUBLE_EQ(s.latency->max, 2.0);
}

TEST(Summarize, NothingSucceededMeansNoLatency) {
  const auto s = summarize(asked_for(1), {failed(1, 0.0, 0.001, "connection refused")});
  EXPECT_FALSE(s.latency.has_value());
  EXPECT_EQ(s.verdict, "the request did not succeed");
}

TEST(Summarize, ReadsThreadsPidsOverlapAndSleepFromTheAnswers) {
  std::vector<request_record> records;
  for (std::size_t i = 1; i <= 5; ++i) {
    const double start = static_cast<double>(i - 1);
    records.push_back(answered(i, 0.0, start + 1, "loop-0", start, start + 1));
  }
  const auto s = summarize(asked_for(5), records);
  EXPECT_EQ(s.server_threads, (std::map<std::string, std::size_t>{{"loop-0", 5}}));
  EXPECT_EQ(s.server_pids, std::vector<std::int64_t>{4242});
  EXPECT_EQ(s.max_overlap, 1u);
  EXPECT_EQ(s.ideal_time, 1.0);
  EXPECT_EQ(s.serial_time, 5.0);
  EXPECT_EQ(s.verdict,
            "5 × 1.0 s took 5.00 s: they ran one after another (something blocked the server)");
}

TEST(SummaryText, ShowsHowTheAnswersSpreadOverWorkerProcesses) {
  std::vector<request_record> records;
  for (std::size_t i = 1; i <= 5; ++i) {
    records.push_back(answered(i, 0.0, 1.0, "loop-0", 0, 1));
    if (i > 2) records.back().result->pid = 4250;  // answered by a second worker
  }
  const auto s = summarize(asked_for(5), records);
  EXPECT_EQ(s.server_pids, (std::vector<std::int64_t>{4242, 4250}));
  EXPECT_EQ(s.answers_per_pid, (std::map<std::int64_t, std::size_t>{{4242, 2}, {4250, 3}}));
  const auto text = asyncscope::summary_text(s);
  EXPECT_NE(text.find("server:      pids 4242 × 2, 4250 × 3; loop-0 × 5\n"), std::string::npos)
      << text;
  const auto v = json::parse(asyncscope::summary_json(s)).as_object();
  EXPECT_EQ(v.at("answers_per_pid").at("4250"), 3);
}

TEST(Summarize, ThreadIdStandsInForAMissingThreadName) {
  const auto s = summarize(asked_for(1), {answered(1, 0.0, 1.0, "", 0, 1)});
  EXPECT_EQ(s.server_threads, (std::map<std::string, std::size_t>{{"4243", 1}}));
}

TEST(Summarize, IdealTimeFallsBackToTheRequestedSleep) {
  auto options = asked_for(2);
  options.endpoint = "/healthz";
  options.sleep = "0.5";
  auto healthy = answered(1, 0.0, 0.6, "loop-0", 0, 0);
  healthy.result.reset();
  const auto s = summarize(options, {healthy});
  EXPECT_EQ(s.ideal_time, 0.5);
}

TEST(SummaryJson, HasTheKeysTheContractPromises) {
  const auto s = summarize(
      asked_for(2), {answered(1, 0.0, 1.0, "loop-0", 0, 1), answered(2, 0.0, 1.0, "loop-0", 0, 1)});
  const auto text = asyncscope::summary_json(s);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const auto v = json::parse(text).as_object();
  for (const char* key :
       {"endpoint", "count", "ok", "failed", "total_time", "latency", "statuses", "server_threads",
        "server_pids", "max_overlap", "ideal_time", "serial_time", "verdict"}) {
    EXPECT_TRUE(v.contains(key)) << key;
  }
  for (const char* key : {"min", "p50", "p90", "p99", "max"}) {
    EXPECT_TRUE(v.at("latency").as_object().contains(key)) << key;
  }
  EXPECT_EQ(v.at("endpoint"), "/async-endpoint");
  EXPECT_EQ(v.at("ok"), 2);
  EXPECT_EQ(v.at("statuses").at("200"), 2);
  EXPECT_EQ(v.at("server_threads").at("loop-0"), 2);
  EXPECT_EQ(v.at("server_pids").at(0), 4242);
  EXPECT_EQ(v.at("serial_time"), 2.0);
}

TEST(SummaryText, EndsWithTheTotalTimeLine) {
  const auto s = summarize(asked_for(1), {answered(1, 0.0, 1.0126, "loop-0", 0, 1)});
  const auto text = asyncscope::summary_text(s);
  EXPECT_TRUE(text.ends_with("\nTOTAL TIME: 1.013\n")) << text;
  EXPECT_NE(text.find("loop-0 × 1"), std::string::npos) << text;
}

TEST(SummaryText, ShortensALongListOfThreads) {
  std::vector<request_record> records;
  for (std::size_t i = 1; i <= 40; ++i) {
    records.push_back(answered(i, 0.0, 1.0, fmt::format("pool-{:02}", i - 1), 0, 1));
  }
  const auto text = asyncscope::summary_text(summarize(asked_for(40), records));
  EXPECT_NE(text.find("40 threads: pool-00 × 1, pool-01 × 1, pool-02 × 1, ..."), std::string::npos)
      << text;
}

TEST(SummaryText, BreaksALineWiderThanTheTerminalUnderItsText) {
  std::vector<request_record> records;
  for (std::size_t i = 0; i < 50; ++i) {
    const double started = static_cast<double>(i);
    records.push_back(answered(i + 1, 0.0, started + 1.001, "loop-0", started, started + 1));
  }
  const auto text = asyncscope::summary_text(summarize(asked_for(50), records), 80);
  EXPECT_NE(text.find("\nverdict:     50 × 1.0 s took 50.00 s: they ran one after another\n"
                      "             (something blocked the server)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(asyncscope::summary_text(summarize(asked_for(50), records)).find("another\n"),
            std::string::npos)
      << "no width: no break";
}

TEST(ResponseLine, PrintsTheBodyLikeTheLessonsClient) {
  auto record = answered(3, 0.0, 1.0, "loop-0", 0, 1);
  record.body = "{\"message\": \"hi\"}\n";
  EXPECT_EQ(asyncscope::response_line(record), "Response 3: {\"message\": \"hi\"}");
}

TEST(ResponseLine, PrintsTheReasonWhenNoAnswerCame) {
  EXPECT_EQ(asyncscope::response_line(failed(7, 0.0, 1.0, "timeout")), "Response 7: ERROR timeout");
}

// Three requests run one after another on a blocked loop, each reporting its timing.
std::vector<request_record> three_in_a_row() {
  std::vector<request_record> records;
  for (std::size_t i = 1; i <= 3; ++i) {
    const double start = static_cast<double>(i - 1);
    auto r = answered(i, 0, start + 1, "loop-0", start, start + 1);
    r.result->timing = time_split{.queued = start, .busy = 1.0, .resumes = 0, .threads = {"loop-0"}};
    for (std::size_t before = i - 1; before >= 1; --before) {
      r.result->waited_behind.push_back(
          {.request_id = before, .endpoint = "/async-wrong", .seconds = 1.0, .location = "x"});
    }
    records.push_back(std::move(r));
  }
  records[2].result->waited_behind.push_back(  // a millisecond behind a fourth: not named
      {.request_id = 9, .endpoint = "/async-endpoint", .seconds = 0.001});
  return records;
}

TEST(Summary, GivesTheP50AndP99OfEachPartOfTheServersTiming) {
  const auto s = summarize(asked_for(3), three_in_a_row());
  ASSERT_TRUE(s.timing);
  EXPECT_EQ(s.timing->requests, 3u);
  EXPECT_DOUBLE_EQ(s.timing->queued.p50, 1.0);
  EXPECT_DOUBLE_EQ(s.timing->queued.p99, 2.0);
  EXPECT_DOUBLE_EQ(s.timing->busy.p99, 1.0);
  EXPECT_NE(summary_text(s).find("timing:      queued 1.0/2.0, busy 1.0/1.0, waiting 0.00/0.00 s (p50/p99)"),
            std::string::npos)
      << summary_text(s);
}

// The figures of a run under ThreadSanitizer, whose line once wrapped and pushed the timeline
// past 24 rows: one unit for the line and short figures keep it on one line of 80 columns.
TEST(Summary, TheTimingLineFitsEightyColumnsWhateverTheFigures) {
  for (const auto& [queued, busy, waiting, text] :
       std::vector<std::tuple<asyncscope::spread, asyncscope::spread, asyncscope::spread, std::string>>{
           {{0.0571, 0.0835}, {0.00051, 0.00694}, {0.204, 0.215},
            "timing:      queued 57/84, busy 0.51/6.9, waiting 204/215 ms (p50/p99)\n"},
           {{0.000976, 0.9994}, {0.0000012, 0.00123}, {0.1234, 0.9994},
            "timing:      queued 0.98/999, busy 0.00/1.2, waiting 123/999 ms (p50/p99)\n"},
           {{24.1, 1049.6}, {1, 1.39}, {0, 0},
            "timing:      queued 24/1050, busy 1.0/1.4, waiting 0.00/0.00 s (p50/p99)\n"}}) {
    auto s = summarize(asked_for(3), three_in_a_row());
    s.timing = asyncscope::timing_summary{.requests = 3, .queued = queued, .busy = busy, .waiting = waiting};
    const auto out = summary_text(s, 80);
    EXPECT_NE(out.find(text), std::string::npos) << out;
    EXPECT_LE(text.size(), 80u);
  }
}

TEST(Summary, NamesTheRequestsThatHeldTheOthersUpLongest) {
  const auto s = summarize(asked_for(3), three_in_a_row());
  ASSERT_EQ(s.held_up_by.size(), 2u);
  EXPECT_EQ(s.held_up_by[0].request_id, 1u);  // held #2 and #3
  EXPECT_DOUBLE_EQ(s.held_up_by[0].seconds, 2.0);
  EXPECT_EQ(s.held_up_by[0].requests, 2u);
  EXPECT_EQ(s.held_up_by[1].request_id, 2u);
  EXPECT_NE(summary_text(s).find("held up by:  #1 /async-wrong: 2.00 s of others' waiting (2 "
                                 "requests) in x; #2"),
            std::string::npos)
      << summary_text(s);
}

TEST(Summary, WithoutTimingsSaysNothingAboutThem) {
  const auto s = summarize(asked_for(1), {answered(1, 0, 1, "loop-0", 0, 1)});
  EXPECT_FALSE(s.timing);
  EXPECT_TRUE(s.held_up_by.empty());
  EXPECT_EQ(summary_text(s).find("timing:"), std::string::npos);
  EXPECT_NE(summary_json(s).find(R"("timing": null)"), std::string::npos) << summary_json(s);
}
