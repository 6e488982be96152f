#pragma once
// The endpoints the lesson is about. Their bodies are in lesson.cpp, side by side.

#include "endpoint_result.hpp"
#include "request_feed.hpp"

#include <fmt/format.h>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace asyncscope {

class worker_pool;

enum class lesson_endpoint {
  sync_endpoint,
  async_endpoint,
  async_wrong,
  async_offload,
  async_forgot_await,
  async_cpu
};

// The endpoints whose blocking work takes a worker pool thread.
constexpr bool runs_on_worker_pool(lesson_endpoint which) {
  return which == lesson_endpoint::sync_endpoint || which == lesson_endpoint::async_offload;
}

// One request to a lesson endpoint. In logs it reads "/async-endpoint #17".
struct request_info {
  std::string_view endpoint;
  std::uint64_t id = 0;
  std::chrono::duration<double> sleep{};  // how long the simulated I/O (or /async-cpu's work) takes
  request_feed* feed = nullptr;           // where the dashboard hears of it; may be null
};

// Runs one lesson endpoint where that endpoint runs: on the event loop, or on the worker pool.
boost::asio::awaitable<endpoint_result> run_lesson_endpoint(lesson_endpoint which,
                                                            const request_info& req,
                                                            worker_pool& pool);

}  // namespace asyncscope

template <>
struct fmt::formatter<asyncscope::request_info> : fmt::formatter<std::string_view> {
  auto format(const asyncscope::request_info& req, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{} #{}", req.endpoint, req.id);
  }
};
