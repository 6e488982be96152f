#include "seconds.hpp"

#include <charconv>
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

}  // namespace asyncscope
