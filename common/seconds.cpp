#include "seconds.hpp"

#include <fmt/format.h>

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

std::string decimal_text(double seconds) {
  auto text = fmt::format("{}", seconds);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

}  // namespace asyncscope
