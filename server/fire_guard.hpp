#pragma once
// Who may press the dashboard's fire buttons. POST /fire makes the server send requests to
// itself, so a web page on another site must not be able to trigger it through the teacher's
// browser. A page can make the browser send a cross-site form post or a "simple" fetch, but it
// cannot add a header of its own without the browser first asking permission (a CORS
// preflight), which the dashboard never grants. So /fire requires such a header, and it also
// reads what the browser says about where the request comes from (Origin, Sec-Fetch-Site).
// See docs/dashboard.md, "Who may fire".

#include <optional>
#include <string>
#include <string_view>

namespace asyncscope {

// The header the dashboard page sets on its fire requests; its value must be "1".
inline constexpr std::string_view fire_header_name = "X-Asyncscope-Fire";

// What the browser (or any client) sent with a POST /fire.
struct fire_request_origin {
  std::string_view host;                        // Host: "127.0.0.1:8001"
  std::optional<std::string_view> fire_header;  // X-Asyncscope-Fire
  std::optional<std::string_view> origin;       // Origin: "http://127.0.0.1:8001"
  std::optional<std::string_view> fetch_site;   // Sec-Fetch-Site: "same-origin"
};

// Nothing when the request may fire; otherwise why not, one sentence for the 403's detail.
// Allowed: the fire header is "1"; Origin, if sent, is this dashboard's own origin
// ("http://" + Host); Sec-Fetch-Site, if sent, is "same-origin" or "none" (typed by a person).
std::optional<std::string> why_fire_is_refused(const fire_request_origin& request);

}  // namespace asyncscope
