// The client against a server that misbehaves: every failure is counted with its reason, never
// a hang or a crash. The misbehaving server is a few lines of plain sockets in this file.

#include "processes.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <thread>
#include <vector>

namespace json = boost::json;
using asyncscope::testing::run_client;
using asyncscope::testing::run_program;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_since;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;
using namespace std::chrono_literals;

namespace {

// Listens on 127.0.0.1 and treats every connection with `behaviour`, on its own thread, until
// destroyed.
class misbehaving_server {
 public:
  explicit misbehaving_server(std::function<void(int fd)> behaviour)
      : behaviour_(std::move(behaviour)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 64);
    socklen_t size = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) return;  // the listener was shut down
        connections_.emplace_back([this, fd] {
          behaviour_(fd);
          close(fd);
        });
      }
    });
  }
  ~misbehaving_server() {
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    for (auto& connection : connections_) connection.join();
    close(listener_);
  }
  misbehaving_server(const misbehaving_server&) = delete;
  misbehaving_server& operator=(const misbehaving_server&) = delete;

  std::string port() const { return std::to_string(port_); }

 private:
  std::function<void(int)> behaviour_;
  int listener_ = -1;
  unsigned short port_ = 0;
  std::thread thread_;
  std::vector<std::thread> connections_;  // only the accepting thread adds to it
};

void read_request(int fd) {
  char buffer[4096];
  [[maybe_unused]] const auto n = read(fd, buffer, sizeof buffer);
}

// Answers nothing until the client closes the connection, or `longest` has passed.
void hold_without_answering(int fd, std::chrono::milliseconds longest) {
  pollfd closed{fd, POLLIN, 0};  // readable at the client's close
  poll(&closed, 1, static_cast<int>(longest.count()));
}

void send_text(int fd, std::string_view text) {
  [[maybe_unused]] const auto n = write(fd, text.data(), text.size());
}

json::object summary_of(const misbehaving_server& server, int count, double timeout = 5) {
  const auto run = run_client({"-e", "async-endpoint", "-c", std::to_string(count), "--port",
                               server.port(), "--timeout", seconds_text(timeout), "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  return json::parse(run.out).as_object();
}

}  // namespace

TEST(ClientRobustness, AServerThatClosesMidResponseIsAFailureWithItsReason) {
  misbehaving_server server{[](int fd) {
    read_request(fd);
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"message\": ");
  }};
  const auto summary = summary_of(server, 3);
  EXPECT_EQ(summary.at("failed").as_int64(), 3);
  EXPECT_EQ(summary.at("failures").as_object().at("connection closed early").as_int64(), 3);
}

TEST(ClientRobustness, GarbageInsteadOfHttpIsABadResponse) {
  misbehaving_server server{[](int fd) {
    read_request(fd);
    send_text(fd, "SPAM SPAM SPAM\r\n\r\n");
  }};
  const auto summary = summary_of(server, 2);
  EXPECT_EQ(summary.at("failures").as_object().at("bad response").as_int64(), 2);
}

TEST(ClientRobustness, AServerThatResetsTheConnectionIsAReset) {
  misbehaving_server server{[](int fd) {
    read_request(fd);
    const linger reset{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }};
  const auto summary = summary_of(server, 2);
  EXPECT_EQ(summary.at("failures").as_object().at("connection reset").as_int64(), 2);
}

TEST(ClientRobustness, AServerThatStallsIsATimeoutAtTheTimeout) {
  const double timeout = scaled(0.2);
  const auto stall = scaled(std::chrono::milliseconds(5000));
  misbehaving_server server{[stall](int fd) {
    read_request(fd);
    hold_without_answering(fd, stall);
  }};
  const auto start = std::chrono::steady_clock::now();
  const auto summary = summary_of(server, 4, timeout);
  const double took = seconds_since(start);
  EXPECT_EQ(summary.at("failures").as_object().at("timeout").as_int64(), 4);
  EXPECT_GE(took, timeout);
  EXPECT_LT(took, timeout + scaled(0.5));  // the client's own start and exit; not the stall
}

TEST(ClientRobustness, CtrlCPrintsThePartialSummaryAndExits130) {
  server_process server;
  const double sleep = scaled(0.3);
  // The shell starts the client, waits for the test's word (a file), then sends it SIGINT as
  // Ctrl-C would.
  const auto go = ::testing::TempDir() + "asyncscope-ctrl-c-" + std::to_string(getpid());
  std::remove(go.c_str());
  auto client = std::async(std::launch::async, [&] {
    return run_program(
        "/bin/sh", {"-c", std::string(ASYNCSCOPE_CLIENT_PATH) + " -e async-wrong -c 5 --sleep " +
                              seconds_text(sleep) + " --json --port " +
                              std::to_string(server.port()) + " & client=$!; while [ ! -e " + go +
                              " ]; do sleep 0.01; done; kill -INT $client; wait $client"});
  });
  // One after another: two are answered once the third has started its sleep. Half of it later,
  // the second answer has reached the client too.
  EXPECT_TRUE(server.wait_for_output("/async-wrong #3 just called", scaled(10s)))
      << server.output();
  std::this_thread::sleep_for(std::chrono::duration<double>(sleep / 2));
  std::ofstream{go}.put('\n');
  const auto run = client.get();
  std::remove(go.c_str());
  EXPECT_EQ(run.exit_code, 130) << run.out << run.err;
  const auto summary = json::parse(run.out).as_object();
  EXPECT_EQ(summary.at("ok").as_int64(), 2);
  EXPECT_EQ(summary.at("failures").as_object().at("interrupted").as_int64(), 3);
  EXPECT_NE(run.err.find("interrupted"), std::string::npos) << run.err;
}

TEST(ClientRobustness, MoreRequestsThanFileDescriptorsArePacedNotFailed) {
  server_process server{{"--log-level", "warn"}};
  const auto run =
      run_program("/bin/sh", {"-c", "ulimit -n 48 && exec " + std::string(ASYNCSCOPE_CLIENT_PATH) +
                                        " -e async-endpoint -c 100 --sleep 0.1 -q --port " +
                                        std::to_string(server.port())});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("100 ok, 0 failed"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("the requests were paced, not failed"), std::string::npos) << run.err;
}
