#pragma once
// The live dashboard's server side. It runs on a thread of its own, not on the event loop, so
// that while /async-wrong freezes the loop the page still hears every 100 ms how long the loop
// has been blocked. It writes the event stream (SSE) of every open page and fires the requests
// the page's buttons ask for.

#include "named_threads.hpp"
#include "routes.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <vector>

namespace asyncscope {

struct server_state;

class dashboard {
 public:
  explicit dashboard(server_state& server);
  ~dashboard();
  dashboard(const dashboard&) = delete;
  dashboard& operator=(const dashboard&) = delete;

  // Starts the dashboard thread; `server_address` is where the fired requests go.
  void start(boost::asio::ip::tcp::endpoint server_address);
  void stop_and_join();

  // Takes over a connection that asked for GET /events: from now on the dashboard thread writes
  // the stream to it, whatever the loop is doing.
  void adopt_event_stream(boost::asio::ip::tcp::socket socket);

  // Fires the requests, from the dashboard thread, as a client would.
  void fire(const fire_route& fire);

 private:
  struct event_stream;
  boost::asio::awaitable<void> broadcast();
  boost::asio::awaitable<void> stream_events(std::shared_ptr<event_stream> stream);
  boost::asio::awaitable<void> fire_one(std::string target);

  server_state& server_;
  named_threads thread_{"dashboard", 1};
  boost::asio::ip::tcp::endpoint server_address_;
  std::vector<std::shared_ptr<event_stream>> streams_;  // touched only on the dashboard thread
};

}  // namespace asyncscope
