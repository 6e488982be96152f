// asyncscope-server: builds the event loop and the worker pool, listens, and shuts down cleanly.

#include "awaitable_result.hpp"
#include "classroom.hpp"
#include "dashboard.hpp"
#include "fire_guard.hpp"
#include "listener.hpp"
#include "log_escaped.hpp"
#include "logging.hpp"
#include "named_threads.hpp"
#include "options.hpp"
#include "platform.hpp"
#include "process_limits.hpp"
#include "requests_in_flight.hpp"
#include "seconds.hpp"
#include "server_state.hpp"
#include "todo_backend.hpp"
#include "warm_heap.hpp"
#include "worker_processes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <optional>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asyncscope;

namespace {

// Binds the listening socket, on the acceptor thread: accepting goes on while the loop is
// blocked, and that one thread keeps accepting and shutdown from overlapping.
tcp::acceptor open_acceptor(asio::io_context& acceptor_thread, const server_options& options) {
  const tcp::endpoint where{asio::ip::make_address(options.host), options.port};
  tcp::acceptor acceptor{acceptor_thread, where.protocol()};
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  if (options.worker) share_port_with_other_workers(acceptor);
  acceptor.bind(where);
  acceptor.listen(65535);  // the kernel caps it at net.core.somaxconn
  // As listener.hpp needs it: connections already waiting are taken without waiting, and a client
  // that left before it was taken is skipped (by default Asio's accept would wait it out).
  acceptor.non_blocking(true);
  acceptor.set_option(asio::socket_base::enable_connection_aborted(true));
  return acceptor;
}

// The most fired work (seconds of sleep or work) outstanding at once, unless --max-sleep is
// longer: one request of the longest allowed sleep can always be fired.
constexpr double fire_budget_seconds = 60;

// The dashboard's port: --dashboard-port, or by default the main port + 1 (a free port, 0, when
// --port is 0).
int dashboard_port_for(const server_options& options, unsigned short main_port) {
  if (options.dashboard_port >= 0) return options.dashboard_port;
  return options.port == 0 ? 0 : main_port + 1;
}

// The dashboard's listening socket, on the dashboard's thread: on --host, or with --classroom on
// every interface.
tcp::acceptor open_dashboard_acceptor(asio::io_context& dashboard_thread,
                                      const server_options& options, unsigned short main_port) {
  const auto port = dashboard_port_for(options, main_port);
  const auto& host = options.dashboard_host.empty() ? options.host : options.dashboard_host;
  const tcp::endpoint where{asio::ip::make_address(host), static_cast<unsigned short>(port)};
  tcp::acceptor acceptor{dashboard_thread, where.protocol()};
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(where);
  acceptor.listen();
  return acceptor;
}

// The dashboard's table: the oldest requests in flight as GET /requests lists them, and the count.
requests_now_source requests_now(const server_state& server) {
  return [&server](std::size_t most) {
    auto [oldest, total] = server.requests.oldest(loop_tracking::steady_now_ns(), most);
    return std::pair{requests_json(oldest, server.counters.sessions_not_started), total};
  };
}

// First SIGINT/SIGTERM: stop accepting, let requests in flight finish (for --drain-timeout at
// most), then stop the loop and the pool. A second signal quits at once.
asio::awaitable<void> shutdown_on_signal(asio::signal_set& signals, tcp::acceptor& acceptor,
                                         server_state& server,
                                         std::chrono::milliseconds drain_timeout) {
  const auto [ec, signal] = co_await signals.async_wait(as_result);
  if (ec) co_return;
  server.counters.draining = true;
  spdlog::warn(
      "{} received: no new connections; answering the requests already sent "
      "(signal again to quit now)",
      signal == SIGINT ? "SIGINT" : "SIGTERM");
  signals.async_wait([](boost::system::error_code again, int second) {
    if (again) return;
    spdlog::warn("second signal: quitting now");
    flush_logs_for(std::chrono::milliseconds(500));  // _Exit skips the log writer's drain
    std::_Exit(128 + second);
  });
  // The drain runs on the loop; its deadline on this thread, so it holds even while the loop is
  // blocked. A frozen loop cannot be joined, so past the deadline the process ends without it.
  asio::steady_timer deadline{co_await asio::this_coro::executor, drain_timeout};
  asio::co_spawn(acceptor.get_executor(), stop_and_drain(acceptor, server),
                 [&deadline](const std::exception_ptr& escaped) {
                   log_escaped("the drain")(escaped);
                   asio::post(deadline.get_executor(), [&deadline] { deadline.cancel(); });
                 });
  if (const auto [drained] = co_await deadline.async_wait(as_result); !drained) {  // expired
    spdlog::error("ERROR {} request(s) still in flight after {} s (--drain-timeout); quitting",
                  server.counters.requests_in_flight.load(),
                  std::chrono::duration<double>(drain_timeout).count());
    flush_logs_for(std::chrono::milliseconds(500));  // _Exit skips the log writer's drain
    std::_Exit(1);
  }
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
  if (options.workers > 1 && !options.worker) return run_worker_processes(options, argc, argv);
  setup_logging(options.log_level, options.log_queue_lines);
  name_this_thread("main");

  // Declared before the threads that use them, so they outlive those threads.
  request_feed feed;
  request_metrics metrics;
  flight_recorder recorder{std::chrono::seconds(options.record_seconds)};
  requests_in_flight requests;
  idle_connections idle{options.http.keep_alive_timeout};
  loop_watch loops{
      std::chrono::milliseconds(options.block_warn_ms),
      [&feed](const std::string& text) {
        feed.add({.what = feed_event::kind::warning, .at = unix_seconds_now(), .text = text});
      },
      options.timing ? &recorder : nullptr};
  named_threads acceptor_thread{"acceptor", 1};
  named_threads event_loop{"loop", options.loop_threads};
  named_threads dashboard_thread{"dashboard", 1};  // serves the dashboard; never the loop
  worker_pool pool{options.pool_threads};
  raise_open_file_limit();  // one socket per connection: 10,000 at once need more than 1024
  const long spare_files = open_file_limit() - options.http.max_connections - 256;
  auto http = options.http;
  http.max_turning_away = static_cast<int>(std::clamp(spare_files, 64L, 10'000L));

  std::optional<tcp::acceptor> acceptor;
  try {
    acceptor.emplace(open_acceptor(acceptor_thread.context(), options));
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "asyncscope-server: cannot listen on {}:{}: {}\n", options.host,
               options.port, e.code().message());
    return 1;
  }
  // With --workers, worker 0 serves the dashboard and the others send browsers to its port.
  const bool serves_dashboard = !options.worker || options.worker->index == 0;
  std::optional<tcp::acceptor> dashboard_acceptor;
  if (serves_dashboard) try {
      dashboard_acceptor.emplace(open_dashboard_acceptor(dashboard_thread.context(), options,
                                                         acceptor->local_endpoint().port()));
    } catch (const boost::system::system_error& e) {
      fmt::print(
          stderr,
          "asyncscope-server: cannot listen on {} for the dashboard (--dashboard-port): {}\n",
          options.dashboard_host.empty() ? options.host : options.dashboard_host,
          e.code().message());
      return 1;
    }
  const auto bound = acceptor->local_endpoint();
  server_state server{
      .config = {.limits = {options.sleep, options.max_sleep},
                 .http = http,
                 .loop_threads = options.loop_threads,
                 .loopback_only = bound.address().is_loopback(),
                 .dashboard_port = static_cast<unsigned short>(
                     dashboard_acceptor ? dashboard_acceptor->local_endpoint().port()
                                        : dashboard_port_for(options, bound.port())),
                 .test_routes = options.test_routes,
                 .timing = options.timing},
      .event_loop = event_loop.context().get_executor(),
      .pool = pool,
      .loops = loops,
      .feed = feed,
      .metrics = metrics,
      .requests = requests,
      .recorder = recorder,
      .idle = idle};
  todo_backend todo{{.db = options.db,
                     .max_sleep = options.max_sleep,
                     .max_pool_queue = options.http.max_pool_queue},
                    pool,
                    &feed,
                    server.event_loop};
  server.todo = &todo;
  // Read by the dashboard's thread for its status; the number is taken before any thread starts.
  const int listening_socket = acceptor->native_handle();
  const std::string teacher_token = options.classroom ? new_fire_token() : std::string();
  std::optional<dashboard> live;
  if (dashboard_acceptor) {
    live.emplace(
        std::move(*dashboard_acceptor),
        dashboard_config{
            .limits = server.config.limits,
            .block_warn = std::chrono::milliseconds(options.block_warn_ms),
            .viewers = {.max_viewers = options.max_viewers},
            .fire = {.max_connections = std::clamp(options.http.max_connections / 4, 1, 100),
                     .budget_seconds = std::max(fire_budget_seconds, options.max_sleep),
                     .max_sleep = options.max_sleep},
            .fire_at = bound,
            .teacher_token = teacher_token},
        dashboard_sources{
            .feed = feed,
            .figures =
                [&server, listening_socket] {
                  auto figures = current_metrics(server);
                  figures.accept_queue = platform::accept_queue_length(listening_socket);
                  return figures;
                },
            .draining = [&server] { return server.counters.draining.load(); },
            .in_flight = options.timing ? requests_now(server) : requests_now_source{}});
  }
  // The signal handlers run on this (main) thread, so they work even while the loop is blocked.
  asio::io_context control;
  asio::signal_set signals{control, SIGINT, SIGTERM};

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
  todo.check_database();  // before the loop runs: it may block, for --db-timeout at most
  // Each loop thread faults its heap in (warm_heap.hpp) before the server says it listens, so
  // the first requests, a class's first run, find it as warm as the later ones.
  const auto warm_heap =  // the connections a loop thread may hold at once, 64 MiB at most
      std::min<std::size_t>(http.max_connections / options.loop_threads * heap_per_connection,
                            64 * 1024 * 1024);
  std::latch loops_warm{options.loop_threads};
  event_loop.start([&](const std::string& name) {
    warm_this_threads_heap(warm_heap);
    loops.watch_this_thread(name);
    if (options.timing) recorder.record_this_thread(name, true);
    loops_warm.count_down();
  });
  loops_warm.wait();
  loops.start();  // before the first request: the watchdog must see the first block too
  if (live && options.classroom) {
    spdlog::warn(
        "WARN --classroom: the dashboard listens on every network interface: anyone who can reach "
        "this machine can watch it; firing needs this machine's browser or the teacher's token");
  }
  // The log lines above come first, then the addresses, in one write: the log writer's thread
  // must not put a line between `listening on` and `dashboard on` (CI saw it do so).
  flush_logs_for(std::chrono::milliseconds(500));
  std::string announcement;
  if (options.worker) {
    tell_parent_listening(*options.worker);  // the parent prints the address once for all
  } else {
    const auto address = bound.address().to_string();
    announcement = fmt::format("listening on http://{}:{}\n",
                               bound.address().is_v6() ? "[" + address + "]" : address,
                               bound.port());
  }
  if (live) announcement += fmt::format("dashboard on {}\n", live->url());
  if (live && options.classroom) {
    announcement += classroom_banner(this_machines_addresses(), live->port(), teacher_token);
  }
  std::fwrite(announcement.data(), 1, announcement.size(), stdout);
  std::fflush(stdout);

  asio::co_spawn(acceptor->get_executor(), listener(*acceptor, server),
                 log_escaped("the accept loop"));
  asio::co_spawn(server.event_loop, idle.sweep(), log_escaped("the idle-connection sweep"));
  asio::co_spawn(control, shutdown_on_signal(signals, *acceptor, server, options.drain_timeout),
                 log_escaped("shutdown"));
  if (live) live->start();
  dashboard_thread.start();
  acceptor_thread.start();
  pool.start([&](const std::string& name) {
    if (options.timing) recorder.record_this_thread(name, false);
  });
  control.run();

  dashboard_thread.stop_and_join();
  acceptor_thread.stop_and_join();
  event_loop.stop_and_join();
  pool.stop_and_join();
  return 0;
}
