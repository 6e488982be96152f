#include "seconds.hpp"

#include <fmt/format.h>

#include <iterator>

#include <charconv>
#include <chrono>
#include <cmath>

namespace asyncscope {

std::optional<double> parse_seconds(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  if (!std::isfinite(value) || value < 0 || std::signbit(value)) return std::nullopt;
  return value;
}

double round_to_microseconds(double seconds) {
  return std::round(seconds * 1e6) / 1e6;
}

double unix_seconds_now() {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  return static_cast<double>(us) / 1e6;
}

namespace {

// A time to the microsecond, as the answers hold them (round_to_microseconds), written digit by
// digit: fmt's shortest form of a double took the loop about 800 instructions for each one.
// Only where that form is surely the same text: up to 2^32 s (there a double still tells
// microseconds apart, so the shortest digits that read back as the double are the
// microseconds'), and only for a double that is exactly the one nearest its microseconds. False,
// having written nothing, for any other number.
bool append_microseconds(std::string& out, double seconds) {
  if (seconds == 0 && !std::signbit(seconds)) {
    out += "0.0";
    return true;
  }
  if (!(seconds > 0 && seconds < 4294967296.0)) return false;
  const auto us = std::llround(seconds * 1e6);
  if (us == 0 || static_cast<double>(us) / 1e6 != seconds) return false;
  if (us < 100) {  // below 0.0001 s fmt writes an exponent: 5e-06, 1.2e-05, 5e-05
    out += static_cast<char>('0' + (us < 10 ? us : us / 10));
    if (us >= 10 && us % 10 != 0) {
      out += '.';
      out += static_cast<char>('0' + us % 10);
    }
    out += us < 10 ? "e-06" : "e-05";
    return true;
  }
  char text[24];
  auto* end = std::to_chars(text, text + sizeof text, us / 1'000'000).ptr;
  *end++ = '.';
  auto fraction = us % 1'000'000;
  int digits = 6;
  while (digits > 1 && fraction % 10 == 0) {  // "1.5", not "1.500000"; "2.0", not "2."
    fraction /= 10;
    --digits;
  }
  for (int i = digits - 1; i >= 0; --i, fraction /= 10) {
    end[i] = static_cast<char>('0' + fraction % 10);
  }
  out.append(text, end + digits);
  return true;
}

}  // namespace

std::string decimal_text(double seconds) {
  std::string text;
  append_decimal_text(text, seconds);
  return text;
}

void append_decimal_text(std::string& out, double seconds) {
  if (append_microseconds(out, seconds)) return;
  fmt::memory_buffer text;
  fmt::format_to(std::back_inserter(text), "{}", seconds);
  const std::string_view written{text.data(), text.size()};
  out += written;
  if (written.find_first_of(".eEn") == std::string_view::npos) out += ".0";
}

}  // namespace asyncscope
