#pragma once
// The dashboard's event stream (server-sent events) as text: what each message says, in one
// place. docs/dashboard.md, "The event stream", lists the events and their fields.

#include "metrics.hpp"
#include "request_feed.hpp"

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace asyncscope {

// The first message of every stream: who the server is, and how far back the history goes.
std::string hello_event(const metrics_snapshot& figures, std::chrono::milliseconds block_warn,
                        double history_seconds);

// What the loop, the pool and the watchdog reported since the last tick: "io" and "warning"
// messages. Empty when nothing happened.
std::string feed_events(std::span<const feed_event> events);

// The figures as they are now: in flight, the pool, and how long each loop has been blocked.
std::string status_event(const metrics_snapshot& figures);

// Ends the history a new viewer gets after hello; what follows is live.
std::string live_event();

// Whether any loop thread is blocked in these figures.
bool any_loop_blocked(const metrics_snapshot& figures);

}  // namespace asyncscope
