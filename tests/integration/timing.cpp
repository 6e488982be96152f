#include "timing.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#ifndef ASYNCSCOPE_BUILD_TIME_SCALE
#define ASYNCSCOPE_BUILD_TIME_SCALE 1
#endif

namespace asyncscope::testing {

namespace {

double read_time_scale() {
  const char* text = std::getenv("ASYNCSCOPE_TIME_SCALE");
  if (text == nullptr || *text == '\0') return ASYNCSCOPE_BUILD_TIME_SCALE;
  char* end = nullptr;
  const double scale = std::strtod(text, &end);
  // Below 1 would cut the margins a plain Debug build needs.
  if (*end != '\0' || !std::isfinite(scale) || scale < 1) {
    throw std::invalid_argument(
        std::string("ASYNCSCOPE_TIME_SCALE must be a number from 1 up, got '") + text + "'");
  }
  return scale;
}

}  // namespace

double time_scale() {
  static const double scale = read_time_scale();
  return scale;
}

double scaled(double seconds) {
  return std::round(seconds * time_scale() * 1000) / 1000;
}

std::chrono::milliseconds scaled(std::chrono::milliseconds duration) {
  return std::chrono::milliseconds(
      std::llround(static_cast<double>(duration.count()) * time_scale()));
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  std::string trimmed = text;
  trimmed.erase(trimmed.find_last_not_of('0') + 1);
  if (trimmed.back() == '.') trimmed.pop_back();
  return trimmed;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace asyncscope::testing
