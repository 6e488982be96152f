#pragma once
// Asio's custom handler tracking (BOOST_ASIO_CUSTOM_HANDLER_TRACKING names this header, for the
// whole build): every handler Asio runs passes through the `completion` below. That is how the
// server learns, without touching the lesson's code, when a thread left its loop to run a
// handler, which request that handler works for, and so how each request's time splits into
// queued, busy and waiting (request_timing.hpp).
//
// Each asynchronous operation remembers the request that started it (its tag) and, when it is
// known, when it became ready to run: a timer's expiry, or the moment a handler was posted.
// When its handler runs, that tag becomes the thread's current one, so a coroutine keeps its
// request's tag across every co_await. A stretch of one request's code on one thread is a run:
// its length is added to the request's busy time and, on the server's threads, written to the
// thread's run log. On threads nobody registered (the client's) only the tag is copied.

#include "request_timing.hpp"
#include "run_log.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

namespace asyncscope::loop_tracking {

// Which request a handler works for: "/async-wrong #7", and its clock. Empty outside a request.
struct request_tag {
  std::uint64_t id = 0;
  const char* endpoint = nullptr;            // a string with static storage, e.g. a route's path
  std::shared_ptr<request_timing> timing{};  // kept alive by every operation it started
};

// One watched loop thread: written by that thread, read by the watchdog.
struct loop_thread_state {
  std::atomic<std::int64_t> busy_since_ns{0};  // steady clock; 0 while the thread is in the loop
  std::atomic<std::uint64_t> request_id{0};    // the tag of the handler running now
  std::atomic<const char*> endpoint{nullptr};
  // Only the loop thread touches these: which request held it longest during the current run
  // (a handler may switch requests while it runs), for came_back to name.
  std::int64_t stretch_since_ns = 0;  // when the current request became current in this run
  std::int64_t held_ns = -1;          // the longest stretch of the run so far; -1: none yet
  std::uint64_t held_by_id = 0;
  const char* held_by_endpoint = nullptr;
  // The stretch of the current request ends at `now`; it holds the run if it is the longest.
  void end_stretch(std::int64_t now) {
    if (now - stretch_since_ns > held_ns) {
      held_ns = now - stretch_since_ns;
      held_by_id = request_id.load(std::memory_order_relaxed);
      held_by_endpoint = endpoint.load(std::memory_order_relaxed);
    }
    stretch_since_ns = now;
  }
  // Called on the loop thread when it comes back after a handler ran for `busy` or longer.
  std::chrono::nanoseconds report_after{0};
  void (*came_back)(loop_thread_state& self, std::chrono::nanoseconds busy) = nullptr;
};

// What a server thread that runs handlers keeps about itself (see count_runs_on_this_thread).
struct thread_clock {
  const char* name = nullptr;   // null: runs on this thread are not counted
  run_log* log = nullptr;       // where its runs are written, if anywhere
  run_log* long_log = nullptr;  // where its runs of long_run_ns or more are written too
  int depth = 0;  // handlers run inside handlers (dispatch); only the outermost counts
  std::int64_t run_started_ns = 0;
  bool run_open = false;  // a run of the current request is being timed
};

// A run this long holds its thread long enough to name it as the one others waited behind.
inline constexpr std::int64_t long_run_ns = 1'000'000;

inline thread_local loop_thread_state* watched_thread = nullptr;
inline thread_local thread_clock this_thread{};
inline thread_local request_tag current_request{};

inline std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// From now on, the time this thread spends in handlers counts for their requests, under `name`
// (living as long as the thread's runs are read), and each run is written to `log`, each long
// one to `long_log` too, when given.
inline void count_runs_on_this_thread(const char* name, run_log* log, run_log* long_log) {
  this_thread.name = name;
  this_thread.log = log;
  this_thread.long_log = long_log;
}

// The request's run on this thread ends at `now`.
inline void end_run(std::int64_t now) {
  auto* timing = current_request.timing.get();
  if (timing == nullptr || !this_thread.run_open) return;
  this_thread.run_open = false;
  const auto ran = now - this_thread.run_started_ns;
  timing->run_ends(ran);
  const handler_run run{this_thread.run_started_ns, now, timing->id, timing->endpoint};
  if (this_thread.log) this_thread.log->record(run);
  if (this_thread.long_log && ran >= long_run_ns) this_thread.long_log->record(run);
}

// The current request's run on this thread starts at `now`; it was ready since `ready_ns`.
inline void start_run(std::int64_t now, std::int64_t ready_ns) {
  this_thread.run_started_ns = now;
  this_thread.run_open = true;
  if (auto* timing = current_request.timing.get()) {
    timing->run_starts(now, this_thread.name, ready_ns);
  }
}

// Makes `next` the request the code on this thread works for, from now on, and returns the one
// before. Inside a handler that is a switch: one request's run ends here, the other's begins.
inline request_tag exchange_current_request(request_tag next) {
  const bool switching =
      this_thread.depth > 0 && this_thread.name != nullptr && next.timing != current_request.timing;
  auto* state = watched_thread;
  // Away from the loop, a change of request ends the stretch of the one before.
  const bool new_stretch = state != nullptr &&
                           state->busy_since_ns.load(std::memory_order_relaxed) != 0 &&
                           next.id != current_request.id;  // ids are unique; 0: no request
  const auto now = switching || new_stretch ? steady_now_ns() : 0;
  if (switching) end_run(now);
  if (new_stretch) state->end_stretch(now);
  auto previous = std::exchange(current_request, std::move(next));
  if (switching) start_run(now, 0);
  if (state) {
    state->request_id.store(current_request.id, std::memory_order_relaxed);
    state->endpoint.store(current_request.endpoint, std::memory_order_release);
  }
  return previous;
}

inline void set_current_request(request_tag tag) {
  exchange_current_request(std::move(tag));
}

// How long the current request's run on this thread has lasted so far: for a request that
// reads its own clock before its run ends.
inline std::int64_t current_run_ns(std::int64_t now) {
  return this_thread.run_open && current_request.timing ? now - this_thread.run_started_ns : 0;
}

// Ends the current request's run on this thread here, though the handler goes on: for code that
// hands the request back to another thread, which may read its clock before this handler
// returns. What this handler does afterwards is not counted.
inline void end_run_here() {
  if (this_thread.depth > 0 && this_thread.name != nullptr) end_run(steady_now_ns());
}

// The base of every Asio operation: it is created on the thread, and in the request, that
// started the operation.
struct tracked_handler {
  request_tag tag = current_request;
  std::int64_t ready_ns = 0;  // when its handler could run, if known; else 0
};

// Asio's hook for each new operation (BOOST_ASIO_HANDLER_CREATION). A timer's handler is ready
// at the timer's expiry; one handed to an executor (post, dispatch, defer, execute: Asio names
// every other operation "async_...") is ready at once. Socket operations: unknown.
template <typename Context, typename Object>
inline void operation_created(Context&, tracked_handler& op, const char*, Object* object,
                              std::uintmax_t, const char* operation) {
  if (!op.tag.timing) return;
  if constexpr (requires {
                  { object->expiry } -> std::convertible_to<std::chrono::steady_clock::time_point>;
                }) {
    const auto expiry =
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::time_point(object->expiry).time_since_epoch())
            .count();
    op.ready_ns = std::max(expiry, steady_now_ns());
  } else if (std::strncmp(operation, "async_", 6) != 0) {
    op.ready_ns = steady_now_ns();
  }
  if (op.ready_ns != 0) op.tag.timing->resumable_at(op.ready_ns);
}

// Asio's hook where a coroutine awaits an operation (BOOST_ASIO_HANDLER_LOCATION): with
// `use_awaitable_t()` made on the co_await's line, Asio passes that line. Asio's own composed
// operations pass their header's lines; those are not where a request waits.
inline void awaiting_at(const char* file, int line, const char* function) {
  auto* timing = current_request.timing.get();
  if (timing == nullptr || file == nullptr) return;
  if (std::strstr(file, "/boost/") != nullptr || std::strncmp(file, "/usr/", 5) == 0) return;
  timing->waits_at({file, line, function});
}

// Lives while Asio completes one operation; its handler runs between invocation_begin and
// invocation_end.
class completion {
 public:
  explicit completion(const tracked_handler& handler)
      : ready_ns_(handler.ready_ns), previous_(exchange_current_request(handler.tag)) {}
  ~completion() {
    if (running_) invocation_end();  // the handler threw
    exchange_current_request(std::move(previous_));
  }
  completion(const completion&) = delete;
  completion& operator=(const completion&) = delete;

  template <typename... Args>
  void invocation_begin(const Args&... /*results*/) {
    running_ = true;
    auto* state = watched_thread;
    if (this_thread.depth++ != 0 || (state == nullptr && this_thread.name == nullptr)) return;
    const auto now = steady_now_ns();
    if (this_thread.name) start_run(now, ready_ns_);
    if (state) {
      state->stretch_since_ns = now;
      state->held_ns = -1;
      state->busy_since_ns.store(now, std::memory_order_release);
    }
  }

  void invocation_end() {
    running_ = false;
    auto* state = watched_thread;
    if (--this_thread.depth != 0 || (state == nullptr && this_thread.name == nullptr)) return;
    const auto now = steady_now_ns();
    if (this_thread.name) end_run(now);
    if (state == nullptr) return;
    const auto busy =
        std::chrono::nanoseconds(now - state->busy_since_ns.load(std::memory_order_relaxed));
    if (busy >= state->report_after && state->came_back) {
      state->end_stretch(now);
      state->came_back(*state, busy);
    }
    state->busy_since_ns.store(0, std::memory_order_release);
  }

 private:
  std::int64_t ready_ns_;
  request_tag previous_;
  bool running_ = false;
};

}  // namespace asyncscope::loop_tracking

// The macros Asio expects from a custom handler tracking header. The tracked handler's base
// class, the creation and location hooks and the completion do something; the rest are Asio's
// debugging aids, unused here. (Without BOOST_ASIO_CUSTOM_HANDLER_TRACKING, Asio defines its own
// empty ones and the server sees nothing.)
#if defined(BOOST_ASIO_CUSTOM_HANDLER_TRACKING)
#define BOOST_ASIO_INHERIT_TRACKED_HANDLER : public ::asyncscope::loop_tracking::tracked_handler
#define BOOST_ASIO_ALSO_INHERIT_TRACKED_HANDLER \
  , public ::asyncscope::loop_tracking::tracked_handler
#define BOOST_ASIO_HANDLER_TRACKING_INIT (void)0
#define BOOST_ASIO_HANDLER_LOCATION(args) ::asyncscope::loop_tracking::awaiting_at args
#define BOOST_ASIO_HANDLER_CREATION(args) ::asyncscope::loop_tracking::operation_created args
#define BOOST_ASIO_HANDLER_COMPLETION(args) \
  ::asyncscope::loop_tracking::completion tracked_completion args
#define BOOST_ASIO_HANDLER_INVOCATION_BEGIN(args) tracked_completion.invocation_begin args
#define BOOST_ASIO_HANDLER_INVOCATION_END tracked_completion.invocation_end()
#define BOOST_ASIO_HANDLER_OPERATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_REGISTRATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_DEREGISTRATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_READ_EVENT 1
#define BOOST_ASIO_HANDLER_REACTOR_WRITE_EVENT 2
#define BOOST_ASIO_HANDLER_REACTOR_ERROR_EVENT 4
#define BOOST_ASIO_HANDLER_REACTOR_EVENTS(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_OPERATION(args) (void)0
#endif  // defined(BOOST_ASIO_CUSTOM_HANDLER_TRACKING)
