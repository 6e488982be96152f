#pragma once
// The completion handler for every coroutine we co_spawn: asio::detached would drop an exception
// that escapes the coroutine without a word; this logs it, naming what the coroutine was doing.

#include <spdlog/spdlog.h>

#include <exception>
#include <string>
#include <utility>

namespace asyncscope {

class log_escaped {
 public:
  explicit log_escaped(std::string what) : what_(std::move(what)) {}

  void operator()(std::exception_ptr escaped) const {
    if (!escaped) return;
    try {
      std::rethrow_exception(escaped);
    } catch (const std::exception& e) {
      spdlog::error("ERROR {} ended by an exception: {}", what_, e.what());
    } catch (...) {
      spdlog::error("ERROR {} ended by an exception that is not a std::exception", what_);
    }
  }

  // For coroutines that return a value: the value is not needed, only what escaped.
  template <typename T>
  void operator()(std::exception_ptr escaped, T&&) const {
    (*this)(std::move(escaped));
  }

 private:
  std::string what_;
};

}  // namespace asyncscope
