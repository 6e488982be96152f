#pragma once
// What a request's head alone decides, before any body is read (RFC 9112): whether the body's
// length can be trusted, whether the request is for this server at all, and whether the client
// waits for "100 Continue". A pure function, so each rule has a unit test.
// The rules and their answers are listed in docs/reference.md, "HTTP".

#include "routes.hpp"

#include <boost/beast/http/message.hpp>

#include <optional>

namespace asyncscope {

struct head_verdict {
  std::optional<route_error> refuse;  // answer this and close the connection
  bool send_continue = false;         // Expect: 100-continue, and the body is wanted
};

// `loopback_only`: the server listens on loopback alone, so only loopback Host names are ours.
head_verdict check_request_head(const boost::beast::http::request_header<>& head,
                                bool loopback_only);

}  // namespace asyncscope
