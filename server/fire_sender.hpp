#pragma once
// Sends the requests the dashboard's buttons ask for, from the dashboard thread, as a client
// would: one connection each, to the main port. Bounded two ways so that a click (or a page
// that should not be clicking) can neither take the connection cap from real clients nor hold
// the loop for long: at most `max_connections` fired requests are open at once (the rest wait
// here, on the dashboard thread), and the work outstanding is capped by a fire_budget. When the
// server shuts down, what still waits here is dropped. Used on the dashboard thread only.

#include "fire_budget.hpp"
#include "routes.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace asyncscope {

struct fire_limits {
  int max_connections = 100;   // fired requests open at once: min(100, --max-connections / 4)
  double budget_seconds = 60;  // seconds of sleep (or work) outstanding, queued or running
  double max_sleep = 60;       // --max-sleep: how long one fired request may take to answer
};

class fire_sender {
 public:
  // `server` is where the requests go: the main port, on a loopback address. Once `draining`
  // says the server is shutting down, nothing more is sent.
  fire_sender(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint server,
              fire_limits limits, std::function<bool()> draining);
  fire_sender(const fire_sender&) = delete;
  fire_sender& operator=(const fire_sender&) = delete;

  // Queues fire.count requests, or refuses them whole: the text says why (the budget).
  std::optional<std::string> fire(const fire_route& fire);

  // The server is shutting down: forget the requests that have not been sent.
  void drop_queued(std::string_view why);

  int running() const { return running_; }
  std::size_t queued() const { return queue_.size(); }
  const fire_budget& budget() const { return budget_; }

 private:
  struct pending {
    std::string target;  // "/async-wrong?sleep=1.0"
    double seconds;      // what it takes from the budget
  };
  void start_queued();
  boost::asio::awaitable<void> send(std::string target);

  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::endpoint server_;
  std::string host_header_;  // "127.0.0.1:8000"
  fire_limits limits_;
  std::function<bool()> draining_;
  fire_budget budget_;
  std::deque<pending> queue_;
  int running_ = 0;
};

}  // namespace asyncscope
