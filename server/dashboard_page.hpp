#pragma once
// The dashboard's one self-contained page (HTML, CSS and JS), built into the binary.

#include <string_view>

namespace asyncscope {

std::string_view dashboard_page();

}  // namespace asyncscope
