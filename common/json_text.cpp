#include "json_text.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <cmath>

namespace asyncscope {

namespace {

void append_number(std::string& out, double d) {
  if (!std::isfinite(d)) {  // JSON has no inf or nan
    out += "null";
    return;
  }
  const auto start = out.size();
  fmt::format_to(std::back_inserter(out), "{}", d);
  if (out.find_first_of(".eEn", start) == std::string::npos) out += ".0";
}

void append(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      append_number(out, v.get_double());
      return;
    case boost::json::kind::object: {
      out += '{';
      const char* sep = "";
      for (const auto& [key, value] : v.get_object()) {
        out += sep;
        out += boost::json::serialize(boost::json::string_view(key));
        out += ": ";
        append(out, value);
        sep = ", ";
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      const char* sep = "";
      for (const auto& item : v.get_array()) {
        out += sep;
        append(out, item);
        sep = ", ";
      }
      out += ']';
      return;
    }
    default:
      out += boost::json::serialize(v);
  }
}

}  // namespace

std::string to_json_text(const boost::json::value& v) {
  std::string out;
  append(out, v);
  return out;
}

}  // namespace asyncscope
