// What one client may cost the server: every limit is a flag, and each says so when it triggers.

#include "processes.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using asyncscope::testing::http_request;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_connection;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::run_client_against;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_since;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;
using namespace std::chrono_literals;

TEST(Limits, ASlowRequestIsCutAtTheReadTimeout) {
  const double timeout = scaled(0.3);
  server_process server{{"--read-timeout", seconds_text(timeout)}};
  raw_connection slow{server.port()};
  slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  const auto start = std::chrono::steady_clock::now();
  const auto received = slow.read_until_closed(scaled(2000ms));
  const double took = seconds_since(start);
  EXPECT_EQ(received, "");
  EXPECT_GE(took, timeout - 0.05);  // the timer started when the server accepted, before `start`
  EXPECT_LT(took, timeout + scaled(0.7));
  EXPECT_TRUE(server.wait_for_output("cut: no complete request within ")) << server.output();
  EXPECT_NE(server.output().find(" s (--read-timeout)"), std::string::npos) << server.output();
}

TEST(Limits, AnIdleKeptAliveConnectionIsClosedAtTheKeepAliveTimeout) {
  const double timeout = scaled(0.3);
  server_process server{{"--keep-alive-timeout", seconds_text(timeout), "--read-timeout", "20"}};
  raw_connection client{server.port()};
  client.send(http_request("GET /healthz", true));
  EXPECT_EQ(parse_http_answer(client.read_response()).status, 200);
  const auto start = std::chrono::steady_clock::now();
  client.read_until_closed(scaled(3000ms));
  const double took = seconds_since(start);
  EXPECT_GE(took, timeout - 0.05);  // the wait began as the answer went out, about at `start`
  EXPECT_LT(took, timeout + scaled(1.2));  // well before the read timeout
}

TEST(Limits, HeaderAndBodyLimitsAreFlags) {
  server_process server{{"--max-header-bytes", "1024", "--max-body-bytes", "10"}};
  const auto big_header = parse_http_answer(raw_exchange(
      server.port(),
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"));
  EXPECT_EQ(big_header.status, 431);
  EXPECT_NE(big_header.body.find("--max-header-bytes"), std::string::npos) << big_header.body;
  const auto big_body = parse_http_answer(raw_exchange(
      server.port(), "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world"));
  EXPECT_EQ(big_body.status, 413);
}

TEST(Limits, ConnectionsBeyondTheCapGet503AndTheServerKeepsServing) {
  server_process server{{"--max-connections", "3"}};
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<raw_connection>(server.port()));
    held.back()->send(http_request("GET /healthz", true));
    ASSERT_EQ(parse_http_answer(held.back()->read_response()).status, 200);
  }
  const auto refused = parse_http_answer(raw_exchange(server.port(), http_request("GET /healthz")));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.json.at("error").as_string(), "too_many_connections");
  EXPECT_NE(refused.head.find("Retry-After: 1"), std::string::npos) << refused.head;
  EXPECT_TRUE(server.wait_for_output("3 connections open (--max-connections)"));
  held.clear();  // the three leave; there is room again
  std::this_thread::sleep_for(scaled(100ms));
  EXPECT_EQ(parse_http_answer(raw_exchange(server.port(), http_request("GET /healthz"))).status,
            200);
}

TEST(Limits, AFullWorkerPoolQueueAnswers503WithRetryAfter) {
  server_process server{{"--pool-threads", "1", "--max-pool-queue", "1"}};
  // Four at once: one runs, one waits, two are turned away (while the first still sleeps).
  const auto run = run_client_against(server, "/sync-endpoint?sleep=" + seconds_text(scaled(0.2)),
                                      4, {"--json"});
  EXPECT_EQ(run.exit_code, 1) << run.out;  // some failed
  EXPECT_NE(run.out.find(R"("statuses": {"200": 2, "503": 2})"), std::string::npos) << run.out;
  EXPECT_TRUE(server.wait_for_output("jobs already wait for the worker pool (--max-pool-queue)"));
}

TEST(Limits, BindingEveryInterfaceWarns) {
  server_process server{{"--host", "0.0.0.0"}};
  EXPECT_TRUE(server.wait_for_output("WARN listening on every network interface"));
  EXPECT_EQ(parse_http_answer(raw_exchange(server.port(), http_request("GET /healthz"))).status,
            200);
}

TEST(Limits, AClientOverTheCapThatSendsLateStillGetsIts503) {
  server_process server{{"--max-connections", "1"}};
  raw_connection held{server.port()};
  held.send(http_request("GET /healthz", true));
  ASSERT_EQ(parse_http_answer(held.read_response()).status, 200);
  raw_connection late{server.port()};
  std::this_thread::sleep_for(1200ms);  // longer than the server waits for its request
  late.send(http_request("GET /healthz"));
  EXPECT_EQ(parse_http_answer(late.read_response()).status, 503);
}

TEST(Limits, A413IsNotLostWhileTheClientIsStillSendingItsBody) {
  server_process server;
  raw_connection client{server.port()};
  // More than the sockets buffer (a server that closed without reading the rest would make the
  // send fail with a reset, from 4 MiB up), and little enough that a busy machine can drain it
  // within the server's one second.
  const std::string body(8 * 1024 * 1024, 'x');
  // Like most clients, it sends the whole request before it reads: the server must let it.
  EXPECT_TRUE(client.send("POST /async-endpoint HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
  EXPECT_EQ(parse_http_answer(client.read_response()).status, 413);
}
