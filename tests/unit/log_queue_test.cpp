// The log queue: lines leave the thread that logs at once, come out in order with the name of the
// thread that logged them, and a full queue drops new lines, counts them and says so.

#include "log_queue.hpp"
#include "logging.hpp"
#include "metrics.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace asyncscope;
using namespace std::chrono_literals;

namespace {

// Stands in for stdout. While `held` the writer waits inside write(), as it would on a pipe
// nobody reads, so a test can fill the queue behind it.
class test_output {
 public:
  log_queue::output writer() {
    return [this](std::string_view text) {
      std::unique_lock lock{mutex_};
      ++writes_started_;
      changed_.notify_all();
      changed_.wait(lock, [this] { return !held_; });
      text_.append(text);
      changed_.notify_all();
    };
  }
  void hold() {
    const std::lock_guard lock{mutex_};
    held_ = true;
  }
  void release() {
    const std::lock_guard lock{mutex_};
    held_ = false;
    changed_.notify_all();
  }
  // Waits until the writer is inside write() for the `n`th time.
  bool wait_for_writes_started(int n) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, 5s, [&] { return writes_started_ >= n; });
  }
  bool wait_for_text(const std::string& needle, std::chrono::milliseconds timeout) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, timeout,
                             [&] { return text_.find(needle) != std::string::npos; });
  }
  std::vector<std::string> lines() const {
    const std::lock_guard lock{mutex_};
    std::vector<std::string> result;
    std::istringstream in{text_};
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_;
  bool held_ = false;
  int writes_started_ = 0;
};

// The lines' texts (after the pattern's last " | "), in the order they were written.
std::vector<std::string> texts(const std::vector<std::string>& lines) {
  std::vector<std::string> result;
  for (const auto& line : lines) result.push_back(line.substr(line.rfind(" | ") + 3));
  return result;
}

struct queue_and_logger {
  queue_and_logger(std::size_t capacity, test_output& out)
      : queue(std::make_shared<log_queue>(capacity, out.writer())), logger("test", queue) {
    queue->set_formatter(make_log_formatter());
  }
  std::shared_ptr<log_queue> queue;
  spdlog::logger logger;
};

}  // namespace

TEST(LogQueue, LinesComeOutInTheOrderTheyWereLogged) {
  test_output out;
  queue_and_logger log{1000, out};  // room for all: the writer may not get a turn meanwhile
  for (int i = 0; i < 1000; ++i) log.logger.info("line {}", i);
  log.queue->flush();
  const auto written = texts(out.lines());
  ASSERT_EQ(written.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(written[i], "line " + std::to_string(i));
  EXPECT_EQ(log.queue->dropped(), 0u);
}

TEST(LogQueue, EachLineNamesTheThreadThatLoggedItNotTheWriter) {
  test_output out;
  queue_and_logger log{100'000, out};
  const std::vector<std::string> names{"loop-0", "pool-07", "pool-31", "watchdog"};
  std::map<std::string, long> os_ids;
  std::mutex os_ids_mutex;
  std::vector<std::thread> threads;
  for (const auto& name : names) {
    threads.emplace_back([&, name] {
      name_this_thread(name);
      {
        const std::lock_guard lock{os_ids_mutex};
        os_ids[name] = this_thread_os_id();
      }
      for (int i = 0; i < 300; ++i) log.logger.info("from {} #{}", name, i);
    });
  }
  for (auto& thread : threads) thread.join();
  log.queue->flush();

  const std::regex line{R"(Thread ID: (\d+) \((\S+)\) \| from (\S+) #(\d+)$)"};
  std::map<std::string, int> next;  // each thread's lines come out in its own order
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), names.size() * 300);
  for (const auto& text : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(text, m, line)) << text;
    EXPECT_EQ(m[2], m[3]) << text;
    EXPECT_EQ(std::stol(m[1]), os_ids[m[3]]) << text;
    EXPECT_EQ(std::stoi(m[4]), next[m[3]]++) << text;
  }
}

// Seconds since midnight in a line's `HH:MM:SS.ffffff` stamp.
double stamp_of(const std::string& line) {
  return std::stod(line.substr(0, 2)) * 3600 + std::stod(line.substr(3, 2)) * 60 +
         std::stod(line.substr(6, 9));
}

TEST(LogQueue, TheTimeOfALineIsWhenItWasLoggedNotWhenItWasWritten) {
  test_output out;
  queue_and_logger log{100, out};
  out.hold();
  log.logger.info("first");
  ASSERT_TRUE(out.wait_for_writes_started(1));
  log.logger.info("early");  // both wait in the queue until the writer is released
  std::this_thread::sleep_for(300ms);
  log.logger.info("late");
  out.release();
  log.queue->flush();
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 3u);
  auto apart = stamp_of(lines[2]) - stamp_of(lines[1]);
  if (apart < 0) apart += 24 * 3600;  // midnight came in between
  EXPECT_GE(apart, 0.29) << lines[1] << "\n" << lines[2];
}

TEST(LogQueue, WhenFullNewLinesAreDroppedCountedAndWarnedAboutWhereTheyAreMissing) {
  test_output out;
  queue_and_logger log{10, out};
  out.hold();
  log.logger.info("first");
  ASSERT_TRUE(out.wait_for_writes_started(1));  // the writer holds "first"; the queue is empty
  for (int i = 0; i < 10; ++i) log.logger.info("kept {}", i);
  for (int i = 0; i < 5; ++i) log.logger.info("lost {}", i);  // returns at once all the same
  EXPECT_EQ(log.queue->dropped(), 5u);
  out.release();
  log.queue->flush();
  log.logger.info("after");
  log.queue->flush();

  const auto lines = out.lines();
  std::vector<std::string> expected{"first"};
  for (int i = 0; i < 10; ++i) expected.push_back("kept " + std::to_string(i));
  expected.push_back(
      "WARN 5 log line(s) dropped: the log queue was full (10 lines waiting to be written; "
      "--log-queue sets it); asyncscope_log_lines_dropped_total in /metrics counts them");
  expected.push_back("after");
  EXPECT_EQ(texts(lines), expected);
  ASSERT_EQ(lines.size(), expected.size());
  EXPECT_NE(lines[11].find("(log-writer) | WARN"), std::string::npos) << lines[11];
}

TEST(LogQueue, AnotherDropWithinASecondIsWarnedAboutOnceTheSecondIsOver) {
  test_output out;
  queue_and_logger log{4, out};
  for (const int round : {1, 2}) {
    out.hold();
    log.logger.info("round {}", round);
    ASSERT_TRUE(out.wait_for_writes_started(round == 1 ? 1 : 3));
    for (int i = 0; i < 4 + round; ++i) log.logger.info("round {} line {}", round, i);
    out.release();
    log.queue->flush();
  }
  // Round 1 was warned about at once; round 2's warning waits for the second to pass.
  EXPECT_TRUE(out.wait_for_text("WARN 1 log line(s)", 0ms));
  EXPECT_FALSE(out.wait_for_text("WARN 2 log line(s)", 100ms));
  EXPECT_TRUE(out.wait_for_text("WARN 2 log line(s)", 5s));
  EXPECT_EQ(log.queue->dropped(), 3u);
}

TEST(LogQueue, StopWritesWhatIsWaitingAndLaterLinesAreWrittenAtOnce) {
  test_output out;
  queue_and_logger log{1000, out};
  for (int i = 0; i < 500; ++i) log.logger.info("line {}", i);
  log.queue->stop();
  EXPECT_EQ(out.lines().size(), 500u);
  log.logger.info("logged during exit");
  EXPECT_EQ(texts(out.lines()).back(), "logged during exit");
}

TEST(LogQueue, DroppedLinesAreAMetric) {
  metrics_snapshot s;
  s.log_lines_dropped = 7;
  EXPECT_NE(prometheus_text(s).find("\nasyncscope_log_lines_dropped_total 7\n"), std::string::npos);
}
