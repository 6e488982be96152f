#pragma once
// Asio's custom handler tracking (BOOST_ASIO_CUSTOM_HANDLER_TRACKING names this header, for the
// whole build): every handler Asio runs passes through the `completion` below. That is how the
// blocking detector (server/loop_watch) knows, without touching the lesson's code, when a loop
// thread left the loop to run a handler and which request that handler works for.
//
// Each asynchronous operation remembers the request that started it (its tag); when its handler
// runs, that tag becomes the thread's current one, so a coroutine keeps its request's tag across
// every co_await. On threads nobody watches (the worker pool, the client) only the tag is copied.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace asyncscope::loop_tracking {

// Which request a handler works for: "/async-wrong #7". Empty outside a request.
struct request_tag {
  std::uint64_t id = 0;
  const char* endpoint = nullptr;  // a string with static storage, e.g. a route's path
};

// One watched loop thread: written by that thread, read by the watchdog.
struct loop_thread_state {
  std::atomic<std::int64_t> busy_since_ns{0};  // steady clock; 0 while the thread is in the loop
  std::atomic<std::uint64_t> request_id{0};    // the tag of the handler running now
  std::atomic<const char*> endpoint{nullptr};
  int depth = 0;  // handlers run inside handlers (dispatch); only the outermost counts
  // Called on the loop thread when it comes back after a handler ran for `busy` or longer.
  std::chrono::nanoseconds report_after{0};
  void (*came_back)(loop_thread_state& self, std::chrono::nanoseconds busy) = nullptr;
};

inline thread_local loop_thread_state* watched_thread = nullptr;
inline thread_local request_tag current_request{};

inline std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Marks the code running on this thread, from now on, as working for `tag`.
inline void set_current_request(request_tag tag) {
  current_request = tag;
  if (auto* state = watched_thread) {
    state->request_id.store(tag.id, std::memory_order_relaxed);
    state->endpoint.store(tag.endpoint, std::memory_order_release);
  }
}

// The base of every Asio operation: it is created on the thread, and in the request, that
// started the operation.
struct tracked_handler {
  request_tag tag = current_request;
};

// Lives while Asio completes one operation; its handler runs between invocation_begin and
// invocation_end.
class completion {
 public:
  explicit completion(const tracked_handler& handler) : previous_(current_request) {
    set_current_request(handler.tag);
  }
  ~completion() {
    if (running_) invocation_end();  // the handler threw
    set_current_request(previous_);
  }
  completion(const completion&) = delete;
  completion& operator=(const completion&) = delete;

  template <typename... Args>
  void invocation_begin(const Args&... /*results*/) {
    running_ = true;
    auto* state = watched_thread;
    if (state && state->depth++ == 0) {
      state->busy_since_ns.store(steady_now_ns(), std::memory_order_release);
    }
  }

  void invocation_end() {
    running_ = false;
    auto* state = watched_thread;
    if (!state || --state->depth != 0) return;
    const auto busy = std::chrono::nanoseconds(
        steady_now_ns() - state->busy_since_ns.load(std::memory_order_relaxed));
    if (busy >= state->report_after && state->came_back) state->came_back(*state, busy);
    state->busy_since_ns.store(0, std::memory_order_release);
  }

 private:
  request_tag previous_;
  bool running_ = false;
};

}  // namespace asyncscope::loop_tracking

// The macros Asio expects from a custom handler tracking header. Only the tracked handler's
// base class and the completion do anything; the rest are Asio's debugging aids, unused here.
// (Without BOOST_ASIO_CUSTOM_HANDLER_TRACKING, as in a build that measures what tracking costs,
// Asio defines its own empty ones and the detector sees nothing.)
#if defined(BOOST_ASIO_CUSTOM_HANDLER_TRACKING)
#define BOOST_ASIO_INHERIT_TRACKED_HANDLER : public ::asyncscope::loop_tracking::tracked_handler
#define BOOST_ASIO_ALSO_INHERIT_TRACKED_HANDLER \
  , public ::asyncscope::loop_tracking::tracked_handler
#define BOOST_ASIO_HANDLER_TRACKING_INIT (void)0
#define BOOST_ASIO_HANDLER_LOCATION(args) (void)0
#define BOOST_ASIO_HANDLER_CREATION(args) (void)0
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
