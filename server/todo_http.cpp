#include "todo_http.hpp"

#include "result_headers.hpp"
#include "todo.hpp"
#include "todo_crud.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace asyncscope {

namespace http = boost::beast::http;
using boost::asio::awaitable;

namespace {

http::response<http::string_body> response_of(todo_answer answer) {
  http::response<http::string_body> res{answer.status, 11};
  res.set(http::field::server, "asyncscope/" ASYNCSCOPE_VERSION);
  res.set(http::field::content_type, "application/json");
  if (answer.retry_after) res.set(http::field::retry_after, "1");
  if (!answer.allow.empty()) res.set(http::field::allow, answer.allow);
  // Who ran it, when: for asyncscope-client's summary and timeline. The body stays the book's.
  if (answer.timing.request_id != 0) {
    for (const auto& [name, value] : result_headers(answer.timing)) res.set(name, value);
  }
  res.body() = std::move(answer.body);
  res.prepare_payload();
  return res;
}

todo_answer pool_queue_full(const worker_pool& pool) {
  auto answer = todo_error(http::status::service_unavailable, "pool_queue_full",
                           fmt::format("all {} worker pool threads are busy and {} jobs are "
                                       "waiting (--max-pool-queue); try again shortly",
                                       pool.size(), pool.queued()));
  answer.retry_after = true;
  return answer;
}

}  // namespace

awaitable<http::response<http::string_body>> answer_todo(
    const http::request<http::string_body>& req, std::uint64_t request_id, todo_backend& backend) {
  auto parsed =
      parse_todo_request(req.method(), req.target(), req.body(), backend.settings.max_sleep);
  if (auto* refused = std::get_if<todo_answer>(&parsed)) {
    spdlog::info("{} {} #{} -> {}", std::string_view(req.method_string()),
                 std::string_view(req.target()), request_id, static_cast<int>(refused->status));
    co_return response_of(std::move(*refused));
  }
  const auto& route = std::get<todo_route>(parsed);
  const request_info info{route.path, request_id, std::chrono::duration<double>(route.sleep),
                          backend.feed};
  if (route.flavour == todo_flavour::sync && backend.has_database() &&
      backend.pool.full(backend.settings.max_pool_queue)) {
    spdlog::info("{} -> 503: {} jobs already wait for the worker pool (--max-pool-queue)", info,
                 backend.pool.queued());
    co_return response_of(pool_queue_full(backend.pool));
  }
  auto answer = co_await run_todo(route, info, backend);
  co_return response_of(std::move(answer));
}

}  // namespace asyncscope
