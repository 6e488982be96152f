#include "json_text.hpp"

#include "seconds.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
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

// A string as JSON, escaped as Boost.JSON escapes it ("\"", "\\", "\n", "\u001f"; other bytes
// as they are), written straight into `out`: an answer has ten of these, and copying each one
// first (checked, then serialized) cost the loop two allocations apiece.
void append_escaped_byte(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      if (c < 0x20) {
        const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out.append(escaped, sizeof escaped);
      } else {
        out += static_cast<char>(c);
      }
  }
}

// What each byte asks of the escaper: 0 goes out as it is (printable ASCII other than '"' and
// '\\'), 1 is escaped, 2 starts (or is not) a UTF-8 sequence, to be checked. One table look-up
// a byte instead of three comparisons: the answer's strings are mostly plain ASCII.
constexpr std::array<unsigned char, 256> byte_kinds = [] {
  std::array<unsigned char, 256> kinds{};
  for (int c = 0; c < 256; ++c) {
    kinds[c] = c < 0x20 || c == '"' || c == '\\' ? 1 : c >= 0x80 ? 2 : 0;
  }
  return kinds;
}();

// Whether none of the eight bytes at `p` needs a look: no control byte, '"', '\\' or byte above
// 0x7F. Eight at a time: the answer's strings are mostly plain, and one byte at a time was the
// JSON's largest cost. (A byte that does need a look is never missed; one beside it may be
// looked at for nothing, which only costs time.)
bool plain_word(const char* p) {
  std::uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  constexpr std::uint64_t ones = 0x0101010101010101, high = 0x8080808080808080;
  const auto below = [&](std::uint64_t x, std::uint64_t n) { return (x - ones * n) & ~x & high; };
  const auto zero_byte = [&](std::uint64_t x) { return below(x, 1); };
  return (below(w, 0x20) | zero_byte(w ^ (ones * '"')) | zero_byte(w ^ (ones * '\\')) |
          (w & high)) == 0;
}

// How many bytes at the start of `text` go out as they are: printable ASCII other than '"' and
// '\\', and whole valid UTF-8 sequences.
std::size_t plain_prefix(std::string_view text) {
  std::size_t plain = 0;
  while (plain < text.size()) {
    if (text.size() - plain >= 8 && plain_word(text.data() + plain)) {
      plain += 8;
      continue;
    }
    const auto kind = byte_kinds[static_cast<unsigned char>(text[plain])];
    if (kind == 0) {
      ++plain;
      continue;
    }
    const auto length = kind == 2 ? utf8_sequence_length(text.substr(plain)) : 0;
    if (length == 0) break;
    plain += length;
  }
  return plain;
}

// JSON text is UTF-8 (RFC 8259), but a string may hold any bytes a client sent, e.g. a request
// target echoed in an error's detail. Each byte that is not part of valid UTF-8 becomes U+FFFD.
void append_string(std::string& out, std::string_view text) {
  out += '"';
  while (!text.empty()) {
    const auto plain = plain_prefix(text);
    out.append(text.data(), plain);
    text.remove_prefix(plain);
    if (text.empty()) break;
    const auto c = static_cast<unsigned char>(text.front());
    if (c >= 0x80) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
    } else {
      append_escaped_byte(out, c);
    }
    text.remove_prefix(1);
  }
  out += '"';
}

// An answer's ids (request, process, thread): written in place, where Boost.JSON's serializer
// would set itself up and make a string for each.
template <typename Integer>
void append_integer(std::string& out, Integer n) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);  // 24 always fit
}

// A number as decimal_text (seconds.hpp) writes it; JSON has no inf or nan.
void append_number(std::string& out, double d) {
  if (std::isfinite(d)) {
    append_decimal_text(out, d);
  } else {
    out += "null";
  }
}

void append(json_text_writer& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      out.value(v.get_double());
      return;
    case boost::json::kind::object:
      out.begin_object();
      for (const auto& [key, value] : v.get_object()) {
        out.key(key);
        append(out, value);
      }
      out.end_object();
      return;
    case boost::json::kind::array:
      out.begin_array();
      for (const auto& item : v.get_array()) append(out, item);
      out.end_array();
      return;
    case boost::json::kind::string:
      out.value(std::string_view(v.get_string()));
      return;
    case boost::json::kind::int64:
      out.value(v.get_int64());
      return;
    case boost::json::kind::uint64:
      out.value(v.get_uint64());
      return;
    case boost::json::kind::bool_:
      out.value(v.get_bool());
      return;
    case boost::json::kind::null:
      out.null();
      return;
  }
}

}  // namespace

std::string to_json_text(const boost::json::value& v) {
  std::string out;
  out.reserve(256);  // a lesson answer's size: one allocation, not a few as it grows
  json_text_writer writer{out};
  append(writer, v);
  return out;
}

void json_text_writer::before_value() {
  if (after_item_ && !after_key_) out_ += ", ";
  after_key_ = false;
  after_item_ = true;
}

void json_text_writer::begin_object() {
  before_value();
  out_ += '{';
  after_item_ = false;
}

void json_text_writer::end_object() {
  out_ += '}';
  after_item_ = true;
}

void json_text_writer::begin_array() {
  before_value();
  out_ += '[';
  after_item_ = false;
}

void json_text_writer::end_array() {
  out_ += ']';
  after_item_ = true;
}

void json_text_writer::key(std::string_view name) {
  if (after_item_) out_ += ", ";
  append_string(out_, name);
  out_ += ": ";
  after_key_ = true;
}

void json_text_writer::plain_key(const json_key& key) {
  out_ += after_item_ ? key.later() : key.first();
  after_key_ = true;
}

void json_text_writer::value(std::string_view text) {
  before_value();
  append_string(out_, text);
}

void json_text_writer::value(double number) {
  before_value();
  append_number(out_, number);
}

void json_text_writer::value(std::int64_t number) {
  before_value();
  append_integer(out_, number);
}

void json_text_writer::value(std::uint64_t number) {
  before_value();
  append_integer(out_, number);
}

void json_text_writer::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
}

void json_text_writer::null() {
  before_value();
  out_ += "null";
}

}  // namespace asyncscope
