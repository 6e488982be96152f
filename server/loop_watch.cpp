#include "loop_watch.hpp"

#include "flight_recorder.hpp"
#include "logging.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace asyncscope {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

// A loop thread's tracking state plus what the watch keeps about it.
struct loop_watch::watched_thread : loop_tracking::loop_thread_state {
  std::string name;
  const loop_watch* watch = nullptr;
  std::atomic<std::int64_t> blocked_total_ns{0};
  stack_sample_slot stack;
  // Only the watchdog reads and writes these four.
  std::int64_t warned_block = 0;  // busy_since_ns of the block it last warned about
  nanoseconds next_warning{0};    // how long away before the next warning about it
  std::string site;               // where that block was caught; empty until it was
  bool site_unread = false;  // warned before the debug information was read: name it once it is
  // Under the watch's mutex: the site, for report().
  std::string blocked_at;
};

namespace {

// How long the watchdog waits for a loop thread to answer the signal with its stack.
constexpr auto stack_patience = 50ms;

long long whole_ms(nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// "/async-wrong #7", from the tag of the handler the thread is running.
std::string holder(const char* endpoint, std::uint64_t id) {
  if (endpoint == nullptr || id == 0) return "code outside any request";
  return fmt::format("{} #{}", endpoint, id);
}

// The same for the request current on the thread now.
std::string holder(const loop_tracking::loop_thread_state& state) {
  const auto* endpoint = state.endpoint.load(std::memory_order_acquire);
  return holder(endpoint, state.request_id.load(std::memory_order_relaxed));
}

}  // namespace

loop_watch::loop_watch(std::chrono::milliseconds warn_after,
                       std::function<void(const std::string&)> on_warning,
                       flight_recorder* recorder)
    : warn_after_(warn_after), on_warning_(std::move(on_warning)), recorder_(recorder) {}

loop_watch::~loop_watch() {
  {
    const std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  if (symbols_.joinable()) symbols_.join();
}

void loop_watch::watch_this_thread(const std::string& name) {
  auto thread = std::make_unique<watched_thread>();
  thread->name = name;
  thread->watch = this;
  thread->report_after = warn_after_;
  thread->came_back = &loop_watch::came_back;
  thread->stack.attach_to_this_thread();
  loop_tracking::watched_thread = thread.get();
  const std::lock_guard lock{mutex_};
  threads_.push_back(std::move(thread));
}

void loop_watch::start() {
  watchdog_ = std::thread([this] { watchdog(); });
  // The debug information is read ahead, so that a warning need not wait for it; one that comes
  // before it has been read goes out at once, without the line, and the line follows.
  symbols_ = std::thread([] {
    name_this_thread("symbols");
    const auto start = std::chrono::steady_clock::now();
    load_debug_information();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    spdlog::info("watchdog: debug information read in {:.2f} s; its warnings name the line now",
                 took.count());
  });
}

// Runs on the loop thread, as it comes back from a handler that kept it away too long.
void loop_watch::came_back(loop_tracking::loop_thread_state& state, nanoseconds busy) {
  auto& thread = static_cast<watched_thread&>(state);
  thread.blocked_total_ns += busy.count();
  // Named after the request that held it longest while it was away, not the one current now.
  thread.watch->warn(thread, thread.held_by_id,
                     fmt::format("{} was blocked {} ms by {}; it is back in the loop", thread.name,
                                 whole_ms(busy),
                                 holder(thread.held_by_endpoint, thread.held_by_id)),
                     {});
}

// Looks at every loop thread several times per threshold.
void loop_watch::watchdog() {
  name_this_thread("watchdog");
  const auto poll = std::clamp<nanoseconds>(warn_after_ / 10, 1ms, 20ms);
  std::unique_lock lock{mutex_};
  while (!wake_.wait_for(lock, poll, [this] { return stopping_; })) {
    lock.unlock();
    check(std::chrono::steady_clock::now());
    lock.lock();
  }
}

// The first warning comes once a thread has been away for the threshold, then one per further
// second while it stays away; and one more as soon as the line can be named, if a warning had to
// go without it.
void loop_watch::check(std::chrono::steady_clock::time_point now) {
  const auto now_ns = std::chrono::duration_cast<nanoseconds>(now.time_since_epoch()).count();
  struct due_warning {
    watched_thread* thread;
    std::int64_t block;
    nanoseconds away;
    std::uint64_t request_id;
    std::string holder;
    bool only_to_name;  // not due yet, but the line it lacked can be named now
  };
  std::vector<due_warning> due;
  {
    const std::lock_guard lock{mutex_};
    for (auto& thread : threads_) {
      const auto since = thread->busy_since_ns.load(std::memory_order_acquire);
      if (since == 0) continue;
      const nanoseconds away{now_ns - since};
      if (thread->warned_block != since) {
        thread->warned_block = since;
        thread->next_warning = warn_after_;
        thread->site.clear();
        thread->site_unread = false;
      }
      const bool due_now = away >= thread->next_warning;
      const bool only_to_name = !due_now && thread->site_unread && debug_information_loaded();
      if (!due_now && !only_to_name) continue;
      due.push_back({thread.get(), since, away, thread->request_id.load(std::memory_order_relaxed),
                     holder(*thread), only_to_name});
      if (due_now) thread->next_warning = std::chrono::floor<std::chrono::seconds>(away) + 1s;
    }
  }
  // Without the lock: reading a stack takes a moment, and a slow stdout must not hold up
  // report(), which /metrics calls on the loop.
  for (auto& d : due) {
    auto& thread = *d.thread;
    thread.site_unread = thread.site.empty() && !debug_information_loaded();
    if (thread.site.empty() && !thread.site_unread) {
      const auto stack = thread.stack.capture(stack_patience);
      const bool same_block = thread.busy_since_ns.load(std::memory_order_acquire) == d.block;
      thread.site = same_block ? find_blocking_site(stack).text() : std::string{};
      const std::lock_guard lock{mutex_};
      thread.blocked_at = thread.site;
    }
    if (d.only_to_name && thread.site.empty()) continue;
    auto text =
        fmt::format("{} blocked {} ms so far by {}", thread.name, whole_ms(d.away), d.holder);
    if (!thread.site.empty()) text += " in " + thread.site;
    warn(thread, d.request_id, text, thread.site);
  }
}

void loop_watch::warn(const watched_thread& thread, std::uint64_t request_id,
                      const std::string& text, const std::string& site) const {
  spdlog::warn("WARN {}", text);
  if (on_warning_) on_warning_(text);
  if (recorder_) {
    recorder_->warning({.at_ns = loop_tracking::steady_now_ns(),
                        .thread = thread.name,
                        .request_id = request_id,
                        .text = text},
                       site);
  }
}

std::vector<loop_thread_report> loop_watch::report() const {
  const auto now = loop_tracking::steady_now_ns();
  const std::lock_guard lock{mutex_};
  std::vector<loop_thread_report> reports;
  for (const auto& thread : threads_) {
    loop_thread_report r{.thread = thread->name,
                         .blocked_total = static_cast<double>(thread->blocked_total_ns) / 1e9};
    const auto since = thread->busy_since_ns.load(std::memory_order_acquire);
    if (since != 0 && nanoseconds(now - since) >= warn_after_) {
      r.blocked_now = static_cast<double>(now - since) / 1e9;
      r.blocked_by = holder(*thread);
      if (since == thread->warned_block) r.blocked_at = thread->blocked_at;
    }
    reports.push_back(std::move(r));
  }
  return reports;
}

}  // namespace asyncscope
