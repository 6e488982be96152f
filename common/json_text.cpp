#include "json_text.hpp"

#include "seconds.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <string_view>

namespace asyncscope {

namespace {

// How many bytes the UTF-8 sequence at the start of `text` takes, or 0 if it is not valid
// UTF-8 (a stray continuation byte, an overlong form, a surrogate, or one cut short).
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto lead = byte(0);
  if (lead < 0x80) return 1;
  // The lead byte gives the length and the range its first continuation byte must be in.
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// JSON text is UTF-8 (RFC 8259), but a string may hold any bytes a client sent, e.g. a request
// target echoed in an error's detail. Each byte that is not part of valid UTF-8 becomes U+FFFD.
std::string as_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto length = utf8_sequence_length(text);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      text.remove_prefix(1);
    } else {
      out += text.substr(0, length);
      text.remove_prefix(length);
    }
  }
  return out;
}

void append_string(std::string& out, std::string_view text) {
  out += boost::json::serialize(boost::json::string_view(as_valid_utf8(text)));
}

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
        append_string(out, key);
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
    case boost::json::kind::string:
      append_string(out, v.get_string());
      return;
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
