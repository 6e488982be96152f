// Who made a request wait: each answer's time split (queued, busy, waiting), the requests it
// waited behind, the line a blocked loop was running, GET /requests and GET /trace. The real
// server and client, sleeps of 0.2 s; margins wide enough for a busy 2-core machine and for the
// sanitizer builds.

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
using namespace asyncscope::testing;
using namespace std::chrono_literals;

namespace {

// Sends `count` requests for `target` at once, each on its own connection, and returns the
// lesson answers in the order the server started them.
std::vector<json::object> answers_at_once(const server_process& server, const std::string& target,
                                          int count) {
  std::vector<std::future<std::string>> sent;
  for (int i = 0; i < count; ++i) {
    sent.push_back(std::async(std::launch::async, [&server, target] {
      return raw_exchange(server.port(), http_request("GET " + target), 20'000ms);
    }));
  }
  std::vector<json::object> answers;
  for (auto& answer : sent) {
    const auto parsed = parse_http_answer(answer.get());
    EXPECT_EQ(parsed.status, 200) << parsed.head << parsed.body;
    if (parsed.status == 200) answers.push_back(parsed.json);
  }
  std::sort(answers.begin(), answers.end(), [](const auto& a, const auto& b) {
    return number(a.at("started_at")) < number(b.at("started_at"));
  });
  return answers;
}

const json::object& timing_of(const json::object& answer) {
  return answer.at("timing").as_object();
}

// The line in server/lesson.cpp that holds `text`, counting from 1.
int lesson_line_of(const std::string& text) {
  std::ifstream file{ASYNCSCOPE_SOURCE_DIR "/server/lesson.cpp"};
  std::string line;
  for (int n = 1; std::getline(file, line); ++n) {
    if (line.find(text) != std::string::npos) return n;
  }
  ADD_FAILURE() << "no line in server/lesson.cpp holds: " << text;
  return 0;
}

json::object get_json(const server_process& server, const std::string& target) {
  const auto answer = parse_http_answer(raw_exchange(server.port(), http_request("GET " + target)));
  EXPECT_EQ(answer.status, 200) << answer.head << answer.body;
  return answer.json;
}

// The client's --json summary of `count` requests to `endpoint` at sleep 0.2.
json::object fire_json(const server_process& server, const std::string& endpoint, int count) {
  const auto run = run_client({"-e", endpoint, "-c", std::to_string(count), "--sleep", "0.2",
                               "--port", std::to_string(server.port()), "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  return json::parse(run.out).as_object();
}

std::string temporary_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(getpid()) + ".json"))
      .string();
}

}  // namespace

TEST(Waited, TheFifthAsyncWrongRequestWasQueuedBehindTheFourBeforeIt) {
  server_process server;
  ASSERT_TRUE(server.wait_until_lines_can_be_named()) << server.output();
  const double sleep = scaled(0.2);
  const auto answers =
      answers_at_once(server, "/async-wrong?sleep=" + seconds_text(sleep), 5);
  ASSERT_EQ(answers.size(), 5u);

  const auto& first = timing_of(answers.front());
  EXPECT_LT(number(first.at("queued")), sleep / 2) << answers.front();
  EXPECT_NEAR(number(first.at("busy")), sleep, scaled(0.1)) << answers.front();
  EXPECT_EQ(answers.front().at("waited_behind").as_array().size(), 0u) << answers.front();

  // Ready from the start, it ran after the four sleeps before it.
  const auto& fifth = timing_of(answers.back());
  EXPECT_GT(number(fifth.at("queued")), 4 * sleep - scaled(0.1)) << answers.back();
  EXPECT_LT(number(fifth.at("queued")), 4 * sleep + scaled(0.4)) << answers.back();
  EXPECT_NEAR(number(fifth.at("busy")), sleep, scaled(0.1)) << answers.back();
  EXPECT_EQ(fifth.at("threads"), json::array({"loop-0"}));

  // It names the four that ran before it, a sleep each, each caught blocking the loop in
  // async_wrong.
  std::set<std::uint64_t> earlier;
  for (std::size_t i = 0; i + 1 < answers.size(); ++i) {
    earlier.insert(answers[i].at("request_id").to_number<std::uint64_t>());
  }
  std::set<std::uint64_t> named;
  const auto& behind = answers.back().at("waited_behind").as_array();
  for (const auto& cause : behind) {
    const auto& c = cause.as_object();
    named.insert(c.at("request_id").to_number<std::uint64_t>());
    EXPECT_EQ(c.at("endpoint"), "/async-wrong");
    EXPECT_NEAR(number(c.at("seconds")), sleep, scaled(0.06)) << c;
    EXPECT_NE(std::string(c.at("location").as_string()).find("async_wrong (server/lesson.cpp:"),
              std::string::npos)
        << c;
  }
  EXPECT_EQ(named, earlier) << answers.back();
}

// Busy is the time a handler held its thread, as the wall clock sees it: on a busy machine the
// system may pause a handler half-way (a few are, for 10-20 ms on a loaded 2-core machine), and
// that counts. So nine in ten are under 5 ms (more in a sanitizer build), and none comes near
// the sleep.
TEST(Waited, TwentyAsyncRequestsAreBusyForMillisecondsAndWaitForTheirSleep) {
  server_process server;
  const double sleep = scaled(0.2);
  const auto answers =
      answers_at_once(server, "/async-endpoint?sleep=" + seconds_text(sleep), 20);
  ASSERT_EQ(answers.size(), 20u);
  std::vector<double> busy;
  for (const auto& answer : answers) {
    const auto& t = timing_of(answer);
    busy.push_back(number(t.at("busy")));
    EXPECT_LT(number(t.at("busy")), sleep / 4) << answer;
    EXPECT_GT(number(t.at("waiting")), sleep - 0.01) << answer;
    EXPECT_LT(number(t.at("waiting")), sleep + scaled(0.15)) << answer;
    EXPECT_GE(t.at("resumes").to_number<int>(), 1) << answer;
    EXPECT_EQ(t.at("threads"), json::array({"loop-0"}));
  }
  std::sort(busy.begin(), busy.end());
  EXPECT_LT(busy[busy.size() * 9 / 10 - 1], scaled(0.005)) << "the 90th percentile";
}

TEST(Waited, ASyncRequestIsBusyOnItsPoolThreadForItsWholeSleep) {
  server_process server;
  const auto answers = answers_at_once(server, "/sync-endpoint?sleep=0.2", 1);
  ASSERT_EQ(answers.size(), 1u);
  const auto& t = timing_of(answers.front());
  EXPECT_NEAR(number(t.at("busy")), 0.2, 0.1);
  const auto& threads = t.at("threads").as_array();
  ASSERT_EQ(threads.size(), 2u) << answers.front();
  EXPECT_EQ(threads[0], "loop-0");
  EXPECT_EQ(std::string(threads[1].as_string()).rfind("pool-", 0), 0u) << threads[1];
}

TEST(Waited, TheWatchdogNamesTheLineInTheLessonThatBlocksTheLoop) {
  server_process server;
  ASSERT_TRUE(server.wait_until_lines_can_be_named()) << server.output();
  answers_at_once(server, "/async-wrong?sleep=0.3", 1);
  const auto sleep_line = lesson_line_of("std::this_thread::sleep_for(req.sleep);  // the pitfall");
  ASSERT_TRUE(server.wait_for_output("in async_wrong (server/lesson.cpp:")) << server.output();
  EXPECT_TRUE(std::regex_search(
      server.output(),
      std::regex("WARN loop-0 blocked \\d+ ms so far by /async-wrong #\\d+ in async_wrong "
                 "\\(server/lesson\\.cpp:" +
                 std::to_string(sleep_line) + "\\) ← std::this_thread::sleep_for")))
      << server.output();
}

TEST(Waited, TheWatchdogNamesTheLineOfAComputationToo) {
  server_process server;
  ASSERT_TRUE(server.wait_until_lines_can_be_named()) << server.output();
  answers_at_once(server, "/async-cpu?work=0.3", 1);
  const auto work_line = lesson_line_of("count_primes_for(req.sleep);");
#if defined(ASYNCSCOPE_SERVER_SANITIZER_thread)
  // ThreadSanitizer holds a signal until the thread calls into the C library, which a loop that
  // only computes never does: the watchdog warns without the line.
  if (!server.wait_for_output("in async_cpu (server/lesson.cpp:", 1s)) {
    GTEST_SKIP() << "ThreadSanitizer did not deliver the stack signal to a computing thread";
  }
#endif
  ASSERT_TRUE(server.wait_for_output("in async_cpu (server/lesson.cpp:")) << server.output();
  EXPECT_TRUE(std::regex_search(server.output(),
                                std::regex("WARN loop-0 blocked \\d+ ms so far by /async-cpu #\\d+ "
                                           "in async_cpu \\(server/lesson\\.cpp:" +
                                           std::to_string(work_line) + "\\) ← \\S*count_primes")))
      << server.output();
}

TEST(Waited, GetRequestsShowsAnAsyncRequestSuspendedAtItsCoAwait) {
  server_process server;
  auto in_flight = std::async(std::launch::async, [&server] {
    return raw_exchange(server.port(), http_request("GET /async-endpoint?sleep=1"), 10'000ms);
  });
  ASSERT_TRUE(server.wait_for_output("depth 2")) << server.output();
  std::this_thread::sleep_for(100ms);  // past the co_await
  const auto listed = get_json(server, "/requests");
  const auto co_await_line = lesson_line_of("co_await simulated_io.async_wait(");
  bool found = false;
  for (const auto& entry : listed.at("requests").as_array()) {
    const auto& r = entry.as_object();
    if (r.at("endpoint") != "/async-endpoint") continue;
    found = true;
    EXPECT_EQ(r.at("state"), "suspended") << r;
    EXPECT_EQ(r.at("waiting_at"), json::value("server/lesson.cpp:" + std::to_string(co_await_line)))
        << r;
    EXPECT_EQ(r.at("function"), "async_depth_2") << r;
  }
  EXPECT_TRUE(found) << listed;
  bool self = false;  // GET /requests itself is running while it answers
  for (const auto& entry : listed.at("requests").as_array()) {
    if (entry.at("endpoint") == "/requests") {
      self = true;
      EXPECT_EQ(entry.at("state"), "running");
      EXPECT_EQ(entry.at("thread"), "loop-0");
    }
  }
  EXPECT_TRUE(self) << listed;
  EXPECT_EQ(parse_http_answer(in_flight.get()).status, 200);
}

TEST(Waited, GetTraceHasASliceForEveryRunAndArrowsBetweenARequestsRuns) {
  server_process server;
  const auto wrong = answers_at_once(server, "/async-wrong?sleep=0.1", 3);
  const auto async = answers_at_once(server, "/async-endpoint?sleep=0.1", 3);
  const auto trace = get_json(server, "/trace?seconds=30");
  std::map<std::string, std::vector<double>> slices;  // name -> each one's seconds
  std::map<std::string, std::string> thread_names;
  std::map<std::uint64_t, std::string> flows;  // id -> phases in order
  for (const auto& e : trace.at("traceEvents").as_array()) {
    const auto& event = e.as_object();
    const auto phase = std::string(event.at("ph").as_string());
    if (phase == "X") {
      slices[std::string(event.at("name").as_string())].push_back(number(event.at("dur")) / 1e6);
    } else if (phase == "M" && event.at("name") == "thread_name") {
      thread_names[json::serialize(event.at("tid"))] =
          event.at("args").at("name").as_string().c_str();
    } else if (phase == "s" || phase == "t" || phase == "f") {
      flows[event.at("id").to_number<std::uint64_t>()] += phase;
    }
  }
  // An /async-wrong request runs once for its whole sleep (then briefly, writing its answer);
  // an /async-endpoint request runs briefly before its co_await and again after it.
  for (const auto& answer : wrong) {
    const auto id = answer.at("request_id").to_number<std::uint64_t>();
    const auto& runs = slices["/async-wrong #" + std::to_string(id)];
    EXPECT_EQ(std::count_if(runs.begin(), runs.end(), [](double s) { return s >= 0.09; }), 1)
        << "request " << id;
  }
  for (const auto& answer : async) {
    const auto id = answer.at("request_id").to_number<std::uint64_t>();
    const auto& runs = slices["/async-endpoint #" + std::to_string(id)];
    EXPECT_GE(runs.size(), 2u) << "request " << id;
    EXPECT_TRUE(std::all_of(runs.begin(), runs.end(), [](double s) { return s < 0.09; }));
    const auto& phases = flows[id];
    ASSERT_GE(phases.size(), 2u) << "request " << id;
    EXPECT_EQ(phases.front(), 's');
    EXPECT_EQ(phases.back(), 'f');
  }
  std::set<std::string> names;
  for (const auto& [tid, name] : thread_names) names.insert(name);
  EXPECT_TRUE(names.contains("loop-0"));
  EXPECT_TRUE(names.contains("pool-00"));
}

TEST(Waited, TheClientSumsUpTheTimingsAndWhoHeldTheOthersUp) {
  server_process server;
  const auto trace_file = temporary_path("asyncscope-trace");
  const auto run = run_client({"-e", "async-wrong", "-c", "3", "--sleep", "0.2", "--port",
                               std::to_string(server.port()), "-q", "--trace-out", trace_file});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(std::regex_search(run.out, std::regex("timing: +queued [0-9.]+/[0-9.]+, busy [0-9.]+/[0-9.]+, waiting [0-9.]+/[0-9.]+ m?s \\(p50/p99\\)")))
      << run.out;
  EXPECT_NE(run.out.find("held up by:  #1 /async-wrong:"), std::string::npos) << run.out;

  std::ifstream file{trace_file};
  const std::string text{std::istreambuf_iterator<char>(file), {}};
  std::remove(trace_file.c_str());
  boost::system::error_code ec;
  const auto trace = json::parse(text, ec);
  ASSERT_FALSE(ec) << text.substr(0, 400);
  int sleeps = 0;  // the slices that held the loop for a sleep
  for (const auto& e : trace.at("traceEvents").as_array()) {
    if (e.at("ph") == "X" && std::string(e.at("name").as_string()).starts_with("/async-wrong #")) {
      sleeps += number(e.at("dur")) >= 150'000;
    }
  }
  EXPECT_EQ(sleeps, 3);

  const auto summary = fire_json(server, "async-wrong", 2);
  const auto& timing = summary.at("timing").as_object();
  EXPECT_GT(number(timing.at("queued").at("p99")), 0.15);
  EXPECT_EQ(summary.at("held_up_by").as_array().size(), 1u) << summary;
}

TEST(Waited, WhileTheLoopIsBlockedConnectionsOverTheCapAreStillTurnedAway) {
  server_process server{{"--max-connections", "2"}};
  auto blocked = std::async(std::launch::async, [&server] {
    return raw_exchange(server.port(), http_request("GET /async-wrong?sleep=1.5"), 10'000ms);
  });
  ASSERT_TRUE(server.wait_for_output("/async-wrong #1 just called")) << server.output();
  raw_connection waiting{server.port()};  // the second: accepted, waits for the loop
  waiting.send(http_request("GET /healthz"));
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  const auto refused = parse_http_answer(raw_exchange(server.port(), http_request("GET /healthz")));
  EXPECT_EQ(refused.status, 503);
  EXPECT_LT(seconds_since(started), 1.0) << "answered by the acceptor thread, not the blocked loop";
  EXPECT_EQ(parse_http_answer(waiting.read_response(5000ms)).status, 200);
  EXPECT_EQ(parse_http_answer(blocked.get()).status, 200);
}

TEST(Waited, TimingOffLeavesTheAnswerAsBeforeAndTheRecorderOff) {
  server_process server{{"--timing", "off"}};
  const auto answers = answers_at_once(server, "/async-endpoint?sleep=0.1", 1);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_FALSE(answers.front().contains("timing"));
  EXPECT_FALSE(answers.front().contains("waited_behind"));
  const auto trace = parse_http_answer(raw_exchange(server.port(), http_request("GET /trace")));
  EXPECT_EQ(trace.status, 404);
  EXPECT_EQ(trace.json.at("error"), "not_recording");
}
