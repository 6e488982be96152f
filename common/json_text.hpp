#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncscope {

// Boost.JSON writes 1.0 as "1E0". People read these bodies in a terminal, so numbers are
// written the way Python or jq would show them ("1.0", "1763700000.123456"); everything
// else is plain Boost.JSON. The result is valid JSON on one line, and so valid UTF-8: a byte in
// a string that is not (say, from a request target a client sent) is written as U+FFFD.
std::string to_json_text(const boost::json::value& v);

// A key the code names, such as the schema's ("request_id"): plain ASCII (anything else does not
// compile), its text made when compiling, with the comma that comes before every key but the
// first, so that writing it is one append. An answer has seventeen; putting each together at run
// time cost the loop a twentieth of a request's instructions (docs/results.md).
class json_key {
 public:
  template <std::size_t N>
  consteval json_key(const char (&name)[N]) : size_(N - 1 + 6) {  // NOLINT: a literal converts
    static_assert(N - 1 + 6 <= capacity, "a longer key needs a larger json_key::capacity");
    constexpr std::string_view before = ", \"", after = "\": ";
    std::size_t at = 0;
    for (char c : before) text_[at++] = c;
    for (std::size_t i = 0; i + 1 < N; ++i) {
      if (name[i] < 0x20 || name[i] == '"' || name[i] == '\\' || name[i] > 0x7E) {
        throw "a json_key is plain ASCII, with nothing to escape";  // stops the compile
      }
      text_[at++] = name[i];
    }
    for (char c : after) text_[at++] = c;
  }
  std::string_view name() const { return {text_ + 3, size_ - 6}; }
  std::string_view first() const { return {text_ + 2, size_ - 2}; }  // "name": 
  std::string_view later() const { return {text_, size_}; }          // , "name": 

 private:
  static constexpr std::size_t capacity = 32;
  char text_[capacity]{};
  std::size_t size_;
};

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
  void plain_key(const json_key& key);
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
