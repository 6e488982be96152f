#pragma once
// Who may press the dashboard's fire buttons. POST /fire makes the server send requests to
// itself, so a web page on another site must not be able to trigger it through the teacher's
// browser. A page can make the browser send a cross-site form post or a "simple" fetch, but it
// cannot add a header of its own without the browser first asking permission (a CORS
// preflight), which the dashboard never grants. So /fire requires such a header, and it also
// reads what the browser says about where the request comes from (Origin, Sec-Fetch-Site).
//
// With --classroom the dashboard is open to a room of students, who watch but do not fire:
// firing then also needs the teacher's token (printed at start), unless the request comes from
// the server's own machine under a loopback name. A student's page cannot pass the Origin check
// by pointing a name of its own at the server (DNS rebinding makes Origin and Host agree), which
// is why the loopback exception asks for a loopback peer *and* a loopback Host.
// See docs/dashboard.md, "Who may fire".

#include <optional>
#include <string>
#include <string_view>

namespace asyncscope {

// The header the dashboard page sets on its fire requests; its value must be "1".
inline constexpr std::string_view fire_header_name = "X-Asyncscope-Fire";
// The header that carries the teacher's token (--classroom), set by the page opened with it.
inline constexpr std::string_view fire_token_header_name = "X-Asyncscope-Token";

// What the browser (or any client) sent with a POST /fire.
struct fire_request_origin {
  std::string_view host;                        // Host: "127.0.0.1:8001"
  std::optional<std::string_view> fire_header;  // X-Asyncscope-Fire
  std::optional<std::string_view> origin;       // Origin: "http://127.0.0.1:8001"
  std::optional<std::string_view> fetch_site;   // Sec-Fetch-Site: "same-origin"
  bool peer_is_loopback = true;                 // the connection comes from this machine
  std::optional<std::string_view> token{};      // X-Asyncscope-Token
};

// Nothing when the request may fire; otherwise why not, one sentence for the 403's detail.
// Allowed: the fire header is "1"; Origin, if sent, is this dashboard's own origin
// ("http://" + Host); Sec-Fetch-Site, if sent, is "same-origin" or "none" (typed by a person).
// When `teacher_token` is not empty (--classroom), also: the token matches, or both the peer
// and the Host are loopback.
std::optional<std::string> why_fire_is_refused(const fire_request_origin& request,
                                               std::string_view teacher_token = {});

// Whether `given` is `expected`, in a time that depends only on expected's length, so that
// timing the answers tells nothing about how much of a guess was right.
bool same_token(std::string_view given, std::string_view expected);

// A new teacher's token: 128 random bits from the OS, as 32 hex digits.
std::string new_fire_token();

}  // namespace asyncscope
