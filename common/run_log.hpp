#pragma once
// A thread's recent handler runs, for the flight recorder (GET /trace) and for working out whom
// a request waited behind. Its thread writes each run as it ends, without a lock; any thread
// may read a copy. A ring: once full, each new run takes the place of the oldest. Its memory is
// mapped straight from the system, whose fresh pages read as zero and take no memory until
// written: a pool thread that runs a few handlers costs a page or two, not its whole ring.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include <sys/mman.h>

namespace asyncscope::loop_tracking {

// One stretch of a request's code on one thread, between two co_awaits (steady clock, ns).
struct handler_run {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::uint64_t request_id = 0;
  const char* endpoint = nullptr;  // static storage: a route's label
};

class run_log {
 public:
  // Each run takes 32 bytes.
  static constexpr std::size_t bytes_per_run = 32;

  // `capacity` is rounded up to a power of two; `thread` is the name of the thread that writes.
  run_log(const char* thread, std::size_t capacity)
      : thread_(thread),
        capacity_(round_up(capacity)),
        slots_(map_slots(capacity_), unmap_slots{capacity_}) {}

  const char* thread() const { return thread_; }
  std::size_t capacity() const { return capacity_; }

  // Only the log's own thread calls this.
  void record(const handler_run& run) {
    const auto at = written_.load(std::memory_order_relaxed);
    auto& s = slots_[at & (capacity_ - 1)];
    std::atomic_ref(s.start_ns).store(run.start_ns, std::memory_order_relaxed);
    std::atomic_ref(s.end_ns).store(run.end_ns, std::memory_order_relaxed);
    std::atomic_ref(s.request_id).store(run.request_id, std::memory_order_relaxed);
    std::atomic_ref(s.endpoint).store(run.endpoint, std::memory_order_relaxed);
    written_.store(at + 1, std::memory_order_release);
  }

  // The runs still in the ring that overlap [from_ns, to_ns], oldest first. Runs end in time
  // order, so the first is found by bisection. A run the writer overwrote while it was being
  // copied is left out, never returned half old, half new.
  std::vector<handler_run> runs_between(std::int64_t from_ns, std::int64_t to_ns) const {
    const auto end = written_.load(std::memory_order_acquire);
    auto first = end > capacity_ ? end - capacity_ : 0;
    for (auto last = end; first < last;) {
      const auto middle = first + (last - first) / 2;
      if (std::atomic_ref(slot_at(middle).end_ns).load(std::memory_order_relaxed) < from_ns) {
        first = middle + 1;
      } else {
        last = middle;
      }
    }
    std::vector<handler_run> copied;
    for (auto i = first; i < end; ++i) {
      auto& s = slot_at(i);
      const handler_run run{std::atomic_ref(s.start_ns).load(std::memory_order_relaxed),
                            std::atomic_ref(s.end_ns).load(std::memory_order_relaxed),
                            std::atomic_ref(s.request_id).load(std::memory_order_relaxed),
                            std::atomic_ref(s.endpoint).load(std::memory_order_relaxed)};
      if (run.start_ns > to_ns) break;
      copied.push_back(run);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    const auto now_written = written_.load(std::memory_order_relaxed);
    // The slots of runs before this one may hold newer runs by now.
    const auto intact_from = now_written > capacity_ ? now_written - capacity_ + 1 : 0;
    if (intact_from > first) {
      const auto torn = std::min<std::uint64_t>(intact_from - first, copied.size());
      copied.erase(copied.begin(), copied.begin() + static_cast<std::ptrdiff_t>(torn));
    }
    return copied;
  }

 private:
  // Plain fields, so that fresh zero pages are valid empty slots; written and read only through
  // std::atomic_ref, as the writer and the readers are on different threads.
  struct slot {
    std::int64_t start_ns;
    std::int64_t end_ns;
    std::uint64_t request_id;
    const char* endpoint;
  };
  static_assert(sizeof(slot) == bytes_per_run);
  struct unmap_slots {
    std::size_t count;
    void operator()(slot* slots) const { munmap(slots, count * sizeof(slot)); }
  };
  static slot* map_slots(std::size_t count) {
    void* memory = mmap(nullptr, count * sizeof(slot), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    return static_cast<slot*>(memory);
  }

  slot& slot_at(std::uint64_t index) const { return slots_[index & (capacity_ - 1)]; }

  static std::size_t round_up(std::size_t n) {
    std::size_t power = 1;
    while (power < n) power *= 2;
    return power;
  }

  const char* thread_;
  std::size_t capacity_;
  std::unique_ptr<slot[], unmap_slots> slots_;
  std::atomic<std::uint64_t> written_{0};
};

}  // namespace asyncscope::loop_tracking
