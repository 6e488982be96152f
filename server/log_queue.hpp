#pragma once
// The log's way off the event loop: a log call only puts the line in a bounded queue; one writer
// thread formats the lines, in order, and writes them out. A loop that waited for a terminal, a
// pipe or a disk on every line would be the very blocking call this tool warns about.

#include <spdlog/details/log_msg_buffer.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asyncscope {

// An spdlog sink whose log() runs on the thread that logs and never waits for output. When
// `capacity` lines are already waiting, a new line is dropped — the loop must not wait for the
// log — and counted; the writer then writes a WARN line saying how many were dropped (at most one
// a second), where they are missing. The timestamp, thread id and thread name are those of the
// log call; only the formatting and the writing happen on the writer thread.
class log_queue final : public spdlog::sinks::sink {
 public:
  // `write` receives the formatted lines, many at a time, on the writer thread; the writer
  // calls it again only after it has returned, so it may block (a full pipe) without harm.
  using output = std::function<void(std::string_view)>;

  log_queue(std::size_t capacity, output write);
  ~log_queue() override;  // writes out what is waiting, then joins the writer
  log_queue(const log_queue&) = delete;
  log_queue& operator=(const log_queue&) = delete;

  void log(const spdlog::details::log_msg& msg) override;
  // Waits until every line logged before the call is written. Never call it on the loop.
  void flush() override;
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

  // As flush(), but gives up after `timeout` (false then): for exits that must not hang.
  bool flush_for(std::chrono::milliseconds timeout);
  // Writes out what is waiting and ends the writer thread; lines logged later are written at
  // once by the thread that logs them, so nothing logged during exit is lost.
  void stop();

  std::size_t capacity() const { return capacity_; }
  // Lines dropped so far because the queue was full.
  std::uint64_t dropped() const;

 private:
  struct queued_line {
    spdlog::details::log_msg_buffer msg;  // owns a copy of the text
    std::string thread_name;              // taken on the thread that logged
  };

  void run_writer();
  // Formats and writes `lines`, then, if asked, the warning about the lines dropped after them.
  void write_batch(const std::vector<queued_line>& lines, bool warn_about_drops);

  const std::size_t capacity_;

  mutable std::mutex mutex_;  // guards everything from here to writer_
  std::condition_variable lines_waiting_;
  std::condition_variable lines_written_;
  std::vector<queued_line> waiting_;
  std::uint64_t dropped_since_taken_ = 0;  // dropped after the last of waiting_
  std::uint64_t dropped_total_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t written_ = 0;
  bool writer_asleep_ = false;
  bool stopping_ = false;
  bool stopped_ = false;

  std::mutex output_mutex_;  // guards the formatter and `write`: the writer, or callers after stop
  std::unique_ptr<spdlog::formatter> formatter_;
  output write_;
  // The writer's own: drops not yet warned about, and when it last warned.
  std::uint64_t unreported_drops_ = 0;
  std::chrono::steady_clock::time_point last_warning_;

  std::thread writer_;
};

}  // namespace asyncscope
