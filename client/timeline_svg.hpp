#pragma once
// The timeline as a picture for a classroom screen: large type, high contrast, one row per lane.

#include "summary.hpp"
#include "timeline.hpp"

#include <string>
#include <string_view>

namespace asyncscope {

// Text as SVG (XML) content or attribute: &, <, >, " and ' escaped.
std::string xml_escaped(std::string_view text);

// A self-contained SVG: a title (endpoint, count, total time) and the verdict, the server
// threads' lanes with their names on the left, grouped by pid, one bar per request (neighbours
// in a lane in alternating colours), a time axis in seconds, and a legend.
std::string timeline_svg(const timeline& t, const summary& s);

}  // namespace asyncscope
