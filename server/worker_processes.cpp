#include "worker_processes.hpp"

#include "awaitable_result.hpp"
#include "log_escaped.hpp"
#include "logging.hpp"
#include "platform.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace asyncscope {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// A worker that dies sooner than this after it started is replaced only after this pause, so
// one that cannot start (say, out of file descriptors) does not make the parent spin.
constexpr auto quick_death = std::chrono::seconds(1);

// One worker process, as the parent sees it.
struct worker_slot {
  pid_t pid = 0;  // 0: none running in this slot
  bool listening = false;
  std::chrono::steady_clock::time_point started_at{};
};

// Everything the parent keeps; only its main thread touches it.
struct worker_set {
  std::vector<std::string> command;  // a worker's argv, but for its number
  int ready_fd = -1;                 // the pipe's end the workers write to
  std::vector<worker_slot> slots;
  bool all_were_listening = false;  // the address has been printed
  bool stopping = false;
  int exit_code = 0;

  int running() const {
    return static_cast<int>(
        std::count_if(slots.begin(), slots.end(), [](const worker_slot& s) { return s.pid != 0; }));
  }
};

// "exited with code 1", "was killed by SIGKILL".
std::string exit_text(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return name ? fmt::format("was killed by SIG{}", name)
                : fmt::format("was killed by signal {}", WTERMSIG(status));
  }
  return fmt::format("ended with wait status {}", status);
}

// The port every worker binds. Checked free first the way a single server binds it (so a port
// in use fails here, once, with the usual message), then held by the parent with SO_REUSEPORT:
// bound but never listening, so the kernel gives it no connections, while nobody else can take
// the port between a worker's death and its replacement. With --port 0 the kernel picks it here.
tcp::acceptor hold_port(asio::io_context& io, const server_options& options) {
  tcp::endpoint where{asio::ip::make_address(options.host), options.port};
  {
    tcp::acceptor check{io, where.protocol()};
    check.set_option(tcp::acceptor::reuse_address(true));
    check.bind(where);
    where = check.local_endpoint();
  }
  tcp::acceptor holder{io, where.protocol()};
  ::fcntl(holder.native_handle(), F_SETFD, FD_CLOEXEC);  // the workers open their own
  holder.set_option(tcp::acceptor::reuse_address(true));
  holder.set_option(reuse_port(true));
  holder.bind(where);
  return holder;
}

// A worker is this same program, run again with the same flags plus the hidden ones that make
// it a worker: a fresh process that creates its own loop, pool, watchdog and log writer threads.
// (Forking without exec would copy this process's threads' locks, not its threads.)
std::vector<std::string> worker_command(int argc, char* argv[], unsigned short port, int ready_fd) {
  std::vector<std::string> command(argv, argv + argc);
  command.insert(command.end(), {"--worker-port", std::to_string(port), "--worker-ready-fd",
                                 std::to_string(ready_fd), "--worker-index"});
  return command;  // the worker's number goes last
}

void start_worker(worker_set& workers, int index) {
  auto command = workers.command;
  command.push_back(std::to_string(index));
  std::vector<char*> argv;
  for (auto& word : command) argv.push_back(word.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid == 0) {   // the child: only async-signal-safe calls until exec
    setpgid(0, 0);  // a Ctrl-C in the terminal reaches the parent alone, which passes it on once
    platform::end_with_parent();        // a parent that dies takes its workers with it (drained)
    if (getppid() != parent) _exit(1);  // it died before that
    ::fcntl(workers.ready_fd, F_SETFD, 0);  // the one pipe end the worker inherits
    execv(platform::this_executable(), argv.data());
    _exit(127);
  }
  if (pid < 0) {
    spdlog::error("ERROR cannot start worker {}: fork failed: {}", index, strerror(errno));
    return;
  }
  workers.slots[index] = {.pid = pid, .started_at = std::chrono::steady_clock::now()};
  spdlog::info("worker {} started: pid {}", index, pid);
}

void signal_workers(const worker_set& workers, int signal) {
  for (const auto& slot : workers.slots) {
    if (slot.pid != 0) ::kill(slot.pid, signal);
  }
}

// Each worker writes its number on the pipe once it listens. When all have, the address is
// printed: scripts and tests wait for that line before they send requests.
awaitable<void> hear_workers_listening(asio::posix::stream_descriptor& pipe, worker_set& workers,
                                       tcp::endpoint address) {
  std::array<unsigned char, 64> numbers{};
  for (;;) {
    const auto [ec, n] = co_await pipe.async_read_some(asio::buffer(numbers), as_result);
    if (ec) co_return;
    for (std::size_t i = 0; i < n; ++i) {
      const auto index = static_cast<std::size_t>(numbers[i]);
      if (index >= workers.slots.size()) continue;
      workers.slots[index].listening = true;
      spdlog::info("worker {} (pid {}) is listening", index, workers.slots[index].pid);
    }
    const bool all = std::all_of(workers.slots.begin(), workers.slots.end(),
                                 [](const worker_slot& s) { return s.listening; });
    if (all && !workers.all_were_listening && !workers.stopping) {
      workers.all_were_listening = true;
      flush_logs_for(std::chrono::milliseconds(500));  // the workers' news first, then the line
      const auto host = address.address().to_string();
      fmt::print("listening on http://{}:{}\n", address.address().is_v6() ? "[" + host + "]" : host,
                 address.port());
      std::fflush(stdout);
    }
  }
}

awaitable<void> start_worker_after(std::chrono::steady_clock::duration pause, worker_set& workers,
                                   int index) {
  asio::steady_timer timer{co_await asio::this_coro::executor, pause};
  co_await timer.async_wait(as_result);
  if (!workers.stopping) start_worker(workers, index);
}

// What the parent does when a worker process ends: while serving, start another in its place;
// while stopping, note how it ended and stop once none is left.
void worker_ended(worker_set& workers, pid_t pid, int status, asio::io_context& parent) {
  const auto slot = std::find_if(workers.slots.begin(), workers.slots.end(),
                                 [pid](const worker_slot& s) { return s.pid == pid; });
  if (slot == workers.slots.end()) return;
  const auto index = static_cast<int>(slot - workers.slots.begin());
  const auto lived = std::chrono::steady_clock::now() - slot->started_at;
  const bool was_listening = slot->listening;
  *slot = {};
  if (workers.stopping) {
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean) workers.exit_code = 1;
    spdlog::log(clean ? spdlog::level::info : spdlog::level::warn, "{}worker {} (pid {}) {}",
                clean ? "" : "WARN ", index, pid, exit_text(status));
    if (workers.running() == 0) parent.stop();
    return;
  }
  if (!workers.all_were_listening && !was_listening) {  // at start: the flags or the port are bad
    spdlog::error("ERROR worker {} (pid {}) {} before it was listening; stopping the others", index,
                  pid, exit_text(status));
    workers.stopping = true;
    workers.exit_code = 1;
    signal_workers(workers, SIGTERM);
    if (workers.running() == 0) parent.stop();
    return;
  }
  if (lived < quick_death) {
    spdlog::warn("WARN worker {} (pid {}) {}; starting a new one in {} s", index, pid,
                 exit_text(status),
                 std::chrono::duration_cast<std::chrono::seconds>(quick_death).count());
    asio::co_spawn(parent, start_worker_after(quick_death, workers, index),
                   log_escaped("restarting a worker"));
    return;
  }
  spdlog::warn("WARN worker {} (pid {}) {}; starting a new one", index, pid, exit_text(status));
  start_worker(workers, index);
}

// SIGCHLD says some worker ended; waitpid says which ones, and how.
awaitable<void> replace_workers_that_end(asio::signal_set& child_ended, worker_set& workers,
                                         asio::io_context& parent) {
  for (;;) {
    const auto [ec, _] = co_await child_ended.async_wait(as_result);
    if (ec) co_return;
    int status = 0;
    for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) {
      worker_ended(workers, pid, status, parent);
    }
  }
}

// SIGTERM or SIGINT: passed on to every worker, which stops accepting, answers what it has
// (for its --drain-timeout at most) and exits; the parent waits for them all. A second signal
// is passed on too: the workers quit at once.
awaitable<void> pass_signals_on(asio::signal_set& signals, worker_set& workers) {
  for (;;) {
    const auto [ec, signal] = co_await signals.async_wait(as_result);
    if (ec) co_return;
    const auto name = signal == SIGINT ? "SIGINT" : "SIGTERM";
    if (!workers.stopping) {
      workers.stopping = true;
      spdlog::warn(
          "{} received: passing it on to {} worker(s); each answers the requests it already has, "
          "then exits (signal again to make them quit now)",
          name, workers.running());
    } else {
      spdlog::warn("{} received again: passing it on; the workers quit now", name);
    }
    signal_workers(workers, signal);
  }
}

}  // namespace

int run_worker_processes(const server_options& options, int argc, char* argv[]) {
  asio::io_context parent;
  std::optional<tcp::acceptor> port;
  try {
    port.emplace(hold_port(parent, options));
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "asyncscope-server: cannot listen on {}:{}: {}\n", options.host,
               options.port, e.code().message());
    return 1;
  }
  int ready[2];
  if (!platform::make_pipe_closed_on_exec(ready)) {
    fmt::print(stderr, "asyncscope-server: cannot make a pipe for the workers: {}\n",
               strerror(errno));
    return 1;
  }
  // Signals are caught before the first worker starts, so none of its ends is missed. The log
  // writer thread starts with them blocked: they interrupt only this thread's waits.
  asio::signal_set child_ended{parent, SIGCHLD};
  asio::signal_set signals{parent, SIGINT, SIGTERM};
  sigset_t caught, previous;
  sigemptyset(&caught);
  for (const int s : {SIGCHLD, SIGINT, SIGTERM}) sigaddset(&caught, s);
  pthread_sigmask(SIG_BLOCK, &caught, &previous);
  setup_logging(options.log_level, options.log_queue_lines);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  name_this_thread("parent");

  const auto address = port->local_endpoint();
  worker_set workers{.command = worker_command(argc, argv, address.port(), ready[1]),
                     .ready_fd = ready[1],
                     .slots = std::vector<worker_slot>(static_cast<std::size_t>(options.workers))};
  asio::posix::stream_descriptor ready_pipe{parent, ready[0]};
  spdlog::info(
      "asyncscope-server {}: {} worker processes on port {}, each with {} loop thread(s) and {} "
      "pool thread(s)",
      ASYNCSCOPE_VERSION, options.workers, address.port(), options.loop_threads,
      options.pool_threads);
  for (int i = 0; i < options.workers; ++i) start_worker(workers, i);

  asio::co_spawn(parent, hear_workers_listening(ready_pipe, workers, address),
                 log_escaped("hearing from the workers"));
  asio::co_spawn(parent, replace_workers_that_end(child_ended, workers, parent),
                 log_escaped("watching the workers"));
  asio::co_spawn(parent, pass_signals_on(signals, workers), log_escaped("passing signals on"));
  parent.run();

  ::close(ready[1]);
  if (workers.exit_code == 0) spdlog::info("all workers stopped; bye");
  return workers.exit_code;
}

void share_port_with_other_workers(tcp::acceptor& acceptor) {
  acceptor.set_option(reuse_port(true));
}

void tell_parent_listening(const worker_role& role) {
  const auto number = static_cast<unsigned char>(role.index);
  if (::write(role.ready_fd, &number, 1) != 1) {
    spdlog::warn("WARN cannot tell the parent process that worker {} listens: {}", role.index,
                 strerror(errno));
  }
  ::close(role.ready_fd);
}

}  // namespace asyncscope
