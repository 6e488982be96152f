#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace asyncscope {

// Boost.JSON writes 1.0 as "1E0". People read these bodies in a terminal, so numbers are
// written the way Python or jq would show them ("1.0", "1763700000.123456"); everything
// else is plain Boost.JSON. The result is valid JSON on one line, and so valid UTF-8: a byte in
// a string that is not (say, from a request target a client sent) is written as U+FFFD.
std::string to_json_text(const boost::json::value& v);

}  // namespace asyncscope
