// The live dashboard on its own port and thread: it opens while the loop is blocked, with the
// last minute of history; it refuses foreign hosts and other sites' fire requests; its viewers
// and its fired work are bounded. See docs/dashboard.md.

#include "processes.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <regex>
#include <stdexcept>
#include <thread>
#include <vector>

using asyncscope::testing::http_request;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_connection;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::run_client;
using asyncscope::testing::seconds_since;
using asyncscope::testing::server_process;
using namespace std::chrono_literals;

namespace {

// Sanitizers make the server several times slower and bigger (ThreadSanitizer the most).
#if defined(ASYNCSCOPE_SERVER_SANITIZER_thread)
constexpr bool sanitized = true;
constexpr double slowdown = 10;
#elif defined(ASYNCSCOPE_SERVER_SANITIZER_address)
constexpr bool sanitized = true;
constexpr double slowdown = 3;
#else
constexpr bool sanitized = false;
constexpr double slowdown = 1;
#endif

// One connection that reads as a browser's EventSource would, or, with `stall`, one that never
// reads and offers the server a tiny receive window: a page that stopped reading.
class viewer {
 public:
  explicit viewer(unsigned short port, bool stall = false,
                  const std::string& request = http_request("GET /events", true))
      : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (stall) {
      const int tiny = 4096;
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
      if (fd_ >= 0) close(fd_);
      throw std::runtime_error("cannot open a viewer on port " + std::to_string(port));
    }
  }
  ~viewer() { close(fd_); }
  viewer(const viewer&) = delete;
  viewer& operator=(const viewer&) = delete;

  // Reads until what arrived matches `pattern` (true), or the time is up or the server closed.
  bool wait_for(const std::regex& pattern, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!std::regex_search(received_, pattern)) {
      if (!receive_more(deadline)) return std::regex_search(received_, pattern);
    }
    return true;
  }
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout) {
    return wait_for(
        std::regex(std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)")),
        timeout);
  }
  // Reads whatever arrives for `duration`; false if the server closed the stream meanwhile.
  bool read_for(std::chrono::milliseconds duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return true;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;  // nothing yet
      char chunk[16384];
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;  // closed
      received_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  const std::string& received() const { return received_; }

 private:
  bool receive_more(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    received_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  std::string received_;
};

std::string request_with(const std::string& method_and_target,
                         const std::vector<std::string>& headers, const std::string& host) {
  std::string text = method_and_target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const auto& h : headers) text += h + "\r\n";
  return text + "Connection: close\r\n\r\n";
}

asyncscope::testing::http_answer ask_dashboard(const server_process& server,
                                               const std::string& method_and_target,
                                               const std::vector<std::string>& headers = {},
                                               std::string host = "") {
  if (host.empty()) host = "127.0.0.1:" + std::to_string(server.dashboard_port());
  return parse_http_answer(
      raw_exchange(server.dashboard_port(), request_with(method_and_target, headers, host)));
}

const std::string fire_header = "X-Asyncscope-Fire: 1";

std::string metrics_of(const server_process& server) {
  return parse_http_answer(raw_exchange(server.port(), http_request("GET /metrics"))).body;
}

// The server's resident memory, kB: now, and the most it ever had.
struct memory {
  long rss_kb = 0;
  long peak_kb = 0;
};
memory memory_of(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  memory m;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss_kb = std::stol(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) m.peak_kb = std::stol(line.substr(6));
  }
  return m;
}

void fire_with_client(const server_process& server, const std::string& target, int count) {
  const auto run = run_client({"-e", target, "-c", std::to_string(count), "--port",
                               std::to_string(server.port()), "-q", "--timeout", "60"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

const std::regex hello{"event: hello\ndata: \\{"};

}  // namespace

TEST(Dashboard, PrintsItsOwnAddressAfterTheListeningLine) {
  server_process server;
  EXPECT_NE(server.dashboard_port(), 0);
  EXPECT_NE(server.dashboard_port(), server.port());
  EXPECT_TRUE(std::regex_search(
      server.output(),
      std::regex("listening on http://127\\.0\\.0\\.1:" + std::to_string(server.port()) +
                 "\ndashboard on http://127\\.0\\.0\\.1:" +
                 std::to_string(server.dashboard_port()) + "/\n")))
      << server.output();
}

TEST(Dashboard, ThePageAndItsHistoryOpenWithinASecondWhileTheLoopIsBlocked) {
  server_process server{{"--block-warn-ms", "100"}};
  fire_with_client(server, "/async-endpoint?sleep=0.1", 1);  // #1: history from before
  std::jthread wrong{[&] { fire_with_client(server, "/async-wrong?sleep=2", 1); }};
  ASSERT_TRUE(server.wait_for_output("/async-wrong #2 sleep 2 s, starting the I/O now"));
  std::this_thread::sleep_for(300ms);  // the loop has been blocked a while: it is history too

  const auto opened = std::chrono::steady_clock::now();
  const auto page = ask_dashboard(server, "GET /");
  const double page_took = seconds_since(opened);
  viewer events{server.dashboard_port()};
  const bool live = events.wait_for(std::regex("event: live\n[^]*event: status\n"), 1000ms);
  const double stream_took = seconds_since(opened);
  const bool still_blocked = !server.wait_for_output("was blocked", 1ms);
  wrong.join();

  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  EXPECT_NE(page.head.find("frame-ancestors 'none'"), std::string::npos) << page.head;
  EXPECT_LT(page_took, 1.0);
  ASSERT_TRUE(live) << events.received();
  EXPECT_LT(stream_took, 1.0);
  EXPECT_TRUE(still_blocked) << "the page opened while the loop was still blocked";
  const auto& stream = events.received();
  EXPECT_NE(stream.find("Content-Type: text/event-stream"), std::string::npos) << stream;
  const auto history_at = stream.find("event: hello");
  const auto live_at = stream.find("event: live");
  ASSERT_LT(history_at, live_at) << stream;
  const auto history = stream.substr(history_at, live_at - history_at);
  // Before the page opened: #1 came and went, #2 started, and the loop was seen blocked.
  EXPECT_NE(history.find(R"("phase": "finish", "id": 1, "endpoint": "/async-endpoint")"),
            std::string::npos)
      << history;
  EXPECT_NE(history.find(R"("phase": "start", "id": 2, "endpoint": "/async-wrong")"),
            std::string::npos)
      << history;
  EXPECT_TRUE(std::regex_search(
      history, std::regex(R"("blocked_now": 0\.[1-9]\d*, "blocked_by": "/async-wrong #2")")))
      << history;
  // And the first live status says the loop is blocked, and for how long.
  std::smatch m;
  const auto after_live = stream.substr(live_at);
  ASSERT_TRUE(std::regex_search(
      after_live, m, std::regex(R"("blocked_now": ([0-9.]+), "blocked_by": "/async-wrong #2")")))
      << after_live;
  EXPECT_GT(std::stod(m[1]), 0.3);
}

TEST(Dashboard, TheEventStreamKeepsMovingWhileTheLoopIsBlocked) {
  server_process server{{"--block-warn-ms", "100"}};
  viewer events{server.dashboard_port()};
  ASSERT_TRUE(events.wait_for(hello, 2000ms));
  std::jthread wrong{[&] { fire_with_client(server, "/async-wrong?sleep=0.6", 1); }};
  EXPECT_TRUE(events.wait_for(R"("phase": "finish", "id": 1)", 10s));
  // The detector's warning came through the stream too (while blocked, or once it was over,
  // if the watchdog thread did not get the CPU in time on a busy machine).
  const std::regex warning{R"(event: warning\ndata: \{"text": "loop-0 (was )?blocked \d+ ms)"};
  EXPECT_TRUE(events.wait_for(warning, 2s));
  wrong.join();
  const auto& stream = events.received();
  EXPECT_NE(
      stream.find(R"("phase": "start", "id": 1, "endpoint": "/async-wrong", "thread": "loop-0")"),
      std::string::npos)
      << stream;
  // Status events kept coming while the loop was blocked, each saying for how long.
  const std::regex blocked{
      R"("thread": "loop-0", "blocked_now": (0\.\d+), "blocked_by": "/async-wrong #1")"};
  std::vector<double> seen;
  for (auto it = std::sregex_iterator(stream.begin(), stream.end(), blocked);
       it != std::sregex_iterator(); ++it) {
    seen.push_back(std::stod((*it)[1]));
  }
  ASSERT_GE(seen.size(), 3u) << stream;
  EXPECT_LT(seen.front(), seen.back());  // growing
}

TEST(Dashboard, TheMainPortSendsBrowsersToTheDashboard) {
  server_process server;
  const auto dashboard = "http://127.0.0.1:" + std::to_string(server.dashboard_port()) + "/";
  const auto root = parse_http_answer(raw_exchange(server.port(), http_request("GET /")));
  EXPECT_EQ(root.status, 307);
  EXPECT_NE(root.head.find("Location: " + dashboard + "\r\n"), std::string::npos) << root.head;
  const auto events = parse_http_answer(raw_exchange(server.port(), http_request("GET /events")));
  EXPECT_EQ(events.status, 307);
  EXPECT_NE(events.head.find("Location: " + dashboard + "events\r\n"), std::string::npos);
  const auto fire = parse_http_answer(raw_exchange(
      server.port(), http_request("POST /fire?endpoint=/async-endpoint&count=1&sleep=0")));
  EXPECT_EQ(fire.status, 404) << fire.body;
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("/async-endpoint #"), std::string::npos) << server.output();
}

TEST(Dashboard, FireSendsTheRequestsFromTheServerItself) {
  server_process server;
  const auto answer =
      ask_dashboard(server, "POST /fire?endpoint=/async-endpoint&count=3&sleep=0.1", {fire_header});
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(answer.json.at("fired").as_int64(), 3);
  EXPECT_TRUE(server.wait_for_output("done: sleep 0.1 s", 5s, 3)) << server.output();
}

TEST(Dashboard, AForeignHostGets421OnEveryDashboardRoute) {
  server_process server;
  const auto port = std::to_string(server.dashboard_port());
  for (const auto& host :
       std::vector<std::string>{"evil.example:" + port, "evil.example", "10.1.2.3:" + port}) {
    for (const char* request : {"GET /", "GET /events", "POST /fire?endpoint=/async-endpoint"}) {
      const auto answer = ask_dashboard(server, request, {fire_header}, host);
      EXPECT_EQ(answer.status, 421) << host << " " << request << "\n" << answer.head;
      EXPECT_EQ(answer.json.at("error").as_string(), "foreign_host");
    }
  }
  EXPECT_EQ(ask_dashboard(server, "GET /", {}, "localhost:" + port).status, 200);
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("/async-endpoint #"), std::string::npos) << server.output();
}

TEST(Dashboard, FireFromAnotherSiteIsForbiddenAndFiresNothing) {
  server_process server;
  const auto own = "http://127.0.0.1:" + std::to_string(server.dashboard_port());
  const std::string fire = "POST /fire?endpoint=/async-endpoint&count=3&sleep=0";
  const std::vector<std::vector<std::string>> cross_site{
      {},                                                 // a form post: no header
      {"Origin: " + own, "Sec-Fetch-Site: same-origin"},  // still no header
      {fire_header, "Origin: http://evil.example"},       // another origin
      {fire_header, "Origin: null"},                      // a sandboxed frame
      {fire_header, "Origin: http://127.0.0.1:1"},        // another port is another origin
      {fire_header, "Sec-Fetch-Site: cross-site"},        // what the browser says
      {fire_header, "Sec-Fetch-Site: same-site"},
  };
  for (const auto& headers : cross_site) {
    const auto answer = ask_dashboard(server, fire, headers);
    EXPECT_EQ(answer.status, 403) << answer.head << answer.body;
    EXPECT_EQ(answer.json.at("error").as_string(), "fire_refused") << answer.body;
  }
  // A preflight asking to send the header is never granted.
  const auto preflight =
      ask_dashboard(server, "OPTIONS /fire?endpoint=/async-endpoint",
                    {"Origin: http://evil.example", "Access-Control-Request-Method: POST",
                     "Access-Control-Request-Headers: x-asyncscope-fire"});
  EXPECT_EQ(preflight.status, 405);
  EXPECT_EQ(preflight.head.find("Access-Control-"), std::string::npos) << preflight.head;

  // Each refusal is logged before its answer goes out; the log writer may still hold the lines.
  EXPECT_TRUE(server.wait_for_output("refused (403)", 5s, int(cross_site.size())));
  std::this_thread::sleep_for(300ms);  // time for a request fired by mistake to have started
  const auto log = server.output();
  EXPECT_EQ(log.find("/async-endpoint #"), std::string::npos) << log;
  EXPECT_EQ(metrics_of(server).find(R"(endpoint="/async-endpoint")"), std::string::npos);
  std::size_t refusals = 0;
  for (auto at = log.find("refused (403)"); at != std::string::npos;
       at = log.find("refused (403)", at + 1)) {
    ++refusals;
  }
  EXPECT_EQ(refusals, cross_site.size()) << log;
  // The page itself may: same origin, with the header.
  const auto allowed =
      ask_dashboard(server, fire, {fire_header, "Origin: " + own, "Sec-Fetch-Site: same-origin"});
  EXPECT_EQ(allowed.status, 202) << allowed.body;
  EXPECT_TRUE(server.wait_for_output("/async-endpoint #", 5s, 3));
}

TEST(Dashboard, FiredWorkBeyondTheBudgetIsRefusedWhole) {
  server_process server;
  const auto first =
      ask_dashboard(server, "POST /fire?endpoint=/async-endpoint&count=50&sleep=1", {fire_header});
  ASSERT_EQ(first.status, 202) << first.body;
  const auto over =
      ask_dashboard(server, "POST /fire?endpoint=/async-endpoint&count=11&sleep=1", {fire_header});
  EXPECT_EQ(over.status, 429) << over.body;
  EXPECT_EQ(over.json.at("error").as_string(), "fire_budget");
  EXPECT_NE(over.json.at("detail").as_string().find("60.0 s"), std::string::npos) << over.body;
  EXPECT_NE(over.head.find("Retry-After: 1"), std::string::npos);
  const auto fits =
      ask_dashboard(server, "POST /fire?endpoint=/async-endpoint&count=10&sleep=1", {fire_header});
  EXPECT_EQ(fits.status, 202) << fits.body;
  const auto too_many =
      ask_dashboard(server, "POST /fire?endpoint=/async-endpoint&count=101&sleep=0", {fire_header});
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_TRUE(server.wait_for_output("done: sleep 1 s", 10s, 60)) << server.output();
  // Once answered, the budget is free again.
  std::this_thread::sleep_for(300ms);
  const auto again =
      ask_dashboard(server, "POST /fire?endpoint=/async-endpoint&count=50&sleep=1", {fire_header});
  EXPECT_EQ(again.status, 202) << again.body;
}

TEST(Dashboard, FiredRequestsUseAQuarterOfTheConnectionCapAtMost) {
  server_process server{{"--max-connections", "40"}};  // so at most 10 fired at once
  ASSERT_EQ(
      ask_dashboard(server, "POST /fire?endpoint=/async-endpoint&count=30&sleep=1", {fire_header})
          .status,
      202);
  ASSERT_TRUE(server.wait_for_output("starting the I/O now", 5s, 10));
  std::this_thread::sleep_for(400ms);  // none of the first ten is done yet
  const auto log = server.output();
  std::size_t started = 0;
  for (auto at = log.find("starting the I/O now"); at != std::string::npos;
       at = log.find("starting the I/O now", at + 1)) {
    ++started;
  }
  EXPECT_EQ(started, 10u) << log;
  // Real clients still get in meanwhile.
  const auto health = parse_http_answer(raw_exchange(server.port(), http_request("GET /healthz")));
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(server.wait_for_output("done: sleep 1 s", 10s, 30));
}

TEST(Dashboard, QueuedFiredRequestsAreDroppedWhenTheServerShutsDown) {
  server_process server{{"--max-connections", "4"}};  // one fired request at a time
  ASSERT_EQ(
      ask_dashboard(server, "POST /fire?endpoint=/async-endpoint&count=50&sleep=1", {fire_header})
          .status,
      202);
  ASSERT_TRUE(server.wait_for_output("starting the I/O now"));
  const auto stopping = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(SIGTERM), 0);
  EXPECT_LT(seconds_since(stopping), 3 * slowdown) << server.output();
  EXPECT_TRUE(std::regex_search(
      server.output(),
      std::regex("the server is shutting down: dropped 4\\d fired request\\(s\\) not yet sent")))
      << server.output();
}

TEST(Dashboard, ViewersBeyondTheLimitGet503) {
  server_process server{{"--max-viewers", "2"}};
  viewer first{server.dashboard_port()};
  viewer second{server.dashboard_port()};
  ASSERT_TRUE(first.wait_for(hello, 2000ms));
  ASSERT_TRUE(second.wait_for(hello, 2000ms));
  viewer third{server.dashboard_port()};
  ASSERT_TRUE(third.wait_for("\r\n\r\n", 2000ms));
  const auto answer = parse_http_answer(third.received());
  EXPECT_EQ(answer.status, 503) << third.received();
  EXPECT_NE(answer.head.find("Retry-After: 1"), std::string::npos);
  EXPECT_EQ(answer.json.at("error").as_string(), "too_many_viewers");
  // The two still hear the status.
  EXPECT_TRUE(first.wait_for(std::regex("event: status[^]*event: status"), 2000ms));
  EXPECT_TRUE(second.wait_for(std::regex("event: status[^]*event: status"), 2000ms));
}

TEST(Dashboard, ViewersThatStopReadingAreDroppedAndMakeRoom) {
  server_process server{{"--max-viewers", "2", "--log-level", "warn"}};
  viewer stalled_a{server.dashboard_port(), true};
  viewer stalled_b{server.dashboard_port(), true};
  // Enough events to fill their windows and then more than 256 KiB each.
  fire_with_client(server, "/async-endpoint?sleep=0", 3000);
  EXPECT_TRUE(server.wait_for_output("KiB unsent): it stopped reading", 10s, 2)) << server.output();
  // A stalled viewer also makes room for a new one when every slot is taken. These two stall
  // on the history they get first (the burst above: far more than their windows take), which
  // does not count as behind, so they are not dropped for it.
  viewer stalled_c{server.dashboard_port(), true};
  viewer stalled_d{server.dashboard_port(), true};
  std::this_thread::sleep_for(1500ms);  // their writes have now waited over a second
  viewer fresh{server.dashboard_port()};
  EXPECT_TRUE(fresh.wait_for(hello, 2000ms)) << fresh.received() << server.output();
  EXPECT_TRUE(server.wait_for_output("making room for a new viewer", 2s)) << server.output();
}

TEST(Dashboard, StalledViewersAndABurstKeepTheServerSmallAndANewViewerQuick) {
  server_process server{{"--max-viewers", "300", "--log-level", "warn"}};
  std::vector<std::unique_ptr<viewer>> stalled;
  for (int i = 0; i < 200; ++i) {
    stalled.push_back(std::make_unique<viewer>(server.dashboard_port(), true));
  }
  const auto before = memory_of(server.pid());
  std::atomic<bool> burst_over = false;
  std::jthread burst{[&] {
    fire_with_client(server, "/async-endpoint?sleep=0.2", 2000);
    burst_over = true;
  }};
  std::this_thread::sleep_for(500ms);
  const auto opened = std::chrono::steady_clock::now();
  viewer fresh{server.dashboard_port()};
  const bool greeted = fresh.wait_for(hello, 15s);
  const double first_event = seconds_since(opened);
  // It reads on, as a page does: one that stopped would be dropped for it, which is right.
  while (greeted && !burst_over) fresh.read_for(100ms);
  burst.join();
  const bool live = fresh.wait_for(
      "event: live", asyncscope::testing::scaled(3000ms));  // 3 s was short under ASan
  const auto after = memory_of(server.pid());
  std::cout << "200 stalled viewers + 2,000 requests: first event after "
            << static_cast<int>(first_event * 1000) << " ms; RSS " << before.rss_kb / 1024
            << " MB before, " << after.rss_kb / 1024 << " MB after, peak " << after.peak_kb / 1024
            << " MB\n";
  ASSERT_TRUE(greeted) << fresh.received();
  EXPECT_TRUE(live) << fresh.received().substr(0, 300) << server.output();
  EXPECT_TRUE(fresh.read_for(300ms)) << "the page that kept reading is still served\n"
                                     << server.output();
  // 0.3 s is the aim (scripts/viewers_bench.sh measures it); a busy machine gets a margin.
  EXPECT_LT(first_event, 1.0 * slowdown);
  // What the viewers and the burst add: the server faults its heap in at start (warm_heap), so
  // it is about 50 MB before either arrives. Measured: 14 MB added (Debug); before the
  // dashboard shared its events, a thousand stalled viewers added hundreds of MB.
  if (!sanitized) {  // sanitizers need far more memory of their own
    EXPECT_LT(after.peak_kb - before.rss_kb, 32 * 1024);
  }
}

TEST(Dashboard, TimingIsSentOnlyWhileAPageWatchesAndNamesWhoMadeARequestWait) {
  server_process server{{"--block-warn-ms", "100"}};
  // Nobody watching: these three get no timing message (a page opened later finds none).
  fire_with_client(server, "/async-endpoint?sleep=0", 3);
  std::this_thread::sleep_for(300ms);  // the dashboard's ticks took them
  viewer late{server.dashboard_port()};
  ASSERT_TRUE(late.wait_for("event: live", 3s)) << late.received();
  EXPECT_EQ(late.received().find("event: timing"), std::string::npos) << late.received();

  // Watched: three /async-wrong, one after another on loop-0; #6 waited behind #4 and #5.
  fire_with_client(server, "/async-wrong?sleep=0.2", 3);
  const std::regex sixth{R"(event: timing\ndata: \{"id": 6, "endpoint": "/async-wrong", [^\n]*)"};
  ASSERT_TRUE(late.wait_for(sixth, 5s)) << late.received();
  std::smatch found;
  std::regex_search(late.received(), found, sixth);
  const auto data = boost::json::parse(found.str().substr(found.str().find('{'))).as_object();
  const auto& timing = data.at("timing").as_object();
  EXPECT_GT(timing.at("queued").to_number<double>(), 0.3) << found.str();
  EXPECT_EQ(timing.at("threads").as_array().at(0).as_string(), "loop-0");
  std::vector<std::uint64_t> behind;
  for (const auto& cause : data.at("waited_behind").as_array()) {
    behind.push_back(cause.at("request_id").to_number<std::uint64_t>());
  }
  std::sort(behind.begin(), behind.end());
  EXPECT_EQ(behind, (std::vector<std::uint64_t>{4, 5})) << found.str();
}

TEST(Dashboard, TheTableOfRequestsInFlightComesFromTheDashboardThreadWhileTheLoopIsBlocked) {
  server_process server{{"--block-warn-ms", "100"}};
  viewer events{server.dashboard_port()};
  ASSERT_TRUE(events.wait_for(hello, 2000ms));
  std::jthread wrong{[&] { fire_with_client(server, "/async-wrong?sleep=1.5", 1); }};
  // While /async-wrong holds the loop for 1.5 s, the table still comes, every 300 ms: three
  // times at least, each saying #1 runs on loop-0.
  const std::regex running_three_times{
      R"((event: requests\ndata: \{"requests": \[\{"request_id": 1, "endpoint": "/async-wrong", "state": "running"[^\n]*"thread": "loop-0"[^]*){3})"};
  EXPECT_TRUE(events.wait_for(running_three_times, 5s)) << events.received();
  wrong.join();
  EXPECT_TRUE(events.wait_for(R"("requests": [], "connections_not_started": 0, "total": 0)", 3s))
      << events.received().substr(events.received().size() - 2000);
}
