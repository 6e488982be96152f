#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace asyncscope {

// Boost.JSON writes 1.0 as "1E0". People read these bodies in a terminal, so numbers are
// written the way Python or jq would show them ("1.0", "1763700000.123456"); everything
// else is plain Boost.JSON. The result is valid JSON on one line, and so valid UTF-8: a byte in
// a string that is not (say, from a request target a client sent) is written as U+FFFD.
std::string to_json_text(const boost::json::value& v);

// The same text written piece by piece, for an answer the server writes on every request:
// building a boost::json::value first, only to walk it, was a fifth of a request's instructions
// on the loop (docs/results.md). Keys and values come in the order they are to appear.
class json_text_writer {
 public:
  explicit json_text_writer(std::string& out) : out_(out) {}
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view name);  // the next value is this member's
  // A key the code names, such as the schema's ("request_id"): plain ASCII, written as it is.
  void plain_key(std::string_view name);
  void value(std::string_view text);
  void value(const char* text) { value(std::string_view(text)); }  // not taken for a bool
  void value(double number);
  void value(std::int64_t number);
  void value(std::uint64_t number);
  void value(int number) { value(static_cast<std::int64_t>(number)); }
  void value(bool b);
  void null();

 private:
  void before_value();  // ", " between items; nothing after a key or an opening bracket
  std::string& out_;
  bool after_item_ = false;
  bool after_key_ = false;
};

}  // namespace asyncscope
