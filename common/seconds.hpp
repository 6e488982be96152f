#pragma once

#include <optional>
#include <string_view>

namespace asyncscope {

// Reads a duration in seconds the way the server's `?sleep=` and the `--sleep` flags accept it:
// a plain finite decimal such as "1", "0.2" or "1.50", never negative. Anything else, including
// "", "nan", "inf", "1e3", "+1" or trailing junk, gives nothing.
std::optional<double> parse_seconds(std::string_view text);

}  // namespace asyncscope
