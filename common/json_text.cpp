#include "json_text.hpp"

#include "seconds.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace asyncscope {

namespace {

void append_number(std::string& out, double d) {
  out += std::isfinite(d) ? decimal_text(d) : "null";  // JSON has no inf or nan
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
