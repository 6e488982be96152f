#include "load.hpp"

#include "awaitable_result.hpp"
#include "response_body.hpp"
#include "result_headers.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
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
  // --duration: when workers stop starting requests, and each worker's own records (a worker
  // only appends to its own, so no lock); empty otherwise.
  std::optional<steady_clock::time_point> until{};
  bool todo_mix = false;  // --todo-mix: create, list, done, delete instead of the same GET
  std::vector<std::vector<request_record>> sustained{};

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
    // The database lesson's answers carry the result in headers (their body is the book's).
    record.result = read_result_headers([&head = parser.get()](std::string_view name) {
      const auto found = head.find(name);
      return found == head.end() ? std::string_view{} : std::string_view(found->value());
    });
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

// The result an answer carries: in its headers (the ToDo routes) or as its body (the lesson's).
std::optional<endpoint_result> result_of(const http::response<http::string_body>& answer) {
  auto result = read_result_headers([&answer](std::string_view name) {
    const auto found = answer.find(name);
    return found == answer.end() ? std::string_view{} : std::string_view(found->value());
  });
  return result ? result : read_endpoint_result(answer.body());
}

// --todo-mix: the book's ToDo API used as an app would, on each connection in turn: create a
// task, list the tasks, mark it done, delete it. `step` counts from 0; `id` is the task created.
http::request<http::string_body> todo_mix_request(const load_run& run, std::size_t step,
                                                  std::int64_t id) {
  const std::string_view target = run.request.target();
  const auto query_at = std::min(target.find('?'), target.size());
  const auto path = target.substr(0, query_at);  // "/async/tasks"
  const auto query = target.substr(query_at);    // "?sleep=0.05", or empty
  http::request<http::string_body> request{http::verb::get, "", 11};
  switch (step % 4) {
    case 0:
      request.method(http::verb::post);
      request.target(fmt::format("{}{}", path, query));
      request.set(http::field::content_type, "application/json");
      request.body() = R"({"title": "asyncscope-client --todo-mix"})";
      break;
    case 1:
      request.target(target);
      break;
    case 2:
      request.method(http::verb::put);
      request.target(fmt::format("{}/{}/done{}", path, id, query));
      break;
    default:
      request.method(http::verb::delete_);
      request.target(fmt::format("{}/{}{}", path, id, query));
      break;
  }
  request.set(http::field::host, run.request[http::field::host]);
  request.set(http::field::user_agent, run.request[http::field::user_agent]);
  request.prepare_payload();
  return request;
}

// The id in a created task's answer, {"id": 7, ...}; 0 when there is none.
std::int64_t created_id(const std::string& body) {
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (ec || !value.is_object() || !value.as_object().contains("id")) return 0;
  const auto& id = value.as_object().at("id");
  return id.is_int64() ? id.as_int64() : 0;
}

// A --duration worker, like one of wrk's connections: one connection kept alive, the next
// request sent as soon as the last is answered, until the time is up. A connection the server
// closes (or that fails) is opened again for the next request. Bodies are read into the result
// at once and not kept: a run holds tens of thousands of records.
asio::awaitable<void> sustained_worker(load_run& run, connect_slots& slots,
                                       std::vector<request_record>& mine) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  beast::flat_buffer buffer;
  bool open = false;
  std::size_t step = 0;  // --todo-mix: where this connection is in its cycle
  std::int64_t id = 0;   // --todo-mix: the task it created
  while (steady_clock::now() < *run.until) {
    request_record record;
    try {
      if (open) {
        record.sent_at = run.seconds_since_start();
        record.connected = true;
        stream.expires_after(run.timeout);
      } else {
        buffer.clear();
        co_await connect_to_server(run, slots, stream, record);
        open = true;
      }
      if (run.todo_mix) {
        auto request = todo_mix_request(run, step, id);
        co_await http::async_write(stream, request, asio::use_awaitable);
      } else {
        co_await http::async_write(stream, run.request, asio::use_awaitable);
      }
      http::response_parser<http::string_body> parser;
      parser.body_limit(max_body_bytes);
      co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
      record.status = parser.get().result_int();
      record.result = result_of(parser.get());
      if (run.todo_mix && step % 4 == 0) id = created_id(parser.get().body());
      if (!parser.get().keep_alive()) {
        close_without_time_wait(stream);
        open = false;
      }
    } catch (const beast::system_error& e) {
      record.error = failure_reason(e.code());
      close_without_time_wait(stream);
      open = false;
    }
    record.received_at = run.seconds_since_start();
    const bool failed = !record.error.empty() || record.status / 100 != 2;
    mine.push_back(std::move(record));
    // A task that was not created is not marked done or deleted: the cycle starts again.
    step = run.todo_mix && step % 4 == 0 && id == 0 ? 0 : step + 1;
    if (failed) {  // no server, or a full one: a short pause, not a busy loop of failures
      asio::steady_timer pause{co_await asio::this_coro::executor, std::chrono::milliseconds(50)};
      co_await pause.async_wait(as_result);
    }
  }
  if (open) close_without_time_wait(stream);
}

// One client thread: its own single-threaded event loop running its share of the workers.
// On loopback the client's connect() and send() also do the server's half of the TCP work,
// so with thousands of connections one client thread, not the server, sets the pace.
class client_loop {
 public:
  // Runs workers first_worker, first_worker + 1, ... (their number matters in --duration runs).
  client_loop(load_run& run, int first_worker, int workers)
      : slots_(io_.get_executor(), max_connects_in_progress) {
    for (int i = first_worker; i < first_worker + workers; ++i) {
      const auto rethrow = [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
      };
      if (run.until) {
        asio::co_spawn(io_, sustained_worker(run, slots_, run.sustained[static_cast<std::size_t>(i)]),
                       rethrow);
      } else {
        asio::co_spawn(io_, worker(run, slots_), rethrow);
      }
    }
  }
  void run() { io_.run(); }
  void stop() { io_.stop(); }  // from any thread; requests in flight are abandoned

 private:
  asio::io_context io_{1};
  connect_slots slots_;
};

// The GET every connection sends; `Connection: close` because each request has its own, except
// in a --duration run, where a connection carries one request after another.
http::request<http::empty_body> make_request(const client_options& options) {
  http::request<http::empty_body> request{http::verb::get, options.target(), 11};
  const bool ipv6 = options.host.find(':') != std::string::npos;  // [::1]:8000
  request.set(http::field::host, ipv6 ? fmt::format("[{}]:{}", options.host, options.port)
                                      : fmt::format("{}:{}", options.host, options.port));
  request.set(http::field::user_agent, "asyncscope-client/" ASYNCSCOPE_VERSION);
  if (!options.duration_seconds) request.set(http::field::connection, "close");
  return request;
}

std::vector<request_record> numbered_records(int count) {
  std::vector<request_record> records(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < records.size(); ++i) records[i].index = i + 1;
  return records;
}

// A --duration run's records, every worker's in one list, numbered in the order they were sent.
std::vector<request_record> merged(std::vector<std::vector<request_record>>& per_worker) {
  std::vector<request_record> all;
  for (auto& mine : per_worker) std::move(mine.begin(), mine.end(), std::back_inserter(all));
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.sent_at < b.sent_at; });
  for (std::size_t i = 0; i < all.size(); ++i) all[i].index = i + 1;
  return all;
}

}  // namespace

load_result run_load(const client_options& options) {
  // A --duration run's records are made as it goes; a counted run's, one per request, up front.
  auto records = numbered_records(options.duration_seconds ? 1 : options.count);

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
  if (options.duration_seconds) {
    run.until = start + std::chrono::duration_cast<steady_clock::duration>(
                            std::chrono::duration<double>(*options.duration_seconds));
    run.sustained.resize(static_cast<std::size_t>(options.concurrency));
    run.todo_mix = options.todo_mix;
  }
  std::vector<std::unique_ptr<client_loop>> loops;
  for (int t = 0, first = 0; t < options.threads; ++t) {  // the workers, shared out evenly
    const int workers =
        options.concurrency / options.threads + (t < options.concurrency % options.threads ? 1 : 0);
    loops.push_back(std::make_unique<client_loop>(run, first, workers));
    first += workers;
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
  if (run.until) records = merged(run.sustained);

  for (auto& record : records) {
    if (interrupted && record.error.empty() && record.status == 0) {
      record.error = record.connected ? "interrupted" : "not sent (interrupted)";
    }
    if (!record.result) record.result = read_endpoint_result(record.body);
  }
  return {.started_at = started_at,
          .records = std::move(records),
          .interrupted = interrupted,
          .paced_connects = run.paced};
}

}  // namespace asyncscope
