#include "processes.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <utility>

extern char** environ;

namespace asyncscope::testing {

namespace {

std::vector<char*> argv_of(const std::string& path, const std::vector<std::string>& args) {
  std::vector<char*> argv{const_cast<char*>(path.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// Starts `path` with stdout (and, if err_fd is -1, stderr) going to a pipe it returns.
pid_t spawn(const std::string& path, const std::vector<std::string>& args, int& out_fd,
            int* err_fd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd ? err[1] : out[1], STDERR_FILENO);
  auto argv = argv_of(path, args);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  if (err_fd) {
    *err_fd = err[0];
  } else {
    close(err[0]);
  }
  if (rc != 0) throw std::runtime_error("cannot start " + path);
  out_fd = out[0];
  return pid;
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) {
    ++n;
  }
  return n;
}

// In a sanitizer build (the asan and tsan presets), a server or client with a finding prints
// a report. Its exit code alone would not fail the test: most tests end the server with SIGKILL,
// and with ASan and UBSan together the reports cannot go to a file (log_path). So the test that
// started the program fails when its output holds a report.
void expect_no_sanitizer_report(const std::string& program, const std::string& output) {
  constexpr std::array<std::string_view, 4> report_markers{
      "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
      ": runtime error: "};  // UndefinedBehaviorSanitizer
  for (const auto marker : report_markers) {
    if (output.find(marker) != std::string::npos) {
      ADD_FAILURE() << program << " reported a sanitizer finding:\n" << output;
      return;
    }
  }
}

// The value `flags` give `name`, or `otherwise`.
int flag_value(const std::vector<std::string>& flags, const std::string& name, int otherwise) {
  const auto at = std::find(flags.begin(), flags.end(), name);
  return at != flags.end() && at + 1 != flags.end() ? std::stoi(*(at + 1)) : otherwise;
}

// The names the threads of process `pid` gave themselves ("pool-07"), as the kernel keeps them.
std::vector<std::string> thread_names(pid_t pid) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string name;
    if (std::getline(std::ifstream(task.path() / "comm"), name)) names.push_back(name);
  }
  return names;
}

// The processes `pid` started (with --workers: its workers), as the kernel lists them.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  std::ifstream list("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child; list >> child;) children.push_back(child);
  return children;
}

}  // namespace

server_process::server_process(std::vector<std::string> flags) {
  const auto server_flags = flags;
  flags.insert(flags.begin(), {"--port", "0"});
  pid_ = spawn(ASYNCSCOPE_SERVER_PATH, flags, output_fd_, nullptr);
  reader_ = std::thread([this] {
    char chunk[4096];
    for (ssize_t n; (n = read(output_fd_, chunk, sizeof chunk)) > 0;) {
      std::lock_guard lock{mutex_};
      output_.append(chunk, static_cast<std::size_t>(n));
    }
  });
  if (!wait_for_port() || !wait_for_threads(server_flags)) {
    stop(SIGKILL);  // and the reader is done
    close(output_fd_);
    throw std::runtime_error("the server did not start:\n" + output_);
  }
}

bool server_process::wait_until_lines_can_be_named() {
  return wait_for_output("watchdog: debug information read in", scaled(std::chrono::seconds(20)));
}

bool server_process::wait_for_port() {
  if (!wait_for_output("listening on http://")) return false;
  const std::regex listening{"listening on http://[^ ]+:([0-9]+)\n"};
  const std::regex dashboard{"dashboard on http://[^ ]+:([0-9]+)/\n"};
  // The lines may still be arriving: their ends are in the output a moment later.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::smatch m, d;
    const auto text = output();
    if (std::regex_search(text, m, listening) && std::regex_search(text, d, dashboard)) {
      port_ = static_cast<unsigned short>(std::stoi(m[1]));
      dashboard_port_ = static_cast<unsigned short>(std::stoi(d[1]));
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// The server prints `listening on` before it starts its loop threads, its worker pool and the
// watchdog. That takes a few milliseconds in a plain build, but under ThreadSanitizer on a busy
// machine it took 2.5 s: a test that fired at once found half the pool missing (19 of 40 threads
// served 41 sync requests) and no watchdog to warn about a block. So a test begins once every
// one of those threads has named itself, which each does just before it starts its work.
bool server_process::wait_for_threads(const std::vector<std::string>& flags) {
  const auto loop_threads = flag_value(flags, "--loop-threads", 1);
  const auto pool_threads = flag_value(flags, "--pool-threads", 40);
  const auto workers = flag_value(flags, "--workers", 1);  // processes, each with all of these
  const auto all_running = [&] {
    auto names = thread_names(pid_);
    for (const auto child : children_of(pid_)) {
      const auto more = thread_names(child);
      names.insert(names.end(), more.begin(), more.end());
    }
    const auto named = [&](const std::string& prefix) {
      return std::count_if(names.begin(), names.end(),
                           [&](const std::string& name) { return name.starts_with(prefix); });
    };
    return named("loop-") == workers * loop_threads && named("pool-") == workers * pool_threads &&
           named("watchdog") == workers;
  };
  const auto deadline = std::chrono::steady_clock::now() + scaled(std::chrono::seconds(10));
  while (!all_running()) {
    if (std::chrono::steady_clock::now() > deadline || !running()) {
      std::lock_guard lock{mutex_};
      output_ += "\n(the test harness: no " + std::to_string(loop_threads) + " loop-*, " +
                 std::to_string(pool_threads) + " pool-* and one watchdog thread by now)\n";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

server_process::~server_process() {
  if (running()) stop(SIGKILL);
  if (reader_.joinable()) reader_.join();
  close(output_fd_);
  expect_no_sanitizer_report("asyncscope-server", output_);
}

std::string server_process::output() const {
  std::lock_guard lock{mutex_};
  return output_;
}

bool server_process::wait_for_output(const std::string& text, std::chrono::milliseconds timeout,
                                     int times) {
  const auto seen_enough = [&] {
    return count_of(output(), text) >= static_cast<std::size_t>(times);
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (seen_enough()) return true;
    if (!running()) {
      if (reader_.joinable()) reader_.join();  // the last lines, if any, are now in output_
      return seen_enough();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return seen_enough();
}

bool server_process::running() {
  if (exit_code_) return false;
  int status = 0;
  const pid_t reaped = waitpid(pid_, &status, WNOHANG);
  if (reaped == 0) return true;
  exit_code_ = reaped == pid_ ? exit_code_of(status) : -1;
  return false;
}

void server_process::send_signal(int signal) const {
  if (!exit_code_) kill(pid_, signal);
}

int server_process::stop(int signal, std::chrono::seconds timeout) {
  send_signal(signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_code_ = exit_code_of(status);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (reader_.joinable()) reader_.join();
  return *exit_code_;
}

run_result run_program(const std::string& path, const std::vector<std::string>& args) {
  int out_fd = -1, err_fd = -1;
  const pid_t pid = spawn(path, args, out_fd, &err_fd);
  run_result result;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  for (int open = 2; open > 0;) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      char chunk[4096];
      const ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
      if (n > 0) {
        sinks[i]->append(chunk, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = exit_code_of(status);
  expect_no_sanitizer_report(path, result.out + result.err);
  return result;
}

run_result run_client(const std::vector<std::string>& args) {
  return run_program(ASYNCSCOPE_CLIENT_PATH, args);
}

run_result run_client_against(const server_process& server, const std::string& target, int count,
                              const std::vector<std::string>& flags) {
  std::vector<std::string> args{
      "-e", target, "-c", std::to_string(count), "--port", std::to_string(server.port())};
  args.insert(args.end(), flags.begin(), flags.end());
  return run_client(args);
}

boost::json::object fire(const server_process& server, const std::string& target, int count,
                         const std::vector<std::string>& flags) {
  auto with_json = flags;
  with_json.push_back("--json");
  const auto run = run_client_against(server, target, count, with_json);
  EXPECT_EQ(run.exit_code, 0) << target << " x" << count << "\n" << run.out << run.err;
  boost::system::error_code ec;
  const auto summary = boost::json::parse(run.out, ec);
  if (ec || !summary.is_object()) {
    ADD_FAILURE() << "the client printed no JSON summary:\n" << run.out << run.err;
    return {};
  }
  return summary.as_object();
}

raw_connection::raw_connection(unsigned short port)
    : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd_ >= 0) close(fd_);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
}

raw_connection::~raw_connection() {
  close(fd_);
}

bool raw_connection::send(const std::string& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool raw_connection::receive_more(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd p{fd_, POLLIN, 0};
  if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[4096];
  const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  received_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::string raw_connection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::regex content_length{"\r\ncontent-length: *([0-9]+)\r\n", std::regex::icase};
  for (;;) {
    const auto end_of_head = received_.find("\r\n\r\n");
    if (end_of_head != std::string::npos) {
      const auto head = received_.substr(0, end_of_head + 2);
      std::smatch m;
      const std::size_t body_size =
          std::regex_search(head, m, content_length) ? std::stoul(m[1]) : 0;
      const auto size = end_of_head + 4 + body_size;
      if (received_.size() >= size) {
        auto response = received_.substr(0, size);
        received_.erase(0, size);
        return response;
      }
    }
    if (!receive_more(deadline)) return std::exchange(received_, {});
  }
}

std::string raw_connection::read_until_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (receive_more(deadline)) {
  }
  return std::exchange(received_, {});
}

std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  raw_connection connection{port};
  connection.send(bytes);
  return connection.read_until_closed(timeout);
}

std::string http_request(const std::string& method_and_target, bool keep_alive) {
  return method_and_target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         (keep_alive ? "" : "Connection: close\r\n") + "\r\n";
}

http_answer parse_http_answer(const std::string& raw) {
  http_answer a;
  const auto end_of_head = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end_of_head == std::string::npos) return a;
  a.status = std::stoi(raw.substr(9, 3));
  a.head = raw.substr(0, end_of_head);
  a.body = raw.substr(end_of_head + 4);
  boost::system::error_code ec;
  const auto body = boost::json::parse(a.body, ec);
  if (!ec && body.is_object()) a.json = body.as_object();
  return a;
}

bool still_serves(const server_process& server) {
  const auto health = parse_http_answer(raw_exchange(server.port(), http_request("GET /healthz")));
  return health.status == 200 && health.json == boost::json::object{{"status", "ok"}};
}

double number(const boost::json::value& v) {
  return v.is_double() ? v.as_double() : v.to_number<double>();
}

}  // namespace asyncscope::testing
