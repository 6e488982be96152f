#pragma once
// What an answer's body tells the client: the lesson endpoint's result, when it is one.

#include "endpoint_result.hpp"

#include <optional>
#include <string_view>

namespace asyncscope {

// Reads a body as the lesson's endpoint result; error bodies and other servers' pages are not.
// Never throws: whatever the server sent, the answer is a result or nothing.
std::optional<endpoint_result> read_endpoint_result(std::string_view body);

}  // namespace asyncscope
