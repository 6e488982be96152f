#pragma once
// The dashboard's own little HTTP server, on its own port and its own thread: GET / (the
// page), GET /events (the live stream) and POST /fire (the buttons). Nothing here waits for the
// event loop, so the page opens, and keeps moving, while /async-wrong holds the loop.

#include "dashboard_history.hpp"
#include "dashboard_viewers.hpp"
#include "fire_sender.hpp"
#include "routes.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <functional>
#include <string>
#include <vector>

namespace asyncscope {

// What the dashboard's requests reach. Everything here lives on the dashboard thread.
struct dashboard_site {
  bool loopback_only = true;  // bound to loopback: a Host that is not a loopback name gets 421
  std::string teacher_token;  // --classroom: what a browser off this machine needs to fire
  sleep_limits limits;        // what a POST /fire may ask for
  event_viewers& viewers;     // GET /events
  fire_sender& fire;          // POST /fire
  // What a new viewer gets before the live events: the response head, hello and the history.
  std::function<std::vector<encoded_events>()> stream_start;
  std::function<bool()> draining;                // the server is shutting down: fire nothing more
  std::function<void(const fire_route&)> fired;  // a batch was queued: tell every page
};

// One connection to the dashboard's port: requests answered one after another while the client
// keeps it alive, or, for GET /events, the stream until the viewer leaves.
boost::asio::awaitable<void> dashboard_session(boost::beast::tcp_stream stream,
                                               dashboard_site& site);

}  // namespace asyncscope
