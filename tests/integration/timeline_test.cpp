// --timeline and --export, end to end: the real server on a free port, the real client, sleep
// 0.2 s, and what a user would see in the terminal or find in the file.

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
#include <utility>

namespace json = boost::json;
using asyncscope::testing::number;
using asyncscope::testing::run_client;
using asyncscope::testing::run_program;
using asyncscope::testing::run_result;
using asyncscope::testing::scaled;
using asyncscope::testing::server_process;

namespace {

// Runs the client against `server` with `count` requests of 0.2 s each, plus `flags`.
run_result run_against(const server_process& server, const std::string& endpoint, int count,
                std::vector<std::string> flags) {
  std::vector<std::string> args{
      "-e",      endpoint, "-c", std::to_string(count), "--port", std::to_string(server.port()),
      "--sleep", "0.2"};
  args.insert(args.end(), flags.begin(), flags.end());
  return run_client(args);
}

// One row of bars: "  loop-0 │█████   │ × 4".
struct row {
  std::string label;  // the thread, "3 threads", or empty under a row of the same thread
  std::string bars;   // between the two │
  std::string note;   // after them: "× 4", "2nd", or empty
};

std::vector<row> rows_of(const std::string& out) {
  std::vector<row> rows;
  const std::regex pattern{"^  (.*?) *│(.*)│(?: (.*))?$"};
  std::istringstream lines(out);
  std::smatch m;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, m, pattern)) rows.push_back({m[1], m[2], m[3]});
  }
  return rows;
}

// The rows a note such as "× 4" says a drawn row stands for; 1 without one.
std::size_t rows_stood_for(const row& r) {
  const auto at = r.note.find("× ");
  return at == std::string::npos ? 1 : std::stoul(r.note.substr(at + std::string("× ").size()));
}

// The bars of one row, left to right, each as the glyph it is drawn with: a bar ends where a
// blank or the other glyph begins.
std::vector<std::string> bars_in(const std::string& plot) {
  std::vector<std::string> bars;
  std::string previous;
  const std::regex glyph{"█|▒| "};
  for (auto it = std::sregex_iterator(plot.begin(), plot.end(), glyph);
       it != std::sregex_iterator(); ++it) {
    const auto current = it->str();
    if (current != " " && current != previous) bars.push_back(current);
    previous = current;
  }
  return bars;
}

// The character column where a row's bars begin and end (counting UTF-8 characters); the dots
// of queued time before a bar are not the bar.
std::pair<std::size_t, std::size_t> drawn_span(const std::string& plot) {
  std::size_t column = 0;
  std::size_t first = std::string::npos;
  std::size_t last = 0;
  for (std::size_t i = 0; i < plot.size(); ++i) {
    const char c = plot[i];
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
    const bool queued = plot.compare(i, std::string_view("·").size(), "·") == 0;
    if (c != ' ' && !queued) {
      first = std::min(first, column);
      last = column;
    }
    ++column;
  }
  return {first, last};
}

// How many columns a line takes on screen: one per character, however many UTF-8 bytes it has.
std::size_t columns_of(const std::string& line) {
  std::size_t n = 0;
  for (const char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Lines back into one text, for a failure message.
std::string text_of_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
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

// True when `text` is the verdict, its line and the lines it wraps onto (indented under it), up
// to the end: a slow run's verdict says why it took longer and takes two lines.
bool only_verdict_lines_follow(const std::string& text) {
  if (!text.starts_with("verdict:     ")) return false;
  std::istringstream lines{text};
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    if (!line.starts_with("             ")) return false;
  }
  return true;
}

}  // namespace

TEST(Timeline, AsyncRequestsOnTheLoopThreadThatLookTheSameAreDrawnOnce) {
  server_process server;
  const auto run = run_against(server, "async-endpoint", 4, {"--timeline"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto rows = rows_of(run.out);
  ASSERT_GE(rows.size(), 1u) << run.out;
  ASSERT_LE(rows.size(), 4u) << run.out;
  EXPECT_EQ(rows[0].label, "loop-0") << run.out;
  std::size_t stood_for = 0;
  for (const auto& r : rows) stood_for += rows_stood_for(r);
  EXPECT_EQ(stood_for, 4u) << "one row per request, or a row with × for alike ones\n" << run.out;
  EXPECT_NE(run.out.find(", server pid " + std::to_string(server.pid()) + "\n"), std::string::npos)
      << run.out;
  EXPECT_LT(run.out.find("TOTAL TIME: "), run.out.find("timeline: ")) << run.out;
  const auto last_lines = run.out.substr(run.out.rfind("\nthreads:") + 1);
  EXPECT_TRUE(last_lines.starts_with("threads:     loop-0 ran 4 requests\n"
                                     "verdict:     4 × 0.2 s "))
      << "the threads and the verdict again at the end\n"
      << run.out;
  EXPECT_TRUE(only_verdict_lines_follow(last_lines.substr(last_lines.find("\nverdict:") + 1)))
      << run.out;
  EXPECT_EQ(run.out.find("Response 1:"), std::string::npos) << "the timeline replaces them";
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << "no colour into a pipe";
}

TEST(Timeline, AsyncWrongRequestsAreAStaircaseOneStepEach) {
  server_process server;
  const auto run = run_against(server, "async-wrong", 3, {"--timeline"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto rows = rows_of(run.out);
  ASSERT_EQ(rows.size(), 3u) << run.out;
  EXPECT_EQ(rows[0].label, "loop-0") << run.out;
  const std::vector<std::string> notes{"1st", "2nd", "3rd"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].note, notes[i]) << run.out;
    EXPECT_EQ(bars_in(rows[i].bars).size(), 1u) << run.out;
    if (i > 0) {
      EXPECT_GE(drawn_span(rows[i].bars).first, drawn_span(rows[i - 1].bars).second)
          << "each starts when the one before has ended\n"
          << run.out;
    }
  }
  EXPECT_NE(run.out.find("one after another (something blocked the server)\n"), std::string::npos)
      << run.out;
  // The third waited for the two before it: ready while the first ran, its dots begin before the
  // first bar ends (counted in characters, as drawn_span counts).
  const auto dots = rows[2].bars.find("·");
  ASSERT_NE(dots, std::string::npos) << run.out;
  EXPECT_LT(drawn_span(rows[2].bars.substr(0, dots) + "x").second, drawn_span(rows[0].bars).second)
      << run.out;
  EXPECT_NE(run.out.find("· queued: ready, its thread held"), std::string::npos) << run.out;
}

TEST(Timeline, SyncRequestsRunOnPoolThreads) {
  server_process server;
  const auto run = run_against(server, "sync-endpoint", 3, {"--timeline"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::size_t stood_for = 0;
  for (const auto& r : rows_of(run.out)) {
    stood_for += rows_stood_for(r);
    EXPECT_TRUE(r.label.starts_with("pool-") || r.label.ends_with(" threads")) << run.out;
  }
  EXPECT_EQ(stood_for, 3u) << run.out;
  const std::regex three_pool_threads{
      "\nthreads: +3 threads ran 3 requests: pool-[0-9]+, pool-[0-9]+, pool-[0-9]+\n"};
  EXPECT_TRUE(std::regex_search(run.out, three_pool_threads)) << run.out;
}

TEST(Timeline, IsAsWideAsTheColumnsVariableSays) {
  server_process server;
  setenv("COLUMNS", "60", 1);
  const auto run = run_against(server, "async-wrong", 3, {"--timeline"});
  unsetenv("COLUMNS");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::size_t widest_row = 0;
  for (const auto& line : lines_of(run.out)) {
    EXPECT_LE(columns_of(line), 60u) << line;
    if (line.find("│") != std::string::npos) widest_row = std::max(widest_row, columns_of(line));
  }
  EXPECT_EQ(widest_row, 60u) << run.out;
}

TEST(Export, JsonLinesHasOneRecordPerRequestOnTheServersClock) {
  server_process server;
  temporary_file file(".jsonl");
  const auto run = run_against(server, "async-endpoint", 3, {"--json", "--export", file.path()});
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
    // The sleep, and on a busy machine a late wake-up: the timer fires after 0.2 s, never before.
    EXPECT_GE(number(r.at("duration")), 0.2 - 0.001) << line;
    EXPECT_LE(number(r.at("duration")), 0.2 + scaled(0.1)) << line;
  }
  EXPECT_EQ(indexes, (std::set<std::int64_t>{1, 2, 3}));
}

TEST(Export, CsvHasAHeaderAndARowPerRequest) {
  server_process server;
  temporary_file file(".csv");
  const auto run = run_against(server, "sync-endpoint", 4, {"--export", file.path()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("TOTAL TIME: "), std::string::npos) << run.out;

  auto lines = split(file.text(), "\r\n");
  ASSERT_EQ(lines.back(), "") << "the file ends with a line end";
  lines.pop_back();
  ASSERT_EQ(lines.size(), 5u) << file.text();
  EXPECT_EQ(lines[0],
            "index,sent_at,received_at,latency,status,error,request_id,pid,thread_id,thread_name,"
            "started_at,finished_at,duration,queued,busy,waiting,resumes,waited_behind");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = split(lines[i], ",");
    ASSERT_EQ(cells.size(), 18u) << lines[i];
    EXPECT_EQ(cells[0], std::to_string(i));
    EXPECT_EQ(cells[4], "200");
    EXPECT_EQ(cells[7], std::to_string(server.pid()));
    EXPECT_TRUE(cells[9].starts_with("pool-")) << lines[i];
    EXPECT_NEAR(std::stod(cells[12]), 0.2, 0.05) << lines[i];
    EXPECT_NEAR(std::stod(cells[14]), 0.2, 0.05) << "busy: its pool thread's sleep\n" << lines[i];
  }
}

TEST(Export, SvgPictureHasABarPerRequestAndNamesTheThread) {
  server_process server;
  temporary_file file(".svg");
  const auto run = run_against(server, "async-wrong", 3, {"--export", file.path()});
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
  const auto run = run_against(server, "async-endpoint", 1, {"--export", "runs.txt"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find("--export"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(".csv, .jsonl, .ndjson or .svg"), std::string::npos) << run.err;
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("just called"), std::string::npos) << server.output();
}

TEST(Export, FileThatCannotBeWrittenStopsTheRunBeforeAnythingIsSent) {
  server_process server;
  const std::string path = "/nonexistent-asyncscope-directory/runs.csv";
  const auto run = run_against(server, "async-endpoint", 1, {"--export", path});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find(path), std::string::npos) << run.err;
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("just called"), std::string::npos) << server.output();
}

TEST(Export, WriteThatFailsAfterTheRunComesAfterTheSummary) {
  server_process server;
  temporary_file file(".csv");
  std::filesystem::create_symlink("/dev/full", file.path());  // opens, but every write fails
  const auto run = run_against(server, "async-endpoint", 2, {"--export", file.path()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.out.find("TOTAL TIME: "), std::string::npos) << "the run's summary still shows";
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find(file.path()), std::string::npos) << run.err;
}

namespace {

// tmux, when it is on the PATH (scripts/deps.sh installs it); empty when it is not.
std::string tmux_path() {
  const auto found = run_program("/bin/sh", {"-c", "command -v tmux"});
  return found.exit_code == 0 ? found.out.substr(0, found.out.find('\n')) : "";
}

// A real terminal, 80 columns by 24 rows: a tmux server of its own (its own socket, no user
// configuration, no status line) with one window, killed when this goes out of scope.
class terminal_80x24 {
 public:
  explicit terminal_80x24(std::string tmux)
      : tmux_(std::move(tmux)),
        directory_(std::filesystem::temp_directory_path() /
                   ("asyncscope-tmux-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(directory_);
    std::ofstream(directory_ / "tmux.conf") << "set -g status off\n"
                                               "set -g default-shell /bin/sh\n"
                                               "set -g history-limit 5000\n";
  }
  ~terminal_80x24() {
    tmux({"kill-server"});
    std::filesystem::remove_all(directory_);
  }
  terminal_80x24(const terminal_80x24&) = delete;
  terminal_80x24& operator=(const terminal_80x24&) = delete;

  // Runs a shell command in the window; false if tmux could not start.
  bool run(const std::string& command) {
    const auto started = tmux({"-f", (directory_ / "tmux.conf").string(), "new-session", "-d", "-x",
                               "80", "-y", "24", "-s", "lesson", command});
    EXPECT_EQ(started.exit_code, 0) << started.out << started.err;
    return started.exit_code == 0;
  }

  // A path in a directory of this terminal's own, for the command to leave a file in.
  std::string file(const std::string& name) const { return (directory_ / name).string(); }

  // What the window shows now, row by row, without the empty rows at the bottom.
  std::vector<std::string> screen() const { return capture({}); }
  // Everything printed in the window: the lines that scrolled off the top, then the screen,
  // with each line the terminal wrapped joined up again.
  std::vector<std::string> everything() const { return capture({"-J", "-S", "-", "-E", "-"}); }

 private:
  run_result tmux(std::vector<std::string> args) const {
    args.insert(args.begin(), {"-S", (directory_ / "socket").string()});
    return run_program(tmux_, args);
  }
  std::vector<std::string> capture(const std::vector<std::string>& range) const {
    std::vector<std::string> args{"capture-pane", "-p", "-t", "lesson"};
    args.insert(args.end(), range.begin(), range.end());
    auto lines = lines_of(tmux(args).out);
    for (auto& line : lines) line.erase(line.find_last_not_of(' ') + 1);
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }

  std::string tmux_;
  std::filesystem::path directory_;
};

// The whole file, once it exists; empty if it has not appeared by `timeout`.
std::string wait_for_file(const std::string& path, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!std::filesystem::exists(path) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(Timeline, FiftyAsyncRequestsFitAnEightyByTwentyFourTerminal) {
  const auto tmux = tmux_path();
  if (tmux.empty()) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      FAIL() << "tmux is not installed, and CI must run this test (scripts/deps.sh installs it)";
    }
    GTEST_SKIP() << "tmux is not installed (scripts/deps.sh installs it)";
  }
  server_process server;
  terminal_80x24 terminal(tmux);
  // The lesson's command with 0.2 s of I/O; then its exit code, renamed into place so that it
  // is never read half written; then the window stays open until it has been read.
  const auto exit_code = terminal.file("exit-code");
  ASSERT_TRUE(terminal.run("'" ASYNCSCOPE_CLIENT_PATH "' -e async-endpoint -c 50 --timeline "
                           "--sleep 0.2 --port " +
                           std::to_string(server.port()) + "; echo $? > '" + exit_code +
                           ".part' && mv '" + exit_code + ".part' '" + exit_code +
                           "'; exec sleep 120"));
  ASSERT_EQ(wait_for_file(exit_code, std::chrono::seconds(60)), "0\n")
      << "the client did not finish, or failed:\n"
      << text_of_lines(terminal.everything());

  const auto printed = terminal.everything();
  const auto all = text_of_lines(printed);
  EXPECT_LE(printed.size(), 24u) << all;
  for (const auto& line : printed) EXPECT_LE(columns_of(line), 80u) << line;
  EXPECT_EQ(terminal.screen(), printed) << "nothing scrolled off the top\n" << all;
  ASSERT_FALSE(printed.empty());
  EXPECT_TRUE(printed.front().starts_with("endpoint:    /async-endpoint, 50 requests")) << all;
  const auto verdict = all.rfind("\nverdict:     50 × 0.2 s ");
  ASSERT_NE(verdict, std::string::npos) << all;
  EXPECT_TRUE(only_verdict_lines_follow(all.substr(verdict + 1))) << all;
  EXPECT_NE(all.find("\nthreads:     loop-0 ran 50 requests\n"), std::string::npos) << all;
  EXPECT_EQ(all.find("Sanitizer"), std::string::npos) << all;
  EXPECT_EQ(all.find("runtime error"), std::string::npos) << all;
}
