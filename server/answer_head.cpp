#include "answer_head.hpp"

#include <fmt/format.h>

#include <iterator>

namespace asyncscope {

std::string answer_head(const http_response& res) {
  std::string head;
  head.reserve(160);  // a lesson answer's head
  auto out = std::back_inserter(head);
  fmt::format_to(out, "HTTP/{}.{} {} {}\r\n", res.version() / 10, res.version() % 10,
                 res.result_int(), std::string_view(res.reason()));
  for (const auto& field : res) {
    fmt::format_to(out, "{}: {}\r\n", std::string_view(field.name_string()),
                   std::string_view(field.value()));
  }
  head += "\r\n";
  return head;
}

}  // namespace asyncscope
