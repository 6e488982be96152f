#include "terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace asyncscope {

namespace {

// $COLUMNS as a number, when it is a whole positive one.
std::optional<int> positive_number(const char* text) {
  if (text == nullptr) return std::nullopt;
  const auto* end = text + std::strlen(text);
  int value = 0;
  const auto [stop, error] = std::from_chars(text, end, value);
  if (error != std::errc{} || stop != end || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

int columns_to_draw(std::optional<int> window_columns, const char* columns_variable) {
  int columns = default_terminal_columns;
  if (window_columns && *window_columns > 0) {
    columns = *window_columns;
  } else if (const auto from_variable = positive_number(columns_variable)) {
    columns = *from_variable;
  }
  return std::max(columns, narrowest_terminal);
}

int terminal_columns() {
  winsize window{};
  std::optional<int> window_columns;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &window) == 0) window_columns = window.ws_col;
  return columns_to_draw(window_columns, std::getenv("COLUMNS"));
}

bool colour_wanted() {
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
}

}  // namespace asyncscope
