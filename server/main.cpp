// asyncscope-server: builds the event loop and the worker pool, listens, and shuts down cleanly.

#include "awaitable_result.hpp"
#include "dashboard.hpp"
#include "http_session.hpp"
#include "logging.hpp"
#include "named_threads.hpp"
#include "options.hpp"
#include "process_limits.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asyncscope;

namespace {

// Binds the listening socket; its own strand keeps accepting and shutdown from overlapping.
tcp::acceptor open_acceptor(asio::io_context& loop, const server_options& options) {
  const tcp::endpoint where{asio::ip::make_address(options.host), options.port};
  tcp::acceptor acceptor{asio::make_strand(loop), where.protocol()};
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(where);
  acceptor.listen(65535);  // the kernel caps it at net.core.somaxconn
  return acceptor;
}

// First SIGINT/SIGTERM: stop accepting, let requests in flight finish, then stop the loop and
// the pool. A second signal quits at once.
asio::awaitable<void> shutdown_on_signal(asio::signal_set& signals, tcp::acceptor& acceptor,
                                         server_state& server) {
  const auto [ec, signal] = co_await signals.async_wait(as_result);
  if (ec) co_return;
  server.draining = true;
  spdlog::warn(
      "{} received: no new connections; answering the requests already sent "
      "(signal again to quit now)",
      signal == SIGINT ? "SIGINT" : "SIGTERM");
  signals.async_wait([](boost::system::error_code again, int second) {
    if (again) return;
    spdlog::warn("second signal: quitting now");
    flush_logs_for(std::chrono::milliseconds(500));  // async-log: _Exit skips the log's drain
    std::_Exit(128 + second);
  });
  co_await asio::co_spawn(acceptor.get_executor(), stop_and_drain(acceptor, server),
                          asio::use_awaitable);
  spdlog::info("all requests answered; bye");
  signals.cancel();
}

}  // namespace

int main(int argc, char* argv[]) {
  const auto parsed = parse_server_options(argc, argv);
  if (!parsed.options) {
    (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message << '\n';
    return parsed.exit_code;
  }
  const auto& options = *parsed.options;
  setup_logging(options.log_level, options.log_queue_lines);
  name_this_thread("main");

  // Declared before the threads that use them, so they outlive those threads.
  request_feed feed;
  request_metrics metrics;
  loop_watch loops{
      std::chrono::milliseconds(options.block_warn_ms), [&feed](const std::string& text) {
        feed.add({.what = feed_event::kind::warning, .at = unix_seconds_now(), .text = text});
      }};
  named_threads event_loop{"loop", options.loop_threads};
  worker_pool pool{options.pool_threads};
  server_state server{.limits = {options.sleep, options.max_sleep},
                      .http = options.http,
                      .event_loop = event_loop.context().get_executor(),
                      .loop_threads = options.loop_threads,
                      .pool = pool,
                      .loops = loops,
                      .feed = feed,
                      .metrics = metrics};
  dashboard live{server};
  raise_open_file_limit();  // one socket per connection: 10,000 at once need more than 1024
  const long spare_files = open_file_limit() - options.http.max_connections - 256;
  server.http.max_turning_away = static_cast<int>(std::clamp(spare_files, 64L, 10'000L));

  std::optional<tcp::acceptor> acceptor;
  try {
    acceptor.emplace(open_acceptor(event_loop.context(), options));
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "asyncscope-server: cannot listen on {}:{}: {}\n", options.host,
               options.port, e.code().message());
    return 1;
  }
  // The signal handlers run on this (main) thread, so they work even while the loop is blocked.
  asio::io_context control;
  asio::signal_set signals{control, SIGINT, SIGTERM};

  const auto bound = acceptor->local_endpoint();
  spdlog::info("asyncscope-server {}: {} loop thread(s), {} pool thread(s), default sleep {} s",
               ASYNCSCOPE_VERSION, options.loop_threads, options.pool_threads, options.sleep);
  if (spare_files < 64) {
    spdlog::warn(
        "WARN --max-connections {} is close to the open-file limit ({}): connections may fail to "
        "be accepted before the cap answers them 503",
        options.http.max_connections, open_file_limit());
  }
  if (bound.address().is_unspecified()) {
    spdlog::warn(
        "WARN listening on every network interface: anyone who can reach this machine can send "
        "requests (use --host 127.0.0.1 to keep it to this machine)");
  }
  const auto address = bound.address().to_string();
  fmt::print("listening on http://{}:{}\n", bound.address().is_v6() ? "[" + address + "]" : address,
             bound.port());
  std::fflush(stdout);

  asio::co_spawn(acceptor->get_executor(), listener(*acceptor, server), asio::detached);
  asio::co_spawn(control, shutdown_on_signal(signals, *acceptor, server), asio::detached);
  live.start(bound);
  server.live = &live;  // before the loop runs: its sessions read it
  event_loop.start([&loops](const std::string& name) { loops.watch_this_thread(name); });
  pool.start();
  loops.start();
  control.run();

  live.stop_and_join();
  event_loop.stop_and_join();
  pool.stop_and_join();
  return 0;
}
