#pragma once
// Starts the real asyncscope-server and asyncscope-client for integration tests.

#include <sys/types.h>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asyncscope::testing {

// A running asyncscope-server on a free port. Its output is collected as it comes.
class server_process {
 public:
  explicit server_process(std::vector<std::string> flags = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string output() const;
  // Sends `signal` and waits for the exit code (or 128 + signal when killed by one).
  int stop(int signal, std::chrono::seconds timeout = std::chrono::seconds(20));
  bool running();

 private:
  pid_t pid_ = -1;
  int output_fd_ = -1;
  unsigned short port_ = 0;
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

// Sends raw bytes to 127.0.0.1:port and returns everything the server answered before closing
// (or before `timeout`).
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

}  // namespace asyncscope::testing
