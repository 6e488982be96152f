#pragma once
// Time in the integration tests. Every sleep a test asks for and every margin it allows is
// written for a plain Debug build and goes through scaled(): a sanitizer build runs the server
// and the client several times slower (ThreadSanitizer most), and CI runs on a busy 2-core
// machine. The sleeps grow with the margins, so each assertion keeps telling sync, async and
// async-wrong apart: "twenty async requests take under two sleeps" is a claim about sleeps,
// however long one sleep is.
//
// The factor is ASYNCSCOPE_TIME_SCALE from the environment when it is set (a number from 1 up:
// 1 shows how a sanitizer build fares without help, 5 suits a very slow machine), or else the
// one CMake chose for this build: 1 for a plain build, more when the compiler flags hold a
// sanitizer (tests/CMakeLists.txt). So `ctest` in build/tsan scales without being told.

#include <chrono>
#include <string>

namespace asyncscope::testing {

double time_scale();

// `seconds` of a plain Debug build, in this build (rounded to the millisecond).
double scaled(double seconds);
std::chrono::milliseconds scaled(std::chrono::milliseconds duration);

// Seconds as the server's and the client's flags and query strings take them: 0.6 -> "0.6".
std::string seconds_text(double seconds);

// Seconds on the steady clock since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace asyncscope::testing
