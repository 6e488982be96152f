#pragma once
// The three endpoints the lesson is about. Their bodies are in lesson.cpp, side by side.

#include "endpoint_result.hpp"

#include <fmt/format.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace asyncscope {

enum class lesson_endpoint { sync_endpoint, async_endpoint, async_wrong };

// One request to a lesson endpoint. In logs it reads "/async-endpoint #17".
struct request_info {
  std::string_view endpoint;
  std::uint64_t id = 0;
  std::chrono::duration<double> sleep{};  // how long the simulated I/O takes
};

// Runs one lesson endpoint where that endpoint runs: on the event loop, or on the worker pool.
boost::asio::awaitable<endpoint_result> run_lesson_endpoint(lesson_endpoint which,
                                                            const request_info& req,
                                                            boost::asio::io_context& worker_pool);

}  // namespace asyncscope

template <>
struct fmt::formatter<asyncscope::request_info> : fmt::formatter<std::string_view> {
  auto format(const asyncscope::request_info& req, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{} #{}", req.endpoint, req.id);
  }
};
