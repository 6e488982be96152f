// The HTTP layer as an attacker and a careless client meet it: a handler that throws, a Host
// that is not ours, framing that lies, HEAD, absolute-form targets, Expect, and a bounded drain.

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <csignal>
#include <future>
#include <thread>

namespace json = boost::json;
using namespace asyncscope::testing;
using namespace std::chrono_literals;

namespace {

http_answer ask(const server_process& server, const std::string& request) {
  return parse_http_answer(raw_exchange(server.port(), request));
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(NoSilentFailure, AHandlerThatThrowsIsAnswered500WithTheRequestIdAndLogged) {
  server_process server{{"--test-routes"}};
  const auto answer = ask(server, http_request("GET /test/throw"));
  EXPECT_EQ(answer.status, 500) << answer.head;
  EXPECT_EQ(answer.json.at("error"), "internal");
  EXPECT_NE(json::value_to<std::string>(answer.json.at("detail")).find("thrown on purpose"),
            std::string::npos);
  const auto id = answer.json.at("request_id").as_int64();
  EXPECT_TRUE(server.wait_for_output("#" + std::to_string(id) + " failed: thrown on purpose"))
      << server.output();
  EXPECT_TRUE(still_serves(server));
}

TEST(NoSilentFailure, TheTestRouteDoesNotExistWithoutTheHiddenFlag) {
  server_process server;
  EXPECT_EQ(ask(server, http_request("GET /test/throw")).status, 404);
}

TEST(ForeignHost, EveryRouteAnswers421ToANameThatIsNotLoopback) {
  server_process server;
  for (const char* target : {"/", "/healthz", "/metrics", "/async-endpoint?sleep=0", "/nope"}) {
    const auto answer = ask(server, std::string("GET ") + target +
                                             " HTTP/1.1\r\nHost: rebind.example:8000\r\n"
                                             "Connection: close\r\n\r\n");
    EXPECT_EQ(answer.status, 421) << target;
    EXPECT_EQ(answer.json.at("error"), "foreign_host") << target;
  }
  EXPECT_EQ(ask(server, "GET /healthz HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n")
                .status,
            200);
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("/async-endpoint #"), std::string::npos)
      << "a request for a foreign host must not run:\n" << server.output();
}

TEST(Framing, ABodyWhoseTransferEncodingDoesNotEndInChunkedIsNotReadAsASecondRequest) {
  server_process server;
  const std::string smuggled = "GET /async-endpoint?sleep=0 HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const auto raw = raw_exchange(server.port(),
                                "POST /healthz HTTP/1.1\r\nHost: localhost\r\n"
                                "Transfer-Encoding: gzip\r\n\r\n" +
                                    smuggled);
  EXPECT_EQ(parse_http_answer(raw).status, 400) << raw;
  EXPECT_EQ(count_of(raw, "HTTP/1.1 "), 1) << "one answer, then the connection closes:\n" << raw;
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("/async-endpoint #"), std::string::npos) << server.output();
}

TEST(Framing, ACodingOtherThanChunkedIsNotImplemented) {
  server_process server;
  const auto answer = ask(server,
                               "POST /healthz HTTP/1.1\r\nHost: localhost\r\n"
                               "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(answer.status, 501);
}

TEST(Framing, Http11WithoutHostIs400AndHttp10WithoutHostIsServed) {
  server_process server;
  EXPECT_EQ(ask(server, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n").status, 400);
  const auto http10 = raw_exchange(server.port(), "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(http10.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << http10;
}

TEST(Framing, HeadGetsTheHeadOfGetWithoutABodyAndTheConnectionStaysInStep) {
  server_process server;
  raw_connection connection{server.port()};
  ASSERT_TRUE(connection.send("HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
                              "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  const auto both = connection.read_until_closed();
  ASSERT_EQ(count_of(both, "HTTP/1.1 200"), 2) << both;
  const auto second = both.find("HTTP/1.1 200", 1);
  const auto head = parse_http_answer(both.substr(0, second));
  EXPECT_NE(head.head.find("Content-Length: 16"), std::string::npos) << head.head;
  EXPECT_EQ(both.substr(0, second).find("{\"status\""), std::string::npos)
      << "HEAD must carry no body:\n" << both;
  EXPECT_EQ(parse_http_answer(both.substr(second)).json, (json::object{{"status", "ok"}}));
}

// Answers are written at once while the socket takes them; a client that stops reading fills
// its buffers, and the rest of an answer then waits for it. Megabytes of pipelined answers, read
// only after a pause, must all arrive whole and in order.
TEST(Framing, AClientThatReadsLateGetsEveryPipelinedAnswerWholeAndInOrder) {
  server_process server;
  raw_connection connection{server.port()};
  constexpr int requests = 3000;  // about 6 MB of answers: more than both sockets' buffers hold
  std::string pipelined;
  for (int i = 0; i < requests; ++i) {
    pipelined += http_request(i % 50 == 0 ? "GET /async-endpoint?sleep=0" : "GET /metrics", true);
  }
  // Sent from a thread: once the answers fill the buffers, the server stops reading requests.
  auto sent = std::async(std::launch::async, [&] { return connection.send(pipelined); });
  std::this_thread::sleep_for(300ms);
  std::uint64_t last_id = 0;
  for (int i = 0; i < requests; ++i) {
    const auto answer = parse_http_answer(connection.read_response());
    ASSERT_EQ(answer.status, 200) << "answer " << i << ":\n" << answer.head;
    if (i % 50 != 0) continue;
    const auto id = answer.json.at("request_id").to_number<std::uint64_t>();
    ASSERT_GT(id, last_id) << "answer " << i;
    last_id = id;
  }
  EXPECT_TRUE(sent.get());
  EXPECT_TRUE(still_serves(server));
}

TEST(Framing, AnAbsoluteFormTargetIsServed) {
  server_process server;
  const auto answer = ask(server, "GET http://127.0.0.1:" + std::to_string(server.port()) +
                                           "/async-endpoint?sleep=0 HTTP/1.1\r\nHost: localhost"
                                           "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(answer.status, 200) << answer.head;
  EXPECT_EQ(answer.json.at("message"), "Async endpoint completed!");
}

TEST(Framing, Expect100ContinueIsAnsweredBeforeTheBodyIsSent) {
  server_process server;
  raw_connection connection{server.port()};
  ASSERT_TRUE(connection.send("POST /healthz HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue"
                              "\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"));
  const auto interim = connection.read_response(2000ms);
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
  ASSERT_TRUE(connection.send("hello"));
  EXPECT_EQ(parse_http_answer(connection.read_until_closed()).status, 405);
}

TEST(Framing, AnExpectationOtherThan100ContinueFails) {
  server_process server;
  EXPECT_EQ(ask(server, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nExpect: teapot\r\n"
                             "Connection: close\r\n\r\n")
                .status,
            417);
}

TEST(Shutdown, ADrainThatOutlastsDrainTimeoutEndsTheServerWithExitCodeOne) {
  server_process server{{"--drain-timeout", "0.3"}};
  auto blocked = std::async(std::launch::async, [&] {
    return raw_exchange(server.port(), http_request("GET /async-wrong?sleep=3"), 5000ms);
  });
  ASSERT_TRUE(server.wait_for_output("/async-wrong #1 just called")) << server.output();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(SIGTERM), 1);
  EXPECT_LT(seconds_since(started), 2.5) << "the loop is blocked for 3 s; the drain bound is 0.3 s";
  EXPECT_NE(server.output().find("--drain-timeout"), std::string::npos) << server.output();
  blocked.wait();
}
