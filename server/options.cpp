#include "options.hpp"

#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

#include <cmath>
#include <sstream>
#include <tuple>

namespace asyncscope {

namespace po = boost::program_options;

namespace {

constexpr const char* about =
    R"(asyncscope-server: see how sync, async and async-but-blocking handlers run.

Three endpoints each simulate I/O for --sleep seconds (or ?sleep=SECONDS):
  GET /sync-endpoint    blocking code on a worker pool thread; the event loop stays free
  GET /async-endpoint   a coroutine that awaits a timer; one loop thread serves everyone
  GET /async-wrong      a coroutine that blocks the loop thread; requests go one by one
The other pitfalls, and the fix:
  GET /async-offload       the fix for /async-wrong: the coroutine awaits the blocking call
                           on the worker pool, so the loop stays free
  GET /async-forgot-await  calls the nested coroutine but never co_awaits it: no I/O happens
  GET /async-cpu?work=S    S seconds of real computation inside a coroutine: blocks the loop
The database lesson: the book's ToDo API on MariaDB (--db), three ways:
  /sync/tasks           blocking database calls on a worker pool thread
  /async/tasks          a coroutine that awaits the database; the loop stays free
  /async-wrong/tasks    a coroutine that makes blocking database calls: the loop stands still
  GET and POST /P/tasks, PUT and DELETE /P/tasks/{id} and /P/tasks/{id}/done, ?sleep=SECONDS
And to watch it:
  GET /                 redirects to the live dashboard, served on its own port
                        (--dashboard-port) by its own thread: a lane per thread, requests
                        as bars, blocked warnings, buttons that fire requests
  GET /metrics          Prometheus text format: requests, latency, pool and loop-blocked time
  GET /requests         the requests in flight: running, suspended at which co_await, or queued
  GET /trace?seconds=S  the last S seconds of handler runs, as Chrome trace-event JSON (Perfetto)
  GET /healthz          {"status": "ok"}
Every log line shows the process id, the OS thread id and the thread's name. A watchdog warns
while a loop thread is blocked (longer than --block-warn-ms) and names the request holding it
and the line it is running. Each lesson answer says how its time split: queued, busy (holding a
thread), waiting (suspended in a co_await), and which requests it waited behind.)";

constexpr const char* examples = R"(
Examples:
  asyncscope-server                         # http://127.0.0.1:8000, 1 loop thread, 40 pool threads
  asyncscope-server --port 0                # any free port (printed on start)
  asyncscope-server --pool-threads 4 --sleep 0.2
  asyncscope-server --workers 2             # 2 processes, each with its own loop and pool
  asyncscope-server --classroom             # students' browsers watch; the teacher fires
Then, in another terminal:
  asyncscope-client -e async-endpoint -c 50)";

struct raw_flags {
  std::string host, sleep, max_sleep, log_level, read_timeout, keep_alive_timeout, drain_timeout;
  std::string timing;
  int port = 0, loop_threads = 0, pool_threads = 0, workers = 0, block_warn_ms = 0;
  int record_seconds = 0;
  int worker_index = -1, worker_port = -1, worker_ready_fd = -1;
  int max_connections = 0, max_pool_queue = 0, dashboard_port = 0, max_viewers = 0;
  bool test_routes = false, classroom = false;
  long long log_queue = 0;
  std::size_t max_header_bytes = 0, max_body_bytes = 0;
  raw_db_flags db;
};

std::string seconds_text(std::chrono::milliseconds ms) {
  return decimal_text(std::chrono::duration<double>(ms).count());
}

// One description serves the parser and --help; defaults come from server_options.
po::options_description describe(raw_flags& raw) {
  const server_options defaults;
  po::options_description flags("Options");
  // clang-format off
  flags.add_options()
    ("host", po::value(&raw.host)->default_value(defaults.host), "address to bind")
    ("port", po::value(&raw.port)->default_value(defaults.port), "port; 0 picks a free one")
    ("loop-threads", po::value(&raw.loop_threads)->default_value(defaults.loop_threads),
     "threads that run the event loop")
    ("pool-threads", po::value(&raw.pool_threads)->default_value(defaults.pool_threads),
     "worker threads for blocking (sync) handlers")
    ("workers", po::value(&raw.workers)->default_value(defaults.workers),
     "processes sharing the port (SO_REUSEPORT), each with its own loop and pool; a parent "
     "starts them and starts a new one when one dies")
    ("sleep", po::value(&raw.sleep)->default_value(decimal_text(defaults.sleep)),
     "default simulated I/O time, seconds")
    ("max-sleep", po::value(&raw.max_sleep)->default_value(decimal_text(defaults.max_sleep)),
     "largest ?sleep= a request may ask for, seconds")
    ("block-warn-ms", po::value(&raw.block_warn_ms)->default_value(defaults.block_warn_ms),
     "warn while a loop thread has been away from the loop this long, ms (asyncio's: 100)")
    ("read-timeout", po::value(&raw.read_timeout)->default_value(seconds_text(defaults.http.read_timeout)),
     "seconds a client has to send a whole request (header and body); slower ones are cut")
    ("keep-alive-timeout",
     po::value(&raw.keep_alive_timeout)->default_value(seconds_text(defaults.http.keep_alive_timeout)),
     "seconds an idle kept-alive connection stays open between requests")
    ("max-header-bytes", po::value(&raw.max_header_bytes)->default_value(defaults.http.max_header_bytes),
     "largest request header; beyond it: 431")
    ("max-body-bytes", po::value(&raw.max_body_bytes)->default_value(defaults.http.max_body_bytes),
     "largest request body; beyond it: 413")
    ("max-connections", po::value(&raw.max_connections)->default_value(defaults.http.max_connections),
     "most client connections open at once; beyond it: 503 and close")
    ("max-pool-queue", po::value(&raw.max_pool_queue)->default_value(defaults.http.max_pool_queue),
     "most jobs waiting for a worker pool thread; beyond it: 503 with Retry-After")
    ("drain-timeout", po::value(&raw.drain_timeout)->default_value(seconds_text(defaults.drain_timeout)),
     "at SIGTERM/SIGINT, seconds to let requests in flight finish; then quit anyway (exit 1)")
    ("timing", po::value(&raw.timing)->default_value("on"),
     "on: each request's queued, busy and waiting time, whom it waited behind, GET /requests and "
     "the flight recorder (GET /trace); off: none of these, to measure what they cost")
    ("record-seconds", po::value(&raw.record_seconds)->default_value(defaults.record_seconds),
     "seconds of handler runs and warnings the flight recorder keeps for GET /trace, 1 to 3600")
    ("dashboard-port", po::value(&raw.dashboard_port)->default_value(defaults.dashboard_port),
     "the live dashboard's own port; -1: --port + 1 (a free one with --port 0); 0: a free one")
    ("max-viewers", po::value(&raw.max_viewers)->default_value(defaults.max_viewers),
     "most dashboard pages watching at once; beyond it: 503 (or a stalled one makes room)")
    ("classroom", po::bool_switch(&raw.classroom),
     "the dashboard listens on every interface so a class can watch (read-only); firing stays "
     "with the teacher: this machine's browser, or the URL with the token printed at start")
    ("log-level", po::value(&raw.log_level)->default_value("info"),
     "trace, debug, info, warn, error or off (warn: requests log nothing)")
    ("log-queue", po::value(&raw.log_queue)->default_value(static_cast<long long>(defaults.log_queue_lines)),
     "log lines that may wait for the log writer; beyond it new lines are dropped, counted in "
     "/metrics and warned about")
    ("help,h", "show this help and exit")
    ("version", "show the version and exit");
  // clang-format on
  add_db_flags(flags, raw.db);
  return flags;
}

parsed_server_options bad_flag(const std::string& text) {
  return {std::nullopt, fmt::format("asyncscope-server: {} (see --help)", text), 2};
}

// Checks what the parser cannot: ranges, and the strings that stand for numbers or levels.
parsed_server_options validate(const raw_flags& raw) {
  server_options o;
  boost::system::error_code ec;
  boost::asio::ip::make_address(raw.host, ec);
  if (ec && raw.host != "localhost") {
    return bad_flag(fmt::format("--host: '{}' is not an IP address", raw.host));
  }
  o.host = raw.host == "localhost" ? "127.0.0.1" : raw.host;
  if (raw.port < 0 || raw.port > 65535) {
    return bad_flag(fmt::format("--port must be from 0 to 65535, got {}", raw.port));
  }
  o.port = static_cast<unsigned short>(raw.port);
  if (raw.loop_threads < 1 || raw.loop_threads > 256) {
    return bad_flag(fmt::format("--loop-threads must be from 1 to 256, got {}", raw.loop_threads));
  }
  o.loop_threads = raw.loop_threads;
  if (raw.pool_threads < 1 || raw.pool_threads > 1000) {
    return bad_flag(fmt::format("--pool-threads must be from 1 to 1000, got {}", raw.pool_threads));
  }
  o.pool_threads = raw.pool_threads;
  if (raw.workers < 1 || raw.workers > 64) {
    return bad_flag(fmt::format("--workers must be from 1 to 64, got {}", raw.workers));
  }
  o.workers = raw.workers;
  if (raw.worker_index >= 0) {  // hidden flags, from the parent: not checked for people
    o.worker = worker_role{.index = raw.worker_index,
                           .port = static_cast<unsigned short>(raw.worker_port),
                           .ready_fd = raw.worker_ready_fd};
    o.port = o.worker->port;
  }
  if (raw.block_warn_ms < 1 || raw.block_warn_ms > 3'600'000) {
    return bad_flag(
        fmt::format("--block-warn-ms must be from 1 to 3600000, got {}", raw.block_warn_ms));
  }
  o.block_warn_ms = raw.block_warn_ms;
  for (const auto& [flag, text, out] :
       {std::tuple{"--read-timeout", &raw.read_timeout, &o.http.read_timeout},
        std::tuple{"--keep-alive-timeout", &raw.keep_alive_timeout, &o.http.keep_alive_timeout},
        std::tuple{"--drain-timeout", &raw.drain_timeout, &o.drain_timeout}}) {
    const auto seconds = parse_seconds(*text);
    if (!seconds || *seconds < 0.001 || *seconds > 86'400) {
      return bad_flag(
          fmt::format("{} must be a number of seconds from 0.001 to 86400, got '{}'", flag, *text));
    }
    *out = std::chrono::milliseconds(std::llround(*seconds * 1000));
  }
  if (raw.max_header_bytes < 256 || raw.max_header_bytes > 1024 * 1024) {
    return bad_flag(fmt::format("--max-header-bytes must be from 256 to 1048576, got {}",
                                raw.max_header_bytes));
  }
  o.http.max_header_bytes = raw.max_header_bytes;
  if (raw.max_body_bytes > 64 * 1024 * 1024) {
    return bad_flag(
        fmt::format("--max-body-bytes must be at most 67108864, got {}", raw.max_body_bytes));
  }
  o.http.max_body_bytes = raw.max_body_bytes;
  if (raw.max_connections < 1 || raw.max_connections > 1'000'000) {
    return bad_flag(
        fmt::format("--max-connections must be from 1 to 1000000, got {}", raw.max_connections));
  }
  o.http.max_connections = raw.max_connections;
  if (raw.max_pool_queue < 0 || raw.max_pool_queue > 1'000'000) {
    return bad_flag(
        fmt::format("--max-pool-queue must be from 0 to 1000000, got {}", raw.max_pool_queue));
  }
  o.http.max_pool_queue = raw.max_pool_queue;
  if (raw.dashboard_port < -1 || raw.dashboard_port > 65535) {
    return bad_flag(
        fmt::format("--dashboard-port must be from -1 to 65535, got {}", raw.dashboard_port));
  }
  if (raw.dashboard_port > 0 && raw.dashboard_port == raw.port) {
    return bad_flag(fmt::format("--dashboard-port must differ from --port ({})", raw.port));
  }
  if (raw.dashboard_port == -1 && raw.port == 65535) {
    return bad_flag("--port 65535 leaves no --port + 1 for the dashboard; give --dashboard-port");
  }
  if (raw.dashboard_port == 0 && raw.workers > 1) {
    return bad_flag(
        "--dashboard-port 0 (any free port) cannot be used with --workers: worker 0 serves the "
        "dashboard and the others send browsers to it, so give a port or leave it at -1");
  }
  o.dashboard_port = raw.dashboard_port;
  if (raw.max_viewers < 1 || raw.max_viewers > 100'000) {
    return bad_flag(fmt::format("--max-viewers must be from 1 to 100000, got {}", raw.max_viewers));
  }
  o.max_viewers = raw.max_viewers;
  if (raw.classroom && raw.workers > 1) {
    return bad_flag(
        "--classroom runs one process: with --workers, a restarted worker 0 would print a new "
        "teacher's token");
  }
  o.classroom = raw.classroom;
  if (o.classroom) o.dashboard_host = "0.0.0.0";
  const auto max_sleep = parse_seconds(raw.max_sleep);
  if (!max_sleep || *max_sleep <= 0 || *max_sleep > 86'400) {
    return bad_flag(
        fmt::format("--max-sleep must be a number of seconds above 0 and at most 86400, got '{}'",
                    raw.max_sleep));
  }
  o.max_sleep = *max_sleep;
  const auto sleep = parse_seconds(raw.sleep);
  if (!sleep || *sleep > o.max_sleep) {
    return bad_flag(
        fmt::format("--sleep must be a number of seconds from 0 to {} (--max-sleep), "
                    "got '{}'",
                    o.max_sleep, raw.sleep));
  }
  o.sleep = *sleep;
  o.test_routes = raw.test_routes;
  if (const auto problem = read_db_flags(raw.db, o.db)) return bad_flag(*problem);
  if (raw.timing != "on" && raw.timing != "off") {
    return bad_flag(fmt::format("--timing must be on or off, got '{}'", raw.timing));
  }
  o.timing = raw.timing == "on";
  if (raw.record_seconds < 1 || raw.record_seconds > 3600) {
    return bad_flag(
        fmt::format("--record-seconds must be from 1 to 3600, got {}", raw.record_seconds));
  }
  o.record_seconds = raw.record_seconds;
  o.log_level = spdlog::level::from_str(raw.log_level);
  if (o.log_level == spdlog::level::off && raw.log_level != "off") {
    return bad_flag(fmt::format(
        "--log-level must be trace, debug, info, warn, error or off, got '{}'", raw.log_level));
  }
  if (raw.log_queue < 1 || raw.log_queue > 10'000'000) {
    return bad_flag(fmt::format("--log-queue must be from 1 to 10000000, got {}", raw.log_queue));
  }
  o.log_queue_lines = static_cast<std::size_t>(raw.log_queue);
  return {o, "", 0};
}

}  // namespace

parsed_server_options parse_server_options(int argc, const char* const argv[]) {
  raw_flags raw;
  const auto flags = describe(raw);
  po::options_description hidden;  // parsed, not shown in --help
  // clang-format off
  hidden.add_options()
    ("test-routes", po::bool_switch(&raw.test_routes),
     "GET /test/throw throws, to test what a failing handler does")
    ("worker-index", po::value(&raw.worker_index), "set by --workers: this worker's number")
    ("worker-port", po::value(&raw.worker_port), "set by --workers: the port all workers share")
    ("worker-ready-fd", po::value(&raw.worker_ready_fd),
     "set by --workers: where to tell the parent this worker listens");
  // clang-format on
  po::options_description all;
  all.add(flags).add(hidden);
  po::variables_map vm;
  try {
    const auto parsed = po::command_line_parser(argc, argv).options(all).allow_unregistered().run();
    // A stray word ("asyncscope-server 8080") or an unknown flag is an error, not ignored.
    for (const auto& unknown : po::collect_unrecognized(parsed.options, po::include_positional)) {
      if (unknown.starts_with('-')) return bad_flag(fmt::format("unknown flag '{}'", unknown));
      return bad_flag(fmt::format(
          "unexpected argument '{}': every value needs its flag, e.g. --port 8080", unknown));
    }
    po::store(parsed, vm);
    if (vm.count("help")) {
      std::ostringstream help;
      help << about << "\n\nUsage: asyncscope-server [options]\n\n" << flags << examples;
      return {std::nullopt, help.str(), 0};
    }
    if (vm.count("version")) return {std::nullopt, "asyncscope-server " ASYNCSCOPE_VERSION, 0};
    po::notify(vm);
  } catch (const po::error& e) {
    return bad_flag(e.what());
  }
  return validate(raw);
}

}  // namespace asyncscope
