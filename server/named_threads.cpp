#include "named_threads.hpp"

#include "logging.hpp"

#include <fmt/format.h>

namespace asyncscope {

named_threads::named_threads(std::string prefix, int count)
    : prefix_(std::move(prefix)),
      count_(count),
      context_(count),
      keep_running_(boost::asio::make_work_guard(context_)) {}

named_threads::~named_threads() {
  stop_and_join();
}

void named_threads::start(std::function<void(const std::string&)> on_start) {
  const auto digits = std::to_string(count_ - 1).size();  // pool-07 sorts well next to pool-31
  for (int i = 0; i < count_; ++i) {
    threads_.emplace_back([this, on_start, name = fmt::format("{}-{:0{}}", prefix_, i, digits)] {
      name_this_thread(name);
      if (on_start) on_start(name);
      context_.run();
    });
  }
}

void named_threads::stop_and_join() {
  context_.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace asyncscope
