#pragma once
// One place sets up the logger; everybody else just calls spdlog::info(...).

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace asyncscope {

// Log lines that may wait for the log writer before new ones are dropped: the 50-request lesson
// logs about 500, 10,000 requests in flight about 100,000 over a second or two.
inline constexpr std::size_t default_log_queue_lines = 8192;

// Every line reads `<time> Process ID: <pid> | Thread ID: <tid> (<thread name>) | <text>`.
// Lines go to stdout through a log_queue, so no thread that logs waits for the output; at exit
// (main returning, std::exit, std::terminate) what is queued is written first.
void setup_logging(spdlog::level::level_enum level,
                   std::size_t queue_lines = default_log_queue_lines);

// The pattern above, with %N for the name of the thread that logged the line.
std::unique_ptr<spdlog::formatter> make_log_formatter();

// Lines dropped so far because the log queue was full (0 before setup_logging).
std::uint64_t log_lines_dropped();

// Waits up to `timeout` until what was logged so far is written; for exits that skip main's end.
bool flush_logs_for(std::chrono::milliseconds timeout);

// Names the calling thread for the logs and for the OS (`top -H`, `ps -L`, gdb).
void name_this_thread(const std::string& name);

const std::string& this_thread_name();
long this_thread_os_id();
// getpid(), asked of the kernel once: a system call per answer cost the loop ~2 % of its time.
// (A worker process is exec'd, not only forked, so it never sees its parent's id here.)
long this_process_id();

// While one lives, the %N flag on this thread shows `name` instead of this thread's own name:
// the log writer formats lines that other threads logged.
class formatting_line_of {
 public:
  explicit formatting_line_of(const std::string& name);
  ~formatting_line_of();
  formatting_line_of(const formatting_line_of&) = delete;
  formatting_line_of& operator=(const formatting_line_of&) = delete;

 private:
  const std::string* previous_;
};

}  // namespace asyncscope
