#pragma once
// Starts the real asyncscope-server and asyncscope-client for integration tests, and talks raw
// HTTP to the server.

#include "timing.hpp"

#include <sys/types.h>

#include <boost/json.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asyncscope::testing {

// A running asyncscope-server on a free port, with every thread it starts running (its loop and
// pool threads and the watchdog). Its output is collected as it comes.
class server_process {
 public:
  explicit server_process(std::vector<std::string> flags = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  unsigned short port() const { return port_; }
  // The dashboard's own port, from its `dashboard on http://...` line.
  unsigned short dashboard_port() const { return dashboard_port_; }
  pid_t pid() const { return pid_; }
  // What the server printed so far; complete once stop() has returned.
  std::string output() const;
  // Waits until the output contains `text` at least `times` times; false if the deadline passes
  // or the server exits first.
  bool wait_for_output(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10), int times = 1);
  // Sends `signal` and returns at once.
  void send_signal(int signal) const;
  // Sends `signal` and waits for the exit code (or 128 + signal when killed by one).
  int stop(int signal, std::chrono::seconds timeout = std::chrono::seconds(20));
  bool running();
  // Waits until the watchdog can name the line a blocked loop runs (it reads the program's debug
  // information as the server starts; before that, its warnings have no `in ...` part).
  bool wait_until_lines_can_be_named();

 private:
  bool wait_for_port();
  bool wait_for_threads(const std::vector<std::string>& flags);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;  // once the process has been reaped
  int output_fd_ = -1;
  unsigned short port_ = 0;
  unsigned short dashboard_port_ = 0;
  mutable std::mutex mutex_;
  std::string output_;
  std::thread reader_;
};

struct run_result {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a program to completion and returns what it printed.
run_result run_program(const std::string& path, const std::vector<std::string>& args);

run_result run_client(const std::vector<std::string>& args);

// The client: `count` requests to `target` ("sync-endpoint", "/async-wrong?sleep=0.3") on
// `server`, with `flags` after the others.
run_result run_client_against(const server_process& server, const std::string& target, int count,
                              const std::vector<std::string>& flags = {});

// The client's --json summary of such a run. A run that does not exit 0 fails the test.
boost::json::object fire(const server_process& server, const std::string& target, int count,
                         const std::vector<std::string>& flags = {});

// One TCP connection to 127.0.0.1:port, for requests the client would never send.
class raw_connection {
 public:
  explicit raw_connection(unsigned short port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  // False when the server closed or reset the connection before taking every byte.
  bool send(const std::string& bytes);
  // One HTTP response: its head, then as many body bytes as its Content-Length says. Whatever
  // arrived by `timeout` if it is incomplete (or the server closed).
  std::string read_response(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  // Everything until the server closes the connection (or `timeout`).
  std::string read_until_closed(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

 private:
  // Appends what arrives to `received_`; false when the server closed or time ran out.
  bool receive_more(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string received_;
};

// Sends raw bytes to 127.0.0.1:port and returns everything the server answered before closing
// (or before `timeout`).
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

// A request without a body: `method_and_target` (e.g. "GET /healthz") HTTP/1.1, a Host header
// and, unless `keep_alive`, `Connection: close`.
std::string http_request(const std::string& method_and_target, bool keep_alive = false);

// A raw HTTP answer taken apart: status 0 if it is not one.
struct http_answer {
  int status = 0;
  std::string head;
  std::string body;
  boost::json::object json;  // the body, when it is a JSON object
};

http_answer parse_http_answer(const std::string& raw);

// Whether the server still answers `GET /healthz` with 200 {"status":"ok"}: after a test has
// thrown something at it.
bool still_serves(const server_process& server);

// A JSON number as a double, whether Boost.JSON stored it as a double or an integer.
double number(const boost::json::value& v);

}  // namespace asyncscope::testing
