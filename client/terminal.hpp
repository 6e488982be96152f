#pragma once
// What the terminal the client prints to can show: how wide it is, and whether to use colour.

#include <optional>
#include <string>
#include <string_view>

namespace asyncscope {

// Fewer columns than this and a timeline is no longer readable: narrower terminals get this.
inline constexpr int narrowest_terminal = 40;
// What a timeline uses when nothing says how wide the output is, e.g. when piped to a file.
inline constexpr int default_terminal_columns = 100;

// The width to draw for: the window's width when known, else $COLUMNS when it is a positive
// number, else 100; never below `narrowest_terminal`. Pure, so tests can try each case.
int columns_to_draw(std::optional<int> window_columns, const char* columns_variable);

// The width of the terminal on stdout (TIOCGWINSZ), or of $COLUMNS, or 100.
int terminal_columns();

// How many columns `text` takes on a terminal: one per UTF-8 character ("│", "█" and "×" are
// one each). The text is expected to hold no escape codes or wide characters.
int display_columns(std::string_view text);

// One line broken at spaces into lines at most `width` columns wide, each after the first
// indented by `indent` spaces, so that a long verdict stays readable in a narrow terminal.
// Spaces within the first `indent` columns (a label's padding) are never a break; a word
// longer than a line is left whole. Every line ends with '\n'.
std::string wrapped(std::string_view line, int width, int indent);

// Colour only for a person at a terminal who has not asked for none (https://no-color.org).
bool colour_wanted();

}  // namespace asyncscope
