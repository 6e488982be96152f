#include "result_headers.hpp"

#include <fmt/format.h>

#include <charconv>

namespace asyncscope {

namespace {

constexpr std::string_view request_id_header = "Asyncscope-Request-Id";
constexpr std::string_view endpoint_header = "Asyncscope-Endpoint";
constexpr std::string_view pid_header = "Asyncscope-Pid";
constexpr std::string_view thread_header = "Asyncscope-Thread";
constexpr std::string_view thread_id_header = "Asyncscope-Thread-Id";
constexpr std::string_view sleep_header = "Asyncscope-Sleep";
constexpr std::string_view started_at_header = "Asyncscope-Started-At";
constexpr std::string_view finished_at_header = "Asyncscope-Finished-At";
constexpr std::string_view duration_header = "Asyncscope-Duration";

// A whole header value as a number; nothing when it is empty or has anything else in it.
template <typename Number>
std::optional<Number> number_of(std::string_view text) {
  Number n{};
  const auto* end = text.data() + text.size();
  const auto [at, error] = std::from_chars(text.data(), end, n);
  if (text.empty() || error != std::errc{} || at != end) return std::nullopt;
  return n;
}

}  // namespace

std::vector<std::pair<std::string_view, std::string>> result_headers(const endpoint_result& r) {
  return {{request_id_header, std::to_string(r.request_id)},
          {endpoint_header, r.endpoint},
          {pid_header, std::to_string(r.pid)},
          {thread_header, r.thread_name},
          {thread_id_header, std::to_string(r.thread_id)},
          {sleep_header, fmt::format("{}", r.sleep)},
          {started_at_header, fmt::format("{:.6f}", r.started_at)},
          {finished_at_header, fmt::format("{:.6f}", r.finished_at)},
          {duration_header, fmt::format("{:.6f}", r.duration)}};
}

std::optional<endpoint_result> read_result_headers(
    const std::function<std::string_view(std::string_view)>& header) {
  const auto request_id = number_of<std::uint64_t>(header(request_id_header));
  const auto pid = number_of<std::int64_t>(header(pid_header));
  const auto thread_id = number_of<std::int64_t>(header(thread_id_header));
  const auto sleep = number_of<double>(header(sleep_header));
  const auto started_at = number_of<double>(header(started_at_header));
  const auto finished_at = number_of<double>(header(finished_at_header));
  const auto duration = number_of<double>(header(duration_header));
  if (!request_id || !pid || !thread_id || !sleep || !started_at || !finished_at || !duration) {
    return std::nullopt;
  }
  return endpoint_result{.message = {},
                         .endpoint = std::string(header(endpoint_header)),
                         .request_id = *request_id,
                         .pid = *pid,
                         .thread_id = *thread_id,
                         .thread_name = std::string(header(thread_header)),
                         .sleep = *sleep,
                         .started_at = *started_at,
                         .finished_at = *finished_at,
                         .duration = *duration};
}

}  // namespace asyncscope
