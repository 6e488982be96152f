#include "terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

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

// Where to break `rest`, which starts at column `column`: the last space that leaves the text
// before it within `width`, or, when the first word is already too long, the first space after
// it. A space before "(" or after ":" is better when what follows it fits on the next line, so
// that "(something blocked the server)" stays whole. Spaces before column `indent` are padding,
// never a break. None: the rest fits, or cannot be broken.
std::optional<std::size_t> break_at(std::string_view rest, int column, int width, int indent) {
  const int end = column + display_columns(rest);
  if (end <= width) return std::nullopt;
  std::optional<std::size_t> last_fitting;
  std::optional<std::size_t> last_natural;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == ' ' && column >= indent) {
      if (column > width) return last_natural ? last_natural : last_fitting ? last_fitting : i;
      last_fitting = i;
      const bool natural =
          (i + 1 < rest.size() && rest[i + 1] == '(') || (i > 0 && rest[i - 1] == ':');
      if (natural && 3 * column >= width && indent + end - column - 1 <= width) {
        last_natural = i;
      }
    }
    column += display_columns(rest.substr(i, 1));
  }
  return last_natural ? last_natural : last_fitting;
}

}  // namespace

int display_columns(std::string_view text) {
  return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a UTF-8 continuation byte
  }));
}

std::string wrapped(std::string_view line, int width, int indent) {
  const std::string margin(static_cast<std::size_t>(std::max(indent, 0)), ' ');
  std::string out;
  std::string_view prefix;  // nothing on the first line, the indent on the others
  std::string_view rest = line;
  for (;;) {
    const auto cut = break_at(rest, display_columns(prefix), width, indent);
    if (!cut) return out.append(prefix).append(rest) + '\n';
    auto piece = rest.substr(0, *cut);
    piece.remove_suffix(piece.size() - (piece.find_last_not_of(' ') + 1));
    out.append(prefix).append(piece) += '\n';
    rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(' ', *cut)));
    if (rest.empty()) return out;
    prefix = margin;
  }
}

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
