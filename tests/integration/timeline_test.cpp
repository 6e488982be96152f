// --timeline and --export, end to end: the real server on a free port, the real client, sleep
// 0.2 s (longer in a slower build: timing.hpp), and what a user would see in the terminal or find
// in the file.

#include "processes.hpp"

#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace json = boost::json;
using asyncscope::testing::number;
using asyncscope::testing::run_client_against;
using asyncscope::testing::run_result;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;

namespace {

// One simulated I/O.
double one_sleep() {
  return scaled(0.2);
}

// Runs the client, quiet, against `server` with `count` requests of one sleep each, plus `flags`.
run_result run_quietly(const server_process& server, const std::string& endpoint, int count,
                       std::vector<std::string> flags) {
  flags.insert(flags.begin(), {"--sleep", seconds_text(one_sleep()), "-q"});
  return run_client_against(server, endpoint, count, flags);
}

// The rows of the timeline that hold lanes: "  loop-0 │█████   │".
std::vector<std::string> lane_rows(const std::string& out) {
  std::vector<std::string> rows;
  const std::regex row{"^  (\\S*) *│.*│$"};
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, row)) rows.push_back(line);
  }
  return rows;
}

// The thread name a lane row starts with; empty for a thread's second and later lanes.
std::string label_of(const std::string& row) {
  return row.substr(2, row.find(' ', 2) - 2);
}

// The bars of one lane row, left to right, each as the glyph it is drawn with: a bar ends
// where a blank or the other glyph begins.
std::vector<std::string> bars_in(const std::string& row) {
  std::vector<std::string> bars;
  std::string previous;
  const std::regex glyph{"█|▒| "};
  const auto plot = row.substr(row.find("│") + std::string("│").size());
  for (auto it = std::sregex_iterator(plot.begin(), plot.end(), glyph);
       it != std::sregex_iterator(); ++it) {
    const auto current = it->str();
    if (current != " " && current != previous) bars.push_back(current);
    previous = current;
  }
  return bars;
}

// A file in the temporary directory named for this test, removed when the test ends.
class temporary_file {
 public:
  explicit temporary_file(const std::string& extension)
      : path_(std::filesystem::temp_directory_path() /
              (std::string("asyncscope-") +
               ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
               std::to_string(getpid()) + extension)) {}
  ~temporary_file() { std::filesystem::remove(path_); }
  temporary_file(const temporary_file&) = delete;
  temporary_file& operator=(const temporary_file&) = delete;

  std::string path() const { return path_.string(); }
  std::string text() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> split(const std::string& text, const std::string& separator) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (auto at = text.find(separator); at != std::string::npos; at = text.find(separator, from)) {
    parts.push_back(text.substr(from, at - from));
    from = at + separator.size();
  }
  parts.push_back(text.substr(from));
  return parts;
}

}  // namespace

TEST(Timeline, AsyncRequestsStackUpOnTheLoopThreadOneRowEach) {
  server_process server;
  const auto run = run_quietly(server, "async-endpoint", 4, {"--timeline"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto rows = lane_rows(run.out);
  ASSERT_EQ(rows.size(), 4u) << run.out;
  EXPECT_EQ(label_of(rows[0]), "loop-0") << run.out;
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(label_of(rows[i]), "") << rows[i];
  EXPECT_NE(run.out.find("server pid " + std::to_string(server.pid()) + "\n"), std::string::npos)
      << run.out;
  EXPECT_LT(run.out.find("TOTAL TIME: "), run.out.find("timeline: ")) << run.out;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << "no colour into a pipe";
}

TEST(Timeline, AsyncWrongRequestsLineUpInOneRowTellingEachApart) {
  server_process server;
  const auto run = run_quietly(server, "async-wrong", 3, {"--timeline"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto rows = lane_rows(run.out);
  ASSERT_EQ(rows.size(), 1u) << run.out;
  EXPECT_EQ(label_of(rows[0]), "loop-0");
  EXPECT_EQ(bars_in(rows[0]), (std::vector<std::string>{"█", "▒", "█"})) << rows[0];
}

TEST(Timeline, SyncRequestsGetARowPerPoolThread) {
  server_process server;
  const auto run = run_quietly(server, "sync-endpoint", 3, {"--timeline"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto rows = lane_rows(run.out);
  ASSERT_EQ(rows.size(), 3u) << run.out;
  std::set<std::string> threads;
  for (const auto& row : rows) threads.insert(label_of(row));
  EXPECT_EQ(threads.size(), 3u) << run.out;
  for (const auto& name : threads) EXPECT_TRUE(name.starts_with("pool-")) << name;
}

TEST(Timeline, IsAsWideAsTheColumnsVariableSays) {
  server_process server;
  setenv("COLUMNS", "60", 1);
  const auto run = run_quietly(server, "async-endpoint", 2, {"--timeline"});
  unsetenv("COLUMNS");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  for (const auto& row : lane_rows(run.out)) {
    std::size_t columns = 0;  // one per character, however many UTF-8 bytes it has
    for (const char c : row) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    EXPECT_EQ(columns, 60u) << row;
  }
}

TEST(Export, JsonLinesHasOneRecordPerRequestOnTheServersClock) {
  server_process server;
  temporary_file file(".jsonl");
  const auto run = run_quietly(server, "async-endpoint", 3, {"--json", "--export", file.path()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(json::parse(run.out).as_object().at("ok"), 3) << "stdout is still only the summary";

  auto lines = split(file.text(), "\n");
  ASSERT_EQ(lines.back(), "") << "the file ends with a line end";
  lines.pop_back();
  ASSERT_EQ(lines.size(), 3u) << file.text();
  std::set<std::int64_t> indexes;
  for (const auto& line : lines) {
    const auto r = json::parse(line).as_object();
    indexes.insert(r.at("index").as_int64());
    EXPECT_EQ(r.at("status"), 200);
    EXPECT_EQ(r.at("error"), "");
    EXPECT_EQ(r.at("pid"), server.pid());
    EXPECT_EQ(r.at("thread_name"), "loop-0");
    EXPECT_TRUE(r.at("thread_id").is_int64());
    EXPECT_TRUE(r.at("request_id").is_number());
    const double sent = number(r.at("sent_at"));
    const double started = number(r.at("started_at"));
    const double finished = number(r.at("finished_at"));
    const double received = number(r.at("received_at"));
    // One machine, one wall clock: the server's run sits inside the client's, within a few ms.
    EXPECT_LE(sent, started + 0.005) << line;
    EXPECT_LE(started, finished) << line;
    EXPECT_LE(finished, received + 0.005) << line;
    EXPECT_NEAR(number(r.at("latency")), received - sent, 1e-5) << line;
    EXPECT_NEAR(number(r.at("duration")), one_sleep(), scaled(0.05)) << line;
  }
  EXPECT_EQ(indexes, (std::set<std::int64_t>{1, 2, 3}));
}

TEST(Export, CsvHasAHeaderAndARowPerRequest) {
  server_process server;
  temporary_file file(".csv");
  const auto run = run_quietly(server, "sync-endpoint", 4, {"--export", file.path()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("TOTAL TIME: "), std::string::npos) << run.out;

  auto lines = split(file.text(), "\r\n");
  ASSERT_EQ(lines.back(), "") << "the file ends with a line end";
  lines.pop_back();
  ASSERT_EQ(lines.size(), 5u) << file.text();
  EXPECT_EQ(lines[0],
            "index,sent_at,received_at,latency,status,error,request_id,pid,thread_id,thread_name,"
            "started_at,finished_at,duration");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = split(lines[i], ",");
    ASSERT_EQ(cells.size(), 13u) << lines[i];
    EXPECT_EQ(cells[0], std::to_string(i));
    EXPECT_EQ(cells[4], "200");
    EXPECT_EQ(cells[7], std::to_string(server.pid()));
    EXPECT_TRUE(cells[9].starts_with("pool-")) << lines[i];
    EXPECT_NEAR(std::stod(cells[12]), one_sleep(), scaled(0.05)) << lines[i];
  }
}

TEST(Export, SvgPictureHasABarPerRequestAndNamesTheThread) {
  server_process server;
  temporary_file file(".svg");
  const auto run = run_quietly(server, "async-wrong", 3, {"--export", file.path()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto svg = file.text();
  EXPECT_TRUE(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ")) << svg;
  EXPECT_TRUE(svg.ends_with("</svg>\n")) << svg;
  std::size_t bars = 0;
  for (auto at = svg.find("<rect class=\"bar\""); at != std::string::npos;
       at = svg.find("<rect class=\"bar\"", at + 1)) {
    ++bars;
  }
  EXPECT_EQ(bars, 3u);
  EXPECT_NE(svg.find(">loop-0</text>"), std::string::npos);
  EXPECT_NE(svg.find(">/async-wrong: 3 requests"), std::string::npos);
  EXPECT_NE(svg.find("one after another"), std::string::npos) << "the verdict is on the picture";
}

TEST(Export, UnknownExtensionIsAUsageErrorAndNothingIsSent) {
  server_process server;
  const auto run = run_quietly(server, "async-endpoint", 1, {"--export", "runs.txt"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find("--export"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(".csv, .jsonl, .ndjson or .svg"), std::string::npos) << run.err;
  std::this_thread::sleep_for(scaled(std::chrono::milliseconds(100)));
  EXPECT_EQ(server.output().find("just called"), std::string::npos) << server.output();
}

TEST(Export, FileThatCannotBeWrittenStopsTheRunBeforeAnythingIsSent) {
  server_process server;
  const std::string path = "/nonexistent-asyncscope-directory/runs.csv";
  const auto run = run_quietly(server, "async-endpoint", 1, {"--export", path});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find(path), std::string::npos) << run.err;
  std::this_thread::sleep_for(scaled(std::chrono::milliseconds(100)));
  EXPECT_EQ(server.output().find("just called"), std::string::npos) << server.output();
}

TEST(Export, WriteThatFailsAfterTheRunComesAfterTheSummary) {
  server_process server;
  temporary_file file(".csv");
  std::filesystem::create_symlink("/dev/full", file.path());  // opens, but every write fails
  const auto run = run_quietly(server, "async-endpoint", 2, {"--export", file.path()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.out.find("TOTAL TIME: "), std::string::npos) << "the run's summary still shows";
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find(file.path()), std::string::npos) << run.err;
}
