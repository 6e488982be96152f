#include "answer_head.hpp"

#include <string_view>

namespace asyncscope {

std::string answer_head(const http_response& res) {
  const unsigned version = res.version();
  const unsigned status = res.result_int();  // three digits (Beast keeps it below 1000)
  std::string head;
  head.reserve(160);  // a lesson answer's head
  head += "HTTP/";
  head += static_cast<char>('0' + version / 10 % 10);
  head += '.';
  head += static_cast<char>('0' + version % 10);
  head += ' ';
  head += static_cast<char>('0' + status / 100 % 10);
  head += static_cast<char>('0' + status / 10 % 10);
  head += static_cast<char>('0' + status % 10);
  head += ' ';
  head += std::string_view(res.reason());
  head += "\r\n";
  for (const auto& field : res) {
    head += std::string_view(field.name_string());
    head += ": ";
    head += std::string_view(field.value());
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

}  // namespace asyncscope
