#pragma once
// The lesson's result in response headers, for answers whose body must stay someone else's: the
// database lesson's ToDo routes answer the book's JSON, and tell the client who ran the request,
// and when, in these headers instead. One definition for server and client.
//
//   Asyncscope-Request-Id: 7              Asyncscope-Sleep: 1
//   Asyncscope-Endpoint: /async/tasks     Asyncscope-Started-At: 1764667200.123456
//   Asyncscope-Pid: 4242                  Asyncscope-Finished-At: 1764667201.125000
//   Asyncscope-Thread: loop-0             Asyncscope-Duration: 1.001544
//   Asyncscope-Thread-Id: 4243

#include "endpoint_result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncscope {

// The headers for `result`, name and value, in the order above.
std::vector<std::pair<std::string_view, std::string>> result_headers(const endpoint_result& result);

// The result the headers carry, or nothing when one is missing or unreadable. `header` gives a
// header's value by name (empty when absent), so this needs no HTTP library.
std::optional<endpoint_result> read_result_headers(
    const std::function<std::string_view(std::string_view)>& header);

}  // namespace asyncscope
