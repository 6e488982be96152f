#pragma once
// Where the dashboard is, as a browser should be sent there: the main port's GET / answers
// 307 with this Location.

#include <string>
#include <string_view>

namespace asyncscope {

// The dashboard's URL under the name the browser used for the main port, so a page opened as
// http://localhost:8000/ goes to http://localhost:8001/ and one opened from another machine as
// http://192.168.1.5:8000/ to http://192.168.1.5:8001/. `fallback_host` ("127.0.0.1", "[::1]")
// stands in when the request had no usable Host.
std::string dashboard_url(std::string_view host_header, unsigned short dashboard_port,
                          std::string_view fallback_host = "127.0.0.1");

}  // namespace asyncscope
