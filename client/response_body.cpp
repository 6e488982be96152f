#include "response_body.hpp"

#include <boost/json.hpp>

#include <exception>

namespace asyncscope {

namespace json = boost::json;

std::optional<endpoint_result> read_endpoint_result(std::string_view body) {
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  try {
    return json::value_to<endpoint_result>(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace asyncscope
