#include "export.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
using asyncscope::csv_field;
using asyncscope::endpoint_result;
using asyncscope::export_format;
using asyncscope::export_format_of;
using asyncscope::load_result;
using asyncscope::request_record;

namespace {

constexpr double epoch = 1763700000.0;

// Request 1 was answered by loop-0; request 2 never connected.
load_result two_requests() {
  const endpoint_result result{.message = "Async endpoint completed!",
                               .endpoint = "/async-endpoint",
                               .request_id = 17,
                               .pid = 4242,
                               .thread_id = 4243,
                               .thread_name = "loop-0",
                               .sleep = 1.0,
                               .started_at = epoch + 0.25,
                               .finished_at = epoch + 1.25,
                               .duration = 1.0};
  return {.started_at = epoch,
          .records = {{.index = 1,
                       .sent_at = 0.125,
                       .received_at = 1.5,
                       .connected = true,
                       .status = 200,
                       .body = "",
                       .error = "",
                       .result = result},
                      {.index = 2,
                       .sent_at = 0.25,
                       .received_at = 0.375,
                       .connected = false,
                       .status = 0,
                       .body = "",
                       .error = "connection refused, twice",
                       .result = std::nullopt}}};
}

// The lines of a text, without their line ends.
std::vector<std::string> lines_of(const std::string& text, const std::string& end) {
  std::vector<std::string> lines;
  std::size_t from = 0;
  for (auto at = text.find(end, from); at != std::string::npos; at = text.find(end, from)) {
    lines.push_back(text.substr(from, at - from));
    from = at + end.size();
  }
  EXPECT_EQ(from, text.size()) << "the text does not end with a line end";
  return lines;
}

}  // namespace

TEST(ExportFormat, FollowsTheFileExtensionInAnyCase) {
  EXPECT_EQ(export_format_of("runs.csv"), export_format::csv);
  EXPECT_EQ(export_format_of("out/Runs.CSV"), export_format::csv);
  EXPECT_EQ(export_format_of("runs.jsonl"), export_format::json_lines);
  EXPECT_EQ(export_format_of("runs.ndjson"), export_format::json_lines);
  EXPECT_EQ(export_format_of("picture.svg"), export_format::svg);
}

TEST(ExportFormat, KnowsNoOtherExtension) {
  for (const char* path : {"runs.json", "runs.txt", "runs", "csv", "dir.csv/runs", ".csv.bak"}) {
    EXPECT_FALSE(export_format_of(path).has_value()) << path;
  }
}

TEST(CsvField, LeavesPlainTextAsItIs) {
  EXPECT_EQ(csv_field("loop-0"), "loop-0");
  EXPECT_EQ(csv_field(""), "");
}

TEST(CsvField, QuotesCommasQuotesAndLineBreaks) {
  EXPECT_EQ(csv_field("refused, twice"), "\"refused, twice\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
}

TEST(ExportRecord, PutsClientTimesOnTheWallClockNextToTheServers) {
  const auto run = two_requests();
  const auto r = asyncscope::export_record(run.records[0], run.started_at);
  EXPECT_DOUBLE_EQ(r.at("sent_at").as_double(), epoch + 0.125);
  EXPECT_DOUBLE_EQ(r.at("received_at").as_double(), epoch + 1.5);
  EXPECT_DOUBLE_EQ(r.at("latency").as_double(), 1.375);
  EXPECT_DOUBLE_EQ(r.at("started_at").as_double(), epoch + 0.25);
  EXPECT_DOUBLE_EQ(r.at("finished_at").as_double(), epoch + 1.25);
  EXPECT_EQ(r.at("status"), 200);
  EXPECT_EQ(r.at("request_id"), 17);
  EXPECT_EQ(r.at("thread_name"), "loop-0");
  EXPECT_EQ(r.at("error"), "");
}

TEST(ExportRecord, HasEveryFieldInOrderAndNullWhereTheServerSaidNothing) {
  const auto run = two_requests();
  const auto r = asyncscope::export_record(run.records[1], run.started_at);
  std::vector<std::string> keys;
  for (const auto& [key, value] : r) keys.emplace_back(key);
  EXPECT_EQ(keys, std::vector<std::string>(asyncscope::export_fields.begin(),
                                           asyncscope::export_fields.end()));
  for (const char* key :
       {"status", "request_id", "pid", "thread_id", "thread_name", "started_at", "duration"}) {
    EXPECT_TRUE(r.at(key).is_null()) << key;
  }
  EXPECT_EQ(r.at("error"), "connection refused, twice");
}

TEST(RecordsCsv, HasAHeaderThenOneRowPerRequest) {
  const auto lines = lines_of(asyncscope::records_csv(two_requests()), "\r\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "index,sent_at,received_at,latency,status,error,request_id,pid,thread_id,thread_name,"
            "started_at,finished_at,duration,queued,busy,waiting,resumes,waited_behind");
  EXPECT_EQ(lines[1],
            "1,1763700000.125000,1763700001.500000,1.375000,200,,17,4242,4243,loop-0,"
            "1763700000.250000,1763700001.250000,1.000000,,,,,");
  EXPECT_EQ(lines[2],
            "2,1763700000.250000,1763700000.375000,0.125000,,\"connection refused, twice\",,,,,,,,,,,,"
            "");
}

// A server that says how the request's time split: its parts, and whom it waited behind.
TEST(RecordsCsv, CarriesTheServersTimingWhenItSentOne) {
  auto run = two_requests();
  run.records[0].result->timing = asyncscope::time_split{
      .queued = 0.8, .busy = 0.2, .waiting = 0.000004, .resumes = 0, .threads = {"loop-0"}};
  run.records[0].result->waited_behind = {{.request_id = 2, .endpoint = "/async-wrong", .seconds = 0.2},
                                          {.request_id = 3, .endpoint = "/async-wrong", .seconds = 0.19}};
  const auto lines = lines_of(asyncscope::records_csv(run), "\r\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[1].ends_with(",0.800000,0.200000,0.000004,0,#2 0.200000; #3 0.190000"))
      << lines[1];
}

TEST(RecordsJsonLines, HasOneParseableObjectPerLine) {
  const auto lines = lines_of(asyncscope::records_json_lines(two_requests()), "\n");
  ASSERT_EQ(lines.size(), 2u);
  const auto first = json::parse(lines[0]).as_object();
  EXPECT_EQ(first.at("index"), 1);
  EXPECT_EQ(first.at("pid"), 4242);
  EXPECT_DOUBLE_EQ(first.at("started_at").as_double(), epoch + 0.25);
  const auto second = json::parse(lines[1]).as_object();
  EXPECT_EQ(second.at("index"), 2);
  EXPECT_TRUE(second.at("thread_name").is_null());
}

TEST(ExportText, WritesThePictureForSvg) {
  asyncscope::summary s;
  s.endpoint = "/async-endpoint";
  const auto svg = asyncscope::export_text(export_format::svg, two_requests(), s);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find(">loop-0</text>"), std::string::npos);
}
