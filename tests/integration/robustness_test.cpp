// Bad input, bad flags, no server, and shutdown: what a user sees.

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <csignal>
#include <future>

namespace json = boost::json;
using namespace asyncscope::testing;

namespace {

// The status code and the JSON body of a raw HTTP answer.
struct answer {
  int status = 0;
  std::string head;
  json::object body;
};

answer parse_answer(const std::string& raw) {
  answer a;
  const auto end_of_head = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end_of_head == std::string::npos) return a;
  a.status = std::stoi(raw.substr(9, 3));
  a.head = raw.substr(0, end_of_head);
  a.body = json::parse(raw.substr(end_of_head + 4)).as_object();
  return a;
}

answer get(const server_process& server, const std::string& request) {
  return parse_answer(raw_exchange(server.port(), request));
}

std::string request_line(const std::string& line) {
  return line + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
}

bool still_serves(const server_process& server) {
  return get(server, request_line("GET /healthz")).status == 200;
}

}  // namespace

TEST(BadInput, EachGetsItsStatusAndAJsonErrorAndTheServerKeepsServing) {
  server_process server;
  const std::string big(9000, 'a');
  const std::vector<std::tuple<std::string, int, std::string>> cases{
      {request_line("GET /nope"), 404, "not_found"},
      {request_line("POST /async-endpoint"), 405, "method_not_allowed"},
      {request_line("GET /async-endpoint?sleep=abc"), 400, "bad_sleep"},
      {request_line("GET /async-endpoint?sleep=-1"), 400, "bad_sleep"},
      {request_line("GET /async-endpoint?sleep=61"), 400, "bad_sleep"},
      {request_line("GET /async-endpoint?sleep=inf"), 400, "bad_sleep"},
      {"GET /healthz HTTP/1.1\r\nX-Big: " + big + "\r\n\r\n", 431, "headers_too_large"},
      {"POST /healthz HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", 413, "body_too_large"},
      {"\x16\x03\x01 this is not http\r\n\r\n", 400, "bad_request"},
      {"GET / HTTP/9.9\r\n\r\n", 400, "bad_request"},
  };
  for (const auto& [request, status, error] : cases) {
    auto a = get(server, request);
    EXPECT_EQ(a.status, status) << error;
    EXPECT_EQ(a.body["error"], json::value(error)) << error;
    EXPECT_TRUE(a.body.contains("detail")) << error;
    EXPECT_NE(a.head.find("Content-Type: application/json"), std::string::npos) << error;
    EXPECT_TRUE(still_serves(server)) << "after " << error;
  }
  EXPECT_NE(get(server, request_line("PUT /sync-endpoint")).head.find("Allow: GET"),
            std::string::npos);
}

TEST(BadInput, AMalformedRequestDoesNotDisturbOtherConnections) {
  server_process server;
  auto busy = std::async(std::launch::async, [&] {
    return run_client({"-e", "async-endpoint", "-c", "10", "--sleep", "0.3", "--port",
                       std::to_string(server.port()), "--json"});
  });
  for (int i = 0; i < 20; ++i) raw_exchange(server.port(), "garbage\r\n\r\n");
  const auto run = busy.get();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(json::parse(run.out).at("ok"), json::value(10));
}

TEST(Flags, ServerRejectsABadFlagWithOneLineAndExitCodeTwo) {
  const auto run = run_program(ASYNCSCOPE_SERVER_PATH, {"--pool-threads", "0"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--pool-threads"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << run.err;
}

TEST(Flags, ClientRejectsABadFlagWithExitCodeTwo) {
  EXPECT_EQ(run_client({"-e", "async-endpoint", "-c", "zero"}).exit_code, 2);
  EXPECT_EQ(run_client({"-c", "3"}).exit_code, 2);  // --endpoint is required
}

TEST(Flags, ClientExitsThreeAndSaysHowToStartTheServerWhenNothingListens) {
  unsigned short free_port = 0;
  {
    server_process server;
    free_port = server.port();
  }  // stopped: nothing listens on that port any more
  const auto run =
      run_client({"-e", "async-endpoint", "-c", "3", "--port", std::to_string(free_port)});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(run.err.find("127.0.0.1:" + std::to_string(free_port)), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("asyncscope-server"), std::string::npos) << run.err;
}

TEST(Shutdown, SigtermLetsRequestsInFlightFinishThenExitsZero) {
  server_process server;
  auto in_flight = std::async(std::launch::async, [&] {
    return run_client({"-e", "async-wrong", "-c", "2", "--sleep", "0.3", "--port",
                       std::to_string(server.port()), "--json"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
  const auto run = in_flight.get();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(json::parse(run.out).at("ok"), json::value(2));
}

TEST(Shutdown, SigintOnAnIdleServerExitsZeroAtOnce) {
  server_process server;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(SIGINT), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}
