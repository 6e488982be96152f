#pragma once
// Which Host headers a server bound to loopback answers. A web page on another site can make a
// browser send requests to 127.0.0.1 under a name it controls (DNS rebinding); such a request
// carries that name in Host, so answering only loopback names keeps those pages out.
// See docs/reference.md, "Who may talk to the server".

#include <string_view>

namespace asyncscope {

// True for "localhost", "127.0.0.1", "[::1]" and other loopback names and addresses, with or
// without ":port".
bool is_loopback_host(std::string_view host_header);

// What the server answers: every Host when it listens on other interfaces too (the user chose to
// be reachable), only loopback names when it listens on loopback alone.
inline bool host_allowed(std::string_view host_header, bool bound_to_loopback_only) {
  return !bound_to_loopback_only || is_loopback_host(host_header);
}

}  // namespace asyncscope
