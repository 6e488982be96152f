// --classroom: a room of browsers watches one server's dashboard while only the teacher fires.
// The dashboard listens on every interface, but every byte of these tests goes to 127.0.0.1. A
// student's laptop is played two ways: by a Host header that is not a loopback name, and by a
// connection whose source is this machine's own network address (bound before connecting to
// 127.0.0.1), which the server sees as a peer that is not loopback. See docs/reference.md.

#include "processes.hpp"
#include "timing.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using asyncscope::testing::http_answer;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::scaled;
using asyncscope::testing::server_process;
using namespace std::chrono_literals;

namespace {

int count_of(const std::string& text, const std::string& what) {
  int count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

const std::string fire_header = "X-Asyncscope-Fire: 1";

http_answer ask(const server_process& server, const std::string& method_and_target,
                const std::vector<std::string>& headers, const std::string& host) {
  std::string text = method_and_target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const auto& h : headers) text += h + "\r\n";
  text += "Connection: close\r\n\r\n";
  return parse_http_answer(raw_exchange(server.dashboard_port(), text));
}

// The teacher's token, from the line the server prints for the teacher.
std::string token_of(const server_process& server) {
  const auto output = server.output();
  std::smatch found;
  if (!std::regex_search(output, found, std::regex("#token=([0-9a-f]{32}) "))) return "";
  return found[1];
}

// One of this machine's IPv4 addresses other than loopback, if it has one.
std::string this_machines_address() {
  ifaddrs* first = nullptr;
  std::string found;
  if (getifaddrs(&first) != 0) return found;
  for (const auto* at = first; at != nullptr && found.empty(); at = at->ifa_next) {
    if (at->ifa_addr == nullptr || at->ifa_addr->sa_family != AF_INET) continue;
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(at->ifa_addr);
    if ((ntohl(v4->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    found = text;
  }
  freeifaddrs(first);
  return found;
}

// A connection to 127.0.0.1:port whose source is `source`: to the server, a peer on the network.
class laptop_connection {
 public:
  laptop_connection(const std::string& source, unsigned short port)
      : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      if (fd_ >= 0) close(fd_);
      throw std::runtime_error("cannot connect from " + source);
    }
  }
  ~laptop_connection() { close(fd_); }
  laptop_connection(const laptop_connection&) = delete;
  laptop_connection& operator=(const laptop_connection&) = delete;

  void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Reads until `text` arrived (true), the server closed, or the time is up.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char chunk[4096];
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        closed_ = true;
        return false;
      }
      received_.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }
  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }

 private:
  int fd_;
  std::string received_;
  bool closed_ = false;
};

std::string fire_request(unsigned short dashboard, const std::vector<std::string>& headers) {
  std::string text =
      "POST /fire?endpoint=/async-endpoint&count=1&sleep=0 HTTP/1.1\r\nHost: "
      "127.0.0.1:" +
      std::to_string(dashboard) + "\r\n";
  for (const auto& h : headers) text += h + "\r\n";
  return text + "Connection: close\r\n\r\n";
}

// A room of viewers, each one connection reading /events as a browser's EventSource would. One
// thread reads them all (poll), so none falls behind and looks stalled to the server.
class room {
 public:
  room(unsigned short port, int viewers) {
    const std::string request = "GET /events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                "\r\nAccept: text/event-stream\r\n\r\n";
    for (int i = 0; i < viewers; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
              static_cast<ssize_t>(request.size())) {
        if (fd >= 0) close(fd);
        throw std::runtime_error("cannot open viewer " + std::to_string(i));
      }
      polls_.push_back({fd, POLLIN, 0});
      received_.emplace_back();
      open_.push_back(true);
    }
  }
  ~room() {
    for (const auto& p : polls_) close(p.fd);
  }
  room(const room&) = delete;
  room& operator=(const room&) = delete;

  // Reads what every viewer gets for `duration`.
  void read_for(std::chrono::milliseconds duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      if (poll(polls_.data(), polls_.size(), static_cast<int>(left.count())) <= 0) continue;
      for (std::size_t i = 0; i < polls_.size(); ++i) {
        if ((polls_[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        char chunk[16384];
        const ssize_t n = recv(polls_[i].fd, chunk, sizeof chunk, 0);
        if (n > 0) {
          received_[i].append(chunk, static_cast<std::size_t>(n));
        } else {
          open_[i] = false;
          polls_[i].events = 0;  // closed: nothing more to read
        }
      }
    }
  }

  // Reads until every viewer's stream passes `test`, or the time is up: how many pass.
  int read_until_all(const std::function<bool(const std::string&)>& test,
                     std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (passing(test) == size()) break;
      read_for(100ms);
    }
    return passing(test);
  }

  int passing(const std::function<bool(const std::string&)>& test) const {
    int count = 0;
    for (const auto& text : received_) count += test(text) ? 1 : 0;
    return count;
  }
  int size() const { return static_cast<int>(polls_.size()); }
  int still_open() const { return static_cast<int>(std::count(open_.begin(), open_.end(), true)); }
  const std::string& of(int viewer) const { return received_[viewer]; }

 private:
  std::vector<pollfd> polls_;
  std::vector<std::string> received_;
  std::vector<bool> open_;
};

// The server's CPU time so far (user + system), seconds, and its resident memory, kB.
double cpu_seconds_of(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>(stat), {}};
  std::istringstream fields{text.substr(text.rfind(')') + 2)};
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long rss_kb_of(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

TEST(Classroom, TheDashboardListensForTheRoomAndTheMainPortStaysOnLoopback) {
  server_process server{{"--classroom"}};
  const auto output = server.output();
  const auto dashboard = std::to_string(server.dashboard_port());
  EXPECT_NE(output.find("listening on http://127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("dashboard on http://0.0.0.0:" + dashboard + "/"), std::string::npos)
      << output;
  EXPECT_TRUE(server.wait_for_output("WARN --classroom: the dashboard listens on every network"));
  EXPECT_NE(output.find("classroom: the teacher fires from http://127.0.0.1:" + dashboard + "/"),
            std::string::npos)
      << output;
  EXPECT_EQ(token_of(server).size(), 32u) << output;
  // A student's browser uses the teacher's address in Host: the page and the stream answer it.
  const auto page = ask(server, "GET /", {}, "192.168.0.10:" + dashboard);
  EXPECT_EQ(page.status, 200);
  const auto events_page = raw_exchange(
      server.dashboard_port(),
      "GET /events HTTP/1.1\r\nHost: 192.168.0.10:" + dashboard + "\r\nConnection: close\r\n\r\n",
      500ms);
  EXPECT_NE(events_page.find("\"fire\": \"teacher\""), std::string::npos) << events_page;
}

TEST(Classroom, OnlyTheTeacherFires) {
  server_process server{{"--classroom"}};
  const auto dashboard = std::to_string(server.dashboard_port());
  const auto token = token_of(server);
  ASSERT_EQ(token.size(), 32u) << server.output();
  const std::string fire = "POST /fire?endpoint=/async-endpoint&count=2&sleep=0";
  const auto student_host = "192.168.0.10:" + dashboard;
  const auto student_origin = "Origin: http://" + student_host;
  // A student's page, with and without a guess; a page that rebinds its own name to the server.
  for (const auto& [host, headers] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {student_host, {fire_header, student_origin}},
           {student_host, {fire_header, student_origin, "X-Asyncscope-Token: " + token.substr(1)}},
           {student_host, {fire_header, student_origin, "X-Asyncscope-Token: 0" + token}},
           {"evil.example:" + dashboard, {fire_header, "Origin: http://evil.example:" + dashboard}},
       }) {
    const auto refused = ask(server, fire, headers, host);
    EXPECT_EQ(refused.status, 403) << host << "\n" << refused.body;
    EXPECT_EQ(refused.json.at("error").as_string(), "fire_refused");
  }
  // The token does not let another site in.
  const auto other_site = ask(
      server, fire, {fire_header, "Origin: http://evil.example", "X-Asyncscope-Token: " + token},
      student_host);
  EXPECT_EQ(other_site.status, 403) << other_site.body;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server.output().find("/async-endpoint #"), std::string::npos) << server.output();

  // The teacher's tablet, with the token; the teacher's own machine, without.
  const auto tablet = ask(
      server, fire, {fire_header, student_origin, "X-Asyncscope-Token: " + token}, student_host);
  EXPECT_EQ(tablet.status, 202) << tablet.body;
  const auto laptop = ask(server, fire, {fire_header}, "127.0.0.1:" + dashboard);
  EXPECT_EQ(laptop.status, 202) << laptop.body;
  EXPECT_TRUE(server.wait_for_output("done: sleep 0 s", scaled(5000ms), 4)) << server.output();
  // The token is never written to the log, not even a wrong one.
  EXPECT_EQ(count_of(server.output(), token), 1) << "printed once, for the teacher";
}

TEST(Classroom, ALaptopOnTheNetworkCannotFireUnderALoopbackNameWithoutTheToken) {
  const auto laptop = this_machines_address();
  if (laptop.empty()) GTEST_SKIP() << "this machine has no address besides loopback";
  server_process server{{"--classroom"}};
  const auto token = token_of(server);
  const auto dashboard = server.dashboard_port();
  // It calls the server 127.0.0.1, as the teacher's browser does: the peer gives it away.
  laptop_connection guess{laptop, dashboard};
  guess.send(fire_request(dashboard, {fire_header}));
  EXPECT_TRUE(guess.wait_for("HTTP/1.1 403", scaled(3000ms))) << guess.received();
  EXPECT_NE(guess.received().find("only the teacher fires"), std::string::npos);
  laptop_connection tablet{laptop, dashboard};
  tablet.send(fire_request(dashboard, {fire_header, "X-Asyncscope-Token: " + token}));
  EXPECT_TRUE(tablet.wait_for("HTTP/1.1 202", scaled(3000ms))) << tablet.received();
  EXPECT_TRUE(server.wait_for_output("done: sleep 0 s", scaled(5000ms), 1)) << server.output();
  EXPECT_TRUE(server.wait_for_output("refused (403): --classroom", scaled(1000ms)))
      << server.output();
}

TEST(Classroom, OneLaptopHoldsSixConnectionsAndTheTeachersMachineIsNeverTurnedAway) {
  const auto laptop = this_machines_address();
  if (laptop.empty()) GTEST_SKIP() << "this machine has no address besides loopback";
  server_process server{{"--classroom", "--max-viewers", "3"}};
  const auto dashboard = server.dashboard_port();
  const auto events =
      "GET /events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(dashboard) + "\r\n\r\n";
  std::vector<std::unique_ptr<laptop_connection>> tabs;
  for (int i = 0; i < 6; ++i) {
    tabs.push_back(std::make_unique<laptop_connection>(laptop, dashboard));
    tabs.back()->send(events);
  }
  // Three watch (--max-viewers 3); three more are told the room is full.
  int watching = 0, turned_away = 0;
  for (auto& tab : tabs) {
    if (tab->wait_for("event: hello", scaled(3000ms)))
      ++watching;
    else if (tab->received().find("503") != std::string::npos)
      ++turned_away;
  }
  EXPECT_EQ(watching, 3);
  EXPECT_EQ(turned_away, 3);
  // Those three are gone; the three watching hold three connections. Three more are allowed...
  for (int i = 0; i < 3; ++i)
    tabs.push_back(std::make_unique<laptop_connection>(laptop, dashboard));
  // ...but a seventh at once is closed before a byte is read.
  std::this_thread::sleep_for(scaled(300ms));
  laptop_connection seventh{laptop, dashboard};
  seventh.send(events);
  EXPECT_FALSE(seventh.wait_for("HTTP/1.1", scaled(2000ms)));
  EXPECT_TRUE(seventh.closed()) << seventh.received();
  EXPECT_TRUE(
      server.wait_for_output("already has 6 connections open (--classroom)", scaled(2000ms)));
  // The teacher's own browser still gets in, though every viewer slot is taken.
  laptop_connection teacher{"127.0.0.1", dashboard};
  teacher.send(events);
  EXPECT_TRUE(teacher.wait_for("event: hello", scaled(3000ms))) << teacher.received();
}

// 100 browsers (--max-viewers' default) watch while the lesson's batches run: 50 async
// requests, then 3 async-wrong ones that block the loop. Every viewer sees the batch begin,
// every request start and finish, and the status keep coming while the loop is blocked.
TEST(Classroom, AHundredViewersAllKeepReceivingWhileALessonBatchRuns) {
  server_process server{{"--classroom", "--log-level", "warn"}};
  const auto dashboard = "127.0.0.1:" + std::to_string(server.dashboard_port());
  constexpr int viewers = 100;
  room students{server.dashboard_port(), viewers};
  const auto finished = [](int requests) {
    return [requests](const std::string& stream) {
      return count_of(stream, R"("phase": "finish")") >= requests;
    };
  };
  ASSERT_EQ(students.read_until_all(
                [](const std::string& stream) { return count_of(stream, "event: live\n") > 0; },
                scaled(10'000ms)),
            viewers);
  const double cpu_before = cpu_seconds_of(server.pid());
  const long rss_before = rss_kb_of(server.pid());
  const auto started = std::chrono::steady_clock::now();

  const auto sleep = asyncscope::testing::seconds_text(scaled(0.3));
  const auto async_batch =
      ask(server, "POST /fire?endpoint=/async-endpoint&count=50&sleep=" + sleep, {fire_header},
          dashboard);
  ASSERT_EQ(async_batch.status, 202) << async_batch.body;
  students.read_until_all(finished(50), scaled(10'000ms));
  const auto wrong_batch = ask(server, "POST /fire?endpoint=/async-wrong&count=3&sleep=" + sleep,
                               {fire_header}, dashboard);
  ASSERT_EQ(wrong_batch.status, 202) << wrong_batch.body;
  const int saw_everything = students.read_until_all(finished(53), scaled(15'000ms));
  students.read_for(scaled(300ms));  // the statuses after the batch, too
  const double took = asyncscope::testing::seconds_since(started);
  const double cpu = cpu_seconds_of(server.pid()) - cpu_before;
  const long rss_after = rss_kb_of(server.pid());

  EXPECT_EQ(saw_everything, viewers);
  EXPECT_EQ(students.still_open(), viewers);
  int fewest_events = 1 << 30, most_events = 0;
  for (int i = 0; i < viewers; ++i) {
    const auto& stream = students.of(i);
    const int events = count_of(stream, "\nevent: ") + (stream.rfind("event: ", 0) == 0 ? 1 : 0);
    fewest_events = std::min(fewest_events, events);
    most_events = std::max(most_events, events);
    // Both batches were announced, and every request started and finished, on every page.
    ASSERT_EQ(count_of(stream, "event: batch\n"), 2) << "viewer " << i;
    ASSERT_EQ(count_of(stream, R"("phase": "start")"), 53) << "viewer " << i;
    ASSERT_EQ(count_of(stream, R"("phase": "finish")"), 53) << "viewer " << i;
    // While /async-wrong held the loop, the status kept coming (every 100 ms).
    ASSERT_GE(count_of(stream, R"("blocked_by": "/async-wrong #)"), 3) << "viewer " << i;
  }
  std::cout << viewers << " viewers, 50 x /async-endpoint then 3 x /async-wrong at sleep " << sleep
            << " s: " << took << " s; events per viewer " << fewest_events << " to " << most_events
            << "; server CPU " << cpu << " s (" << static_cast<int>(cpu / took * 100)
            << " % of one core); RSS " << rss_before / 1024 << " -> " << rss_after / 1024
            << " MiB\n";
}
