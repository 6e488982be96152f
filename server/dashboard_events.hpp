#pragma once
// The dashboard's event stream (server-sent events) as text: what each message says, in one
// place. docs/dashboard.md, "The event stream", lists the events and their fields.

#include "metrics.hpp"
#include "request_feed.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace asyncscope {

// Who may press the fire buttons: anyone the fire guard lets through, or, with --classroom,
// only the teacher (a browser on the server's machine, or one with the token).
enum class who_fires { anyone, teacher };

// The first message of every stream: who the server is, how far back the history goes, and who
// may fire (a viewer's page hides its buttons when it cannot).
// `timing`: whether the server measures each request's time (--timing), so that the page offers
// its cards and its table of requests in flight.
std::string hello_event(const metrics_snapshot& figures, std::chrono::milliseconds block_warn,
                        double history_seconds, who_fires fires, bool timing);

// A page fired `count` requests to `endpoint`: every page starts counting a new batch, from the
// server's figures as they are now.
std::string batch_event(std::string_view endpoint, int count, const metrics_snapshot& figures);

// What the loop, the pool and the watchdog reported since the last tick: "io" and "warning"
// messages. Empty when nothing happened.
std::string feed_events(std::span<const feed_event> events);

// The figures as they are now: in flight, read and answered so far, the accept queue, the pool,
// and how long each loop has been blocked.
std::string status_event(const metrics_snapshot& figures);

// How requests' time split when their answers were ready, and whom each waited behind: one
// "timing" message per request, for the card a page shows on its bar.
std::string timing_events(std::span<const timing_report> reports);

// The requests in flight now, the oldest first (`requests`: GET /requests's body, cut short;
// `total`: how many there are in all): the page's table.
std::string requests_event(boost::json::object requests, std::size_t total);

// Ends the history a new viewer gets after hello; what follows is live.
std::string live_event();

// Whether any loop thread is blocked in these figures.
bool any_loop_blocked(const metrics_snapshot& figures);

}  // namespace asyncscope
