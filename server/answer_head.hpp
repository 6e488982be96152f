#pragma once
// An answer's head as the bytes that go on the wire: the status line, each field, the blank
// line. The session writes it and the body with one gather write; Beast's serializer wrote the
// same bytes through layers of buffer views that took a third of the loop's instructions for a
// small answer (docs/results.md).

#include "http_responses.hpp"

#include <string>

namespace asyncscope {

// "HTTP/1.1 200 OK\r\nServer: asyncscope/0.1.0\r\n...\r\n\r\n", fields in the answer's order.
std::string answer_head(const http_response& res);

}  // namespace asyncscope
