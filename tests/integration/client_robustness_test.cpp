// The client against a server that misbehaves: every failure is counted with its reason, never
// a hang or a crash. The misbehaving server is a few lines of plain sockets in this file.

#include "processes.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

namespace json = boost::json;
using asyncscope::testing::run_client;
using asyncscope::testing::run_program;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_since;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;

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
  const auto stall = scaled(std::chrono::milliseconds(500));
  misbehaving_server server{[stall](int fd) {
    read_request(fd);
    std::this_thread::sleep_for(stall);
  }};
  const auto start = std::chrono::steady_clock::now();
  const auto summary = summary_of(server, 4, scaled(0.2));
  const double took = seconds_since(start);
  EXPECT_EQ(summary.at("failures").as_object().at("timeout").as_int64(), 4);
  EXPECT_LT(took, scaled(0.45));  // not the server's stall
}

TEST(ClientRobustness, CtrlCPrintsThePartialSummaryAndExits130) {
  server_process server{{"--log-level", "warn"}};
  const double sleep = scaled(0.3);
  const auto run = run_program(
      "/bin/sh", {"-c", std::string(ASYNCSCOPE_CLIENT_PATH) + " -e async-wrong -c 5 --sleep " +
                            seconds_text(sleep) + " --json --port " +
                            std::to_string(server.port()) + " & client=$!; sleep " +
                            seconds_text(2.5 * sleep) + "; kill -INT $client; wait $client"});
  EXPECT_EQ(run.exit_code, 130) << run.out << run.err;
  const auto summary = json::parse(run.out).as_object();
  EXPECT_EQ(summary.at("ok").as_int64(), 2);  // one sleep each, one after another: two by 2.5
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
