#include "logging.hpp"

#include "log_queue.hpp"
#include "platform.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>
#include <utility>

namespace asyncscope {

namespace {

thread_local std::string thread_name = "main";
// Set on the log writer while it formats another thread's line (formatting_line_of).
thread_local const std::string* line_thread_name = nullptr;

// The `%N` flag in the log pattern: the name of the thread that logged the line. The formatter
// runs on the log writer, so the name was taken at the log call and travels with the line.
class thread_name_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto& name = line_thread_name != nullptr ? *line_thread_name : thread_name;
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<thread_name_flag>();
  }
};

// Overrides spdlog's `%P`, which asks the kernel (getpid) again for every line: on the log
// writer that was most of its time. The id is taken once, when the formatter is made; a process
// that forks sets up its own logging (its writer thread does not survive the fork).
class process_id_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    dest.append(id_.data(), id_.data() + id_.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<process_id_flag>();
  }

 private:
  std::string id_ = std::to_string(getpid());
};

// The server's one log queue; the default logger writes into it.
std::shared_ptr<log_queue> server_log;

// The writer flushes after each batch, so a log watched live (through a pipe too) keeps up.
// With --workers several processes share this stdout: a write of at most PIPE_BUF bytes to a
// pipe is never mixed with another process's, so each write is whole lines of at most that.
void write_to_stdout(std::string_view text) {
  while (!text.empty()) {
    auto piece = text.substr(0, PIPE_BUF);
    if (piece.size() < text.size()) {
      const auto last_line_end = piece.rfind('\n');
      if (last_line_end != std::string_view::npos) piece = piece.substr(0, last_line_end + 1);
    }
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    text.remove_prefix(piece.size());
  }
}

// Whatever ends the process, what was logged before is written first.
void stop_log_writer() {
  if (server_log) server_log->stop();
}

std::terminate_handler default_terminate = nullptr;

[[noreturn]] void write_logs_then_terminate() {
  flush_logs_for(std::chrono::seconds(1));  // bounded: stdout may be a pipe nobody reads
  if (default_terminate != nullptr) default_terminate();  // says what was thrown
  std::abort();
}

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<thread_name_flag>('N').add_flag<process_id_flag>('P').set_pattern(
      "%H:%M:%S.%f Process ID: %P | Thread ID: %t (%N) | %v");
  return formatter;
}

void setup_logging(spdlog::level::level_enum level, std::size_t queue_lines) {
  server_log = std::make_shared<log_queue>(queue_lines, write_to_stdout);
  server_log->set_formatter(make_log_formatter());
  auto logger = std::make_shared<spdlog::logger>("asyncscope", server_log);
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
  [[maybe_unused]] static const bool exit_hooks_installed = [] {
    std::atexit(stop_log_writer);
    default_terminate = std::set_terminate(write_logs_then_terminate);
    return true;
  }();
}

std::uint64_t log_lines_dropped() {
  return server_log ? server_log->dropped() : 0;
}

bool flush_logs_for(std::chrono::milliseconds timeout) {
  return server_log ? server_log->flush_for(timeout) : true;
}

void name_this_thread(const std::string& name) {
  thread_name = name;
  platform::name_this_thread(name);
}

const std::string& this_thread_name() {
  return thread_name;
}

long this_thread_os_id() {
  thread_local const long id = platform::this_thread_id();
  return id;
}

long this_process_id() {
  static const long id = getpid();
  return id;
}

formatting_line_of::formatting_line_of(const std::string& name)
    : previous_(std::exchange(line_thread_name, &name)) {}

formatting_line_of::~formatting_line_of() {
  line_thread_name = previous_;
}

}  // namespace asyncscope
