#include "log_queue.hpp"

#include "logging.hpp"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

namespace asyncscope {

namespace {

// After sleeping, the writer waits this long before taking the lines: a burst is then written
// (and flushed) at once, and the threads that log wake the writer about once a millisecond at
// most rather than on every line. Nobody watching a log notices a millisecond.
constexpr auto gather_time = std::chrono::milliseconds(1);

// At most one warning about dropped lines a second: a flood of warnings would fill the queue too.
constexpr auto warning_interval = std::chrono::seconds(1);

// Formatted lines are handed to the output in pieces of about this size.
constexpr std::size_t write_chunk_bytes = 64 * 1024;

}  // namespace

log_queue::log_queue(std::size_t capacity, output write)
    : capacity_(capacity),
      formatter_(std::make_unique<spdlog::pattern_formatter>()),
      write_(std::move(write)),
      last_warning_(std::chrono::steady_clock::now() - warning_interval) {
  waiting_.reserve(std::min<std::size_t>(capacity_, 1024));  // grows up to capacity_ if needed
  writer_ = std::thread([this] { run_writer(); });
}

log_queue::~log_queue() {
  stop();
}

void log_queue::log(const spdlog::details::log_msg& msg) {
  queued_line line{spdlog::details::log_msg_buffer{msg}, this_thread_name()};
  {
    std::unique_lock lock{mutex_};
    if (!stopped_) {
      if (waiting_.size() >= capacity_) {
        ++dropped_since_taken_;
        ++dropped_total_;
        return;
      }
      waiting_.push_back(std::move(line));
      ++accepted_;
      const bool wake_writer = std::exchange(writer_asleep_, false);
      lock.unlock();
      if (wake_writer) lines_waiting_.notify_one();
      return;
    }
  }
  // The writer has ended (the process is exiting): this thread writes its line itself.
  const std::lock_guard output_lock{output_mutex_};
  spdlog::memory_buf_t text;
  {
    const formatting_line_of author{line.thread_name};
    formatter_->format(line.msg, text);
  }
  write_({text.data(), text.size()});
}

void log_queue::flush() {
  std::unique_lock lock{mutex_};
  const auto logged_so_far = accepted_;
  lines_written_.wait(lock, [&] { return written_ >= logged_so_far || stopped_; });
}

bool log_queue::flush_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock{mutex_};
  const auto logged_so_far = accepted_;
  return lines_written_.wait_for(lock, timeout,
                                 [&] { return written_ >= logged_so_far || stopped_; });
}

void log_queue::set_pattern(const std::string& pattern) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
}

void log_queue::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  const std::lock_guard lock{output_mutex_};
  formatter_ = std::move(formatter);
}

void log_queue::stop() {
  {
    const std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  lines_waiting_.notify_one();
  if (writer_.joinable()) writer_.join();
}

std::uint64_t log_queue::dropped() const {
  const std::lock_guard lock{mutex_};
  return dropped_total_;
}

void log_queue::run_writer() {
  name_this_thread("log-writer");
  std::vector<queued_line> batch;
  batch.reserve(std::min<std::size_t>(capacity_, 1024));
  std::unique_lock lock{mutex_};
  for (;;) {
    const bool lines_to_write = !waiting_.empty() || dropped_since_taken_ > 0;
    const auto now = std::chrono::steady_clock::now();
    const bool warning_due =
        unreported_drops_ > 0 && (stopping_ || now - last_warning_ >= warning_interval);
    if (!lines_to_write && !warning_due) {
      if (stopping_) break;
      writer_asleep_ = true;
      if (unreported_drops_ > 0) {
        lines_waiting_.wait_until(lock, last_warning_ + warning_interval);
      } else {
        lines_waiting_.wait(lock);
      }
      writer_asleep_ = false;
      if (!waiting_.empty() && !stopping_) {
        lock.unlock();
        std::this_thread::sleep_for(gather_time);
        lock.lock();
      }
      continue;
    }
    batch.swap(waiting_);
    unreported_drops_ += std::exchange(dropped_since_taken_, 0);
    const bool warn =
        unreported_drops_ > 0 && (stopping_ || now - last_warning_ >= warning_interval);
    lock.unlock();
    write_batch(batch, warn);
    const auto count = batch.size();
    batch.clear();
    lock.lock();
    written_ += count;
    lines_written_.notify_all();
  }
  // Still under the lock: from now on log() writes on the caller, so no line is left behind.
  stopped_ = true;
  lines_written_.notify_all();
}

void log_queue::write_batch(const std::vector<queued_line>& lines, bool warn_about_drops) {
  const std::lock_guard output_lock{output_mutex_};
  spdlog::memory_buf_t text;
  std::size_t unwritten = 0;  // lines formatted into `text` and not yet handed to the output
  const auto hand_over = [&] {
    try {
      write_({text.data(), text.size()});
    } catch (const std::exception& e) {
      // The log cannot tell about its own failure; stderr can.
      fmt::print(stderr, "asyncscope: {} log line(s) could not be written: {}\n", unwritten,
                 e.what());
    }
    text.clear();
    unwritten = 0;
  };
  for (const auto& line : lines) {
    const formatting_line_of author{line.thread_name};
    formatter_->format(line.msg, text);
    ++unwritten;
    if (text.size() >= write_chunk_bytes) hand_over();
  }
  // The lines were dropped after the last line of this batch: the warning goes where they are
  // missing, unless one was written less than a second ago.
  if (warn_about_drops) {
    const auto warning = fmt::format(
        "WARN {} log line(s) dropped: the log queue was full ({} lines waiting to be written; "
        "--log-queue sets it); asyncscope_log_lines_dropped_total in /metrics counts them",
        unreported_drops_, capacity_);
    const spdlog::details::log_msg msg{spdlog::source_loc{}, "asyncscope", spdlog::level::warn,
                                       warning};
    formatter_->format(msg, text);
    ++unwritten;
    unreported_drops_ = 0;
    last_warning_ = std::chrono::steady_clock::now();
  }
  if (text.size() > 0) hand_over();
}

}  // namespace asyncscope
