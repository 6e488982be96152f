#include "load.hpp"

#include "awaitable_result.hpp"
#include "response_body.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <thread>
#include <tuple>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using steady_clock = std::chrono::steady_clock;

namespace {

// Answers are small JSON objects; anything bigger is not from an asyncscope server.
constexpr std::uint64_t max_body_bytes = 1 << 20;

// Connects allowed in progress at once. Unlimited, all 10,000 connects would be made before the
// first request is written, so the server would get its work late and the latencies would
// include the client's own queue. A few hundred at a time interleave connecting with sending,
// and keep each burst of SYNs small: if a slow server lets its listen backlog overflow, only
// those in progress are dropped (and retried by the kernel a second later). Every request is
// still in flight at once after connecting.
constexpr std::size_t max_connects_in_progress = 256;

// A counting semaphore for coroutines on one thread: waiters park on a timer that never
// expires, and each release wakes one of them.
class connect_slots {
 public:
  connect_slots(const asio::any_io_executor& executor, std::size_t count)
      : free_(count), slot_freed_(executor, steady_clock::time_point::max()) {}

  asio::awaitable<void> acquire() {
    while (free_ == 0) co_await slot_freed_.async_wait(as_result);
    --free_;
  }

  void release() {
    ++free_;
    slot_freed_.cancel_one();
  }

 private:
  std::size_t free_;
  asio::steady_timer slot_freed_;
};

// What every worker on every client thread shares: where the server is, what to ask it, and
// where results go. Only `next_index` changes, and it is atomic.
struct load_run {
  tcp::resolver::results_type server;
  http::request<http::empty_body> request;  // the same GET for every connection
  steady_clock::duration timeout;
  steady_clock::time_point start;
  std::vector<request_record>& records;
  std::atomic<std::size_t> next_index = 0;  // the next request a worker takes
  std::atomic<std::size_t> paced = 0;       // connects that waited for a free file descriptor

  double seconds_since_start() const {
    return std::chrono::duration<double>(steady_clock::now() - start).count();
  }
};

// The reason a request failed, in the words a reader of the summary expects.
std::string failure_reason(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    return "connection reset";
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == asio::error::eof) {
    return "connection closed early";
  }
  if (ec == http::error::body_limit) return "response too large";
  if (ec.category() == make_error_code(http::error::bad_version).category()) {
    return "bad response";
  }
  if (ec == asio::error::no_descriptors) return "too many open files";
  return ec.message();
}

// The process (or the system) has no file descriptor left for another socket.
bool out_of_descriptors(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == beast::errc::too_many_files_open_in_system;
}

// Tries the server's addresses in turn, as asio::async_connect does with a resolver's results,
// but keeps "no file descriptor free" apart from the other errors (the range version reports it
// as a cancellation).
asio::awaitable<beast::error_code> connect_any(beast::tcp_stream& stream,
                                               const tcp::resolver::results_type& server) {
  beast::error_code error = asio::error::host_not_found;
  for (const auto& entry : server) {
    beast::error_code ignored;
    stream.socket().close(ignored);  // a failed attempt's socket is not reused
    std::tie(error) = co_await stream.async_connect(entry.endpoint(), as_result);
    if (!error || out_of_descriptors(error) || error == beast::error::timeout) break;
  }
  co_return error;
}

// Opens this request's own connection, holding a connect slot only while the handshake runs.
// The request's deadline starts here, so time spent waiting for a slot does not count. With no
// file descriptor free, it waits for other requests to close theirs: more requests than
// descriptors are paced, not failed.
asio::awaitable<void> connect_to_server(load_run& run, connect_slots& slots,
                                        beast::tcp_stream& stream, request_record& record) {
  for (;;) {
    co_await slots.acquire();
    record.sent_at = run.seconds_since_start();
    stream.expires_after(run.timeout);
    const auto error = co_await connect_any(stream, run.server);
    slots.release();
    if (!out_of_descriptors(error)) {
      if (error) throw beast::system_error(error);
      record.connected = true;
      co_return;
    }
    ++run.paced;
    asio::steady_timer pause{co_await asio::this_coro::executor, std::chrono::milliseconds(5)};
    co_await pause.async_wait(as_result);
  }
}

// Once the whole answer is in, the connection is dropped with a reset (linger 0) instead of the
// FIN handshake. A graceful close leaves one side of every connection in TIME_WAIT for a
// minute: 10,000 of them per run hold ports and kernel memory, slow the next run's connects,
// and cost both processes CPU while the run is still measuring. The server has already sent
// everything it will send (`Connection: close`), so nothing is lost.
void close_without_time_wait(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().set_option(asio::socket_base::linger(true, 0), ignored);
  stream.socket().close(ignored);
}

// One request, like one `client.get()` in the lesson: connect, send the GET, read the whole
// answer, close. The deadline set at connect covers the write and the read too.
asio::awaitable<void> send_one_request(load_run& run, connect_slots& slots,
                                       request_record& record) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  try {
    co_await connect_to_server(run, slots, stream, record);
    co_await http::async_write(stream, run.request, asio::use_awaitable);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    record.status = parser.get().result_int();
    record.body = std::move(parser.get().body());
    close_without_time_wait(stream);
  } catch (const beast::system_error& e) {
    record.error = failure_reason(e.code());
  }
  record.received_at = run.seconds_since_start();
}

// One of the --concurrency workers: sends the next request nobody has taken, until none is left.
asio::awaitable<void> worker(load_run& run, connect_slots& slots) {
  for (auto i = run.next_index++; i < run.records.size(); i = run.next_index++) {
    co_await send_one_request(run, slots, run.records[i]);
  }
}

// One client thread: its own single-threaded event loop running its share of the workers.
// On loopback the client's connect() and send() also do the server's half of the TCP work,
// so with thousands of connections one client thread, not the server, sets the pace.
class client_loop {
 public:
  client_loop(load_run& run, int workers) : slots_(io_.get_executor(), max_connects_in_progress) {
    for (int i = 0; i < workers; ++i) {
      asio::co_spawn(io_, worker(run, slots_), [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
      });
    }
  }
  void run() { io_.run(); }
  void stop() { io_.stop(); }  // from any thread; requests in flight are abandoned

 private:
  asio::io_context io_{1};
  connect_slots slots_;
};

// The GET every connection sends; `Connection: close` because each request has its own.
http::request<http::empty_body> make_request(const client_options& options) {
  http::request<http::empty_body> request{http::verb::get, options.target(), 11};
  const bool ipv6 = options.host.find(':') != std::string::npos;  // [::1]:8000
  request.set(http::field::host, ipv6 ? fmt::format("[{}]:{}", options.host, options.port)
                                      : fmt::format("{}:{}", options.host, options.port));
  request.set(http::field::user_agent, "asyncscope-client/" ASYNCSCOPE_VERSION);
  request.set(http::field::connection, "close");
  return request;
}

std::vector<request_record> numbered_records(int count) {
  std::vector<request_record> records(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < records.size(); ++i) records[i].index = i + 1;
  return records;
}

}  // namespace

load_result run_load(const client_options& options) {
  auto records = numbered_records(options.count);

  asio::io_context resolver_context;
  beast::error_code resolve_error;
  auto server = tcp::resolver(resolver_context)
                    .resolve(options.host, std::to_string(options.port), resolve_error);
  if (resolve_error) {
    for (auto& record : records) record.error = cannot_resolve_host;
    return {.started_at = unix_seconds_now(), .records = std::move(records)};
  }

  // The run's zero on both clocks, read together so that client and server times line up.
  const auto start = steady_clock::now();
  const double started_at = unix_seconds_now();
  load_run run{.server = std::move(server),
               .request = make_request(options),
               .timeout = std::chrono::duration_cast<steady_clock::duration>(
                   std::chrono::duration<double>(options.timeout_seconds)),
               .start = start,
               .records = records};
  std::vector<std::unique_ptr<client_loop>> loops;
  for (int t = 0; t < options.threads; ++t) {  // the workers, shared out evenly
    const int workers =
        options.concurrency / options.threads + (t < options.concurrency % options.threads ? 1 : 0);
    loops.push_back(std::make_unique<client_loop>(run, workers));
  }
  // Ctrl-C (or SIGTERM) stops every client thread; what finished is still summed up.
  asio::io_context control;
  asio::signal_set interrupt{control, SIGINT, SIGTERM};
  bool interrupted = false;
  interrupt.async_wait([&](const beast::error_code& ec, int) {
    if (ec) return;
    interrupted = true;
    for (auto& loop : loops) loop->stop();
  });
  std::atomic<std::size_t> running = loops.size();
  std::vector<std::jthread> threads;
  for (auto& loop : loops) {
    threads.emplace_back([&] {
      loop->run();
      if (--running == 0) asio::post(control, [&] { interrupt.cancel(); });
    });
  }
  control.run();
  threads.clear();  // joins

  for (auto& record : records) {
    if (interrupted && record.error.empty() && record.status == 0) {
      record.error = record.connected ? "interrupted" : "not sent (interrupted)";
    }
    record.result = read_endpoint_result(record.body);
  }
  return {.started_at = started_at,
          .records = std::move(records),
          .interrupted = interrupted,
          .paced_connects = run.paced};
}

}  // namespace asyncscope
