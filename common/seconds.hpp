#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace asyncscope {

// Reads a duration in seconds the way the server's `?sleep=` and the `--sleep` flags accept it:
// a plain finite decimal such as "1", "0.2" or "1.50", never negative. Anything else, including
// "", "nan", "inf", "1e3", "+1" or trailing junk, gives nothing.
std::optional<double> parse_seconds(std::string_view text);

// Seconds rounded to the microsecond: the precision the JSON carries, no more.
double round_to_microseconds(double seconds);

// Wall-clock time as Unix epoch seconds, to the microsecond.
double unix_seconds_now();

// A number of seconds as people write it: 1.0 -> "1.0", 0.25 -> "0.25" (never "1" or "1E0").
std::string decimal_text(double seconds);

// decimal_text(seconds) appended to `out`: an answer holds seven of these.
void append_decimal_text(std::string& out, double seconds);

}  // namespace asyncscope
