#pragma once
// The completion of every coroutine the dashboard spawns: what escaped it is logged (nothing
// ends silently), then `done` runs, if given. The dashboard thread goes on either way.

#include <spdlog/spdlog.h>

#include <exception>
#include <functional>
#include <string>

namespace asyncscope {

inline auto log_what_escaped(std::string what, std::function<void()> done = {}) {
  return [what = std::move(what), done = std::move(done)](const std::exception_ptr& escaped) {
    if (escaped) {
      try {
        std::rethrow_exception(escaped);
      } catch (const std::exception& e) {
        spdlog::error("ERROR dashboard: {} ended with an exception: {}", what, e.what());
      } catch (...) {
        spdlog::error("ERROR dashboard: {} ended with an unknown exception", what);
      }
    }
    if (done) done();
  };
}

}  // namespace asyncscope
