#pragma once
// The line that blocked: which code a loop thread is running right now, read from its stack.
// The watchdog (loop_watch.cpp) asks for it once per block. A real-time signal interrupts the
// loop thread wherever it is (in a sleep, a computation, a database call alike: no list of
// known blocking functions); the thread's signal handler copies its stack's return addresses
// into a buffer set aside beforehand, which glibc's backtrace() can do safely inside a signal
// handler once it has been called outside one. The watchdog then turns the addresses into
// functions and lines (GCC's libbacktrace, reading the program's own debug information), off
// the loop.

#include <pthread.h>
#include <signal.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace asyncscope {

// Where a loop thread was caught: the first frame in the lesson's code (else the first in the
// project's own code), and the call it was inside, e.g. async_wrong at server/lesson.cpp:96,
// inside std::this_thread::sleep_for.
struct blocking_site {
  std::string function{};  // "async_wrong"
  std::string file{};      // "server/lesson.cpp", relative to the project's root
  int line = 0;
  std::string callee{};  // "std::this_thread::sleep_for"; empty when there is none

  bool empty() const { return function.empty(); }
  // "async_wrong (server/lesson.cpp:96) ← std::this_thread::sleep_for"
  std::string text() const;
};

// The signal's handler: copies the stack of the thread it interrupts into its slot.
void write_stack_sample(int signal, siginfo_t* info, void* context);

// A loop thread's stack at one moment: return addresses, innermost first, starting with the
// signal handler's own; `interrupted_at` is the exact address the thread was interrupted at.
struct stack_sample {
  std::vector<void*> frames{};
  void* interrupted_at = nullptr;
};

// One loop thread's side of the signal: where its handler writes the stack.
class stack_sample_slot {
 public:
  static constexpr int most_frames = 64;

  // On the loop thread, before it runs handlers: installs the signal handler (once per
  // process), calls backtrace() once so that its first use in the handler allocates nothing,
  // and makes this slot the one the handler writes.
  void attach_to_this_thread();

  // From the watchdog: interrupts the thread and waits (at most `patience`) for its stack.
  // Empty when the thread did not answer in time (ThreadSanitizer, for one, holds a signal
  // until the thread calls into the C library, which a computation may never do).
  stack_sample capture(std::chrono::milliseconds patience);

 private:
  friend void write_stack_sample(int, siginfo_t*, void*);
  pthread_t thread_{};
  std::atomic<bool> attached_{false};
  std::array<std::atomic<void*>, most_frames> frames_{};
  std::atomic<void*> interrupted_at_{nullptr};
  std::atomic<int> frame_count_{0};
  std::atomic<unsigned> answered_{0};  // how many times the handler has written the frames
};

// The addresses turned into the blocking site; empty when no frame is in the project's code
// or the program has no debug information.
blocking_site find_blocking_site(const stack_sample& stack);

// Reads the program's debug information, which naming a site needs: a tenth of a second for a
// Debug build on a quiet machine, seconds for a Release build on a busy one. Any thread may call
// it, once or more; debug_information_loaded() says when it has returned once.
void load_debug_information();
bool debug_information_loaded();

// A source file's path as the project names it: "/work/x/build/../server/lesson.cpp" (debug
// information) or "../../server/lesson.cpp" (std::source_location) -> "server/lesson.cpp".
std::string project_path(std::string_view path);

}  // namespace asyncscope
