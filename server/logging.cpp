#include "logging.hpp"

#include <pthread.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace asyncscope {

namespace {

thread_local std::string thread_name = "main";

// The `%N` flag in the log pattern: the name this thread was given.
class thread_name_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    dest.append(thread_name.data(), thread_name.data() + thread_name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<thread_name_flag>();
  }
};

}  // namespace

void setup_logging(spdlog::level::level_enum level) {
  auto logger = spdlog::stdout_logger_mt("asyncscope");
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<thread_name_flag>('N').set_pattern(
      "%H:%M:%S.%f Process ID: %P | Thread ID: %t (%N) | %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);  // the demo is watched live, through a pipe too
  spdlog::set_default_logger(std::move(logger));
}

void name_this_thread(const std::string& name) {
  thread_name = name;
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());  // the kernel keeps 15 chars
}

const std::string& this_thread_name() {
  return thread_name;
}

long this_thread_os_id() {
  thread_local const long id = gettid();
  return id;
}

}  // namespace asyncscope
