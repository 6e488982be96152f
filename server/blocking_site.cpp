#include "blocking_site.hpp"

#include <backtrace.h>
#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <ucontext.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace asyncscope {

namespace {

// A real-time signal: never sent by the system, and queued rather than merged. glibc keeps the
// first few for itself; SIGRTMIN is the first one it leaves to programs.
int sample_signal() {
  return SIGRTMIN + 3;
}

thread_local stack_sample_slot* this_threads_slot = nullptr;

// One frame as the debug information tells it; inlined calls each get their own.
struct source_frame {
  std::string function;
  std::string file;
  int line = 0;
};

void ignore_error(void*, const char*, int) {}

// libbacktrace's state: it reads the debug information once and keeps it. The watchdog and the
// warm-up thread may both ask, so libbacktrace is asked to be thread-safe.
backtrace_state* debug_information() {
  static backtrace_state* const state = backtrace_create_state(nullptr, 1, ignore_error, nullptr);
  return state;
}

// Where the program itself is loaded: its addresses are symbolised from its debug information,
// the shared libraries' from their exported names (dladdr).
const void* program_base() {
  static const void* const base = [] {
    Dl_info info{};
    dladdr(reinterpret_cast<void*>(&program_base), &info);
    return info.dli_fbase;
  }();
  return base;
}

bool in_program(std::uintptr_t pc) {
  Dl_info info{};
  return dladdr(reinterpret_cast<void*>(pc), &info) != 0 && info.dli_fbase == program_base();
}

std::string exported_name(std::uintptr_t pc) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(pc), &info) == 0 || info.dli_sname == nullptr) return {};
  return info.dli_sname;
}

// The exact address the interrupted thread was at, from the signal's context.
void* interrupted_address(void* context) {
  const auto* uc = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  return reinterpret_cast<void*>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return reinterpret_cast<void*>(uc->uc_mcontext.pc);
#else
  (void)uc;
  return nullptr;
#endif
}

int add_source_frame(void* data, std::uintptr_t, const char* file, int line, const char* function) {
  static_cast<std::vector<source_frame>*>(data)->push_back(
      {function ? function : "", file ? file : "", line});
  return 0;
}

void take_symbol(void* data, std::uintptr_t, const char* name, std::uintptr_t, std::uintptr_t) {
  if (name) *static_cast<std::string*>(data) = name;
}

// The frames at one address, innermost (inlined) first; in a shared library (the C
// library's sleep, say), only the exported function's name.
std::vector<source_frame> frames_at(std::uintptr_t pc) {
  if (!in_program(pc)) return {{exported_name(pc), "", 0}};
  std::vector<source_frame> frames;
  backtrace_pcinfo(debug_information(), pc, add_source_frame, ignore_error, &frames);
  if (frames.empty() || (frames.size() == 1 && frames.front().function.empty())) {
    std::string symbol;
    backtrace_syminfo(debug_information(), pc, take_symbol, ignore_error, &symbol);
    frames = {{symbol, frames.empty() ? "" : frames.front().file, 0}};
  }
  return frames;
}

std::string demangled(const std::string& name) {
  if (!name.starts_with("_Z")) return name;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> text{
      abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), &std::free};
  return status == 0 && text ? std::string(text.get()) : name;
}

// Removes every balanced pair of `open`/`close` and what is inside.
std::string without_brackets(const std::string& text, char open, char close) {
  std::string out;
  int depth = 0;
  for (const char c : text) {
    if (c == open) {
      ++depth;
    } else if (c == close && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

void erase_all(std::string& text, std::string_view what) {
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what)) {
    text.erase(at, what.size());
  }
}

// "void std::this_thread::sleep_for<double, std::ratio<1l, 1l> >(std::chrono::duration<...>
// const&)" -> "std::this_thread::sleep_for"; "asyncscope::(anonymous namespace)::async_wrong(
// asyncscope::request_info const&) [clone .actor]" -> "async_wrong".
std::string short_function_name(const std::string& raw) {
  auto name = demangled(raw);
  if (const auto clone = name.find(" [clone"); clone != std::string::npos) name.erase(clone);
  erase_all(name, "(anonymous namespace)::");
  erase_all(name, "{anonymous}::");
  name = without_brackets(without_brackets(name, '(', ')'), '<', '>');
  if (const auto space = name.rfind(' '); space != std::string::npos) name.erase(0, space + 1);
  if (name.starts_with("asyncscope::")) name.erase(0, std::string_view("asyncscope::").size());
  return name;
}

bool is_project_file(const std::string& path) {
  const auto p = project_path(path);
  return p.starts_with("server/") || p.starts_with("common/");
}

}  // namespace

void write_stack_sample(int, siginfo_t*, void* context) {
  const int saved_errno = errno;
  if (auto* slot = this_threads_slot) {
    slot->interrupted_at_.store(interrupted_address(context), std::memory_order_relaxed);
    std::array<void*, stack_sample_slot::most_frames> frames{};
    const int count = ::backtrace(frames.data(), static_cast<int>(frames.size()));
    for (int i = 0; i < count; ++i) {
      slot->frames_[static_cast<std::size_t>(i)].store(frames[static_cast<std::size_t>(i)],
                                                       std::memory_order_relaxed);
    }
    slot->frame_count_.store(count, std::memory_order_relaxed);
    slot->answered_.fetch_add(1, std::memory_order_release);
  }
  errno = saved_errno;
}

std::string blocking_site::text() const {
  if (empty()) return {};
  auto out = fmt::format("{} ({}:{})", function, file, line);
  if (!callee.empty()) out += fmt::format(" ← {}", callee);
  return out;
}

void stack_sample_slot::attach_to_this_thread() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction action {};
    action.sa_sigaction = &write_stack_sample;
    action.sa_flags = SA_SIGINFO | SA_RESTART;  // an interrupted read or write goes on by itself
    sigemptyset(&action.sa_mask);
    sigaction(sample_signal(), &action, nullptr);
  });
  std::array<void*, 4> warm_up{};
  ::backtrace(warm_up.data(), static_cast<int>(warm_up.size()));  // loads the unwinder now
  thread_ = pthread_self();
  this_threads_slot = this;
  attached_.store(true, std::memory_order_release);
}

stack_sample stack_sample_slot::capture(std::chrono::milliseconds patience) {
  if (!attached_.load(std::memory_order_acquire)) return {};
  // A thread that looks at itself (the unit tests call check() on the watched thread) is not
  // blocked anywhere but in this look.
  if (pthread_equal(thread_, pthread_self())) return {};
  const auto before = answered_.load(std::memory_order_acquire);
  if (pthread_kill(thread_, sample_signal()) != 0) return {};
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (answered_.load(std::memory_order_acquire) == before) {
    if (std::chrono::steady_clock::now() > deadline) return {};
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const int count = frame_count_.load(std::memory_order_relaxed);
  stack_sample sample{.interrupted_at = interrupted_at_.load(std::memory_order_relaxed)};
  for (int i = 0; i < count; ++i) {
    sample.frames.push_back(frames_[static_cast<std::size_t>(i)].load(std::memory_order_relaxed));
  }
  return sample;
}

blocking_site find_blocking_site(const stack_sample& stack) {
  // The first addresses are the signal handler's own, a sanitizer's around it if any, and the
  // kernel's return trampoline; the interrupted code starts at the exact address the signal's
  // context gives (two frames in, when it is not found). The frames below it are return
  // addresses: one byte back is still the call.
  const auto& all = stack.frames;
  auto first = std::find(all.begin(), all.end(), stack.interrupted_at);
  if (first == all.end()) first = all.size() > 2 ? all.begin() + 2 : all.end();
  // Symbolised from the top down, only as far as needed: reading a file's debug information
  // the first time is the slow part, and the frames further down (Asio's, Beast's) are many.
  std::vector<source_frame> frames;
  auto found = std::optional<std::size_t>();  // an index: `frames` grows as it is read
  auto first_own = std::optional<std::size_t>();
  for (auto it = first; it != all.end(); ++it) {
    const auto pc = reinterpret_cast<std::uintptr_t>(*it);
    const auto at = frames_at(it == first ? pc : pc - 1);
    frames.insert(frames.end(), at.begin(), at.end());
    const auto lesson = std::find_if(
        frames.end() - static_cast<std::ptrdiff_t>(at.size()), frames.end(),
        [](const source_frame& f) { return project_path(f.file) == "server/lesson.cpp"; });
    if (lesson != frames.end()) {
      found = static_cast<std::size_t>(lesson - frames.begin());
      break;
    }
    // Code the lesson calls (cpu_work.hpp's loop) is the project's too: look a little further.
    if (first_own && frames.size() > *first_own + 12) break;
    if (!first_own) {
      for (std::size_t i = frames.size() - at.size(); i < frames.size(); ++i) {
        if (is_project_file(frames[i].file)) {
          first_own = i;
          break;
        }
      }
    }
  }
  if (!found) found = first_own;
  if (!found) return {};
  const auto& site = frames[*found];
  auto function = short_function_name(site.function);
  if (const auto last = function.rfind("::"); last != std::string::npos)
    function.erase(0, last + 2);
  return {.function = function,
          .file = project_path(site.file),
          .line = site.line,
          .callee = *found == 0 ? "" : short_function_name(frames[*found - 1].function)};
}

namespace {
std::atomic<bool> debug_information_read{false};
}  // namespace

void load_debug_information() {
  std::vector<source_frame> ignored;
  backtrace_pcinfo(debug_information(), reinterpret_cast<std::uintptr_t>(&load_debug_information),
                   add_source_frame, ignore_error, &ignored);
  debug_information_read.store(true, std::memory_order_release);
}

bool debug_information_loaded() {
  return debug_information_read.load(std::memory_order_acquire);
}

std::string project_path(std::string_view path) {
  namespace fs = std::filesystem;
  auto normal = fs::path(path).lexically_normal().generic_string();
  static const auto root =
      fs::path(ASYNCSCOPE_SOURCE_DIR).lexically_normal().generic_string() + "/";
  if (normal.starts_with(root)) return normal.substr(root.size());
  while (normal.starts_with("../")) normal.erase(0, 3);
  return normal;
}

}  // namespace asyncscope

#if defined(ASYNCSCOPE_PROGRAM_SYMBOLS_ONLY)
// libbacktrace reads the debug information of every library loaded with the program when it
// starts; with the C library's detached debug symbols installed (libc6-dbg), that alone takes a
// second. The blocking site is in the program's own code, so the linker routes libbacktrace's
// calls to dl_iterate_phdr (-Wl,--wrap=dl_iterate_phdr, server/CMakeLists.txt) here, where only
// the program itself is listed; the libraries' frames are named by dladdr instead. Nothing else
// in the program calls dl_iterate_phdr directly: the C++ unwinder and the sanitizers' runtimes
// are shared libraries, and keep calling the real one.
extern "C" int __real_dl_iterate_phdr(int (*callback)(dl_phdr_info*, std::size_t, void*),
                                      void* data);

namespace {
struct program_only {
  int (*callback)(dl_phdr_info*, std::size_t, void*);
  void* data;
};
int call_for_program_only(dl_phdr_info* info, std::size_t size, void* data) {
  const auto* wanted = static_cast<program_only*>(data);
  const bool program = info->dlpi_name == nullptr || info->dlpi_name[0] == '\0';
  return program ? wanted->callback(info, size, wanted->data) : 0;
}
}  // namespace

extern "C" int __wrap_dl_iterate_phdr(int (*callback)(dl_phdr_info*, std::size_t, void*),
                                      void* data) {
  program_only wanted{callback, data};
  return __real_dl_iterate_phdr(call_for_program_only, &wanted);
}
#endif
