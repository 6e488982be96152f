// The database lesson, end to end: the real server against a real MariaDB, which the test run
// starts with scripts/db.sh (the `mariadb` fixture in tests/CMakeLists.txt). Sleeps of 0.2 s,
// done by the database itself (?sleep= runs DO SLEEP on the request's connection), scaled for
// sanitizer builds like every other integration test's (timing.hpp).

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
using asyncscope::testing::fire;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_connection;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::run_client_against;
using asyncscope::testing::run_program;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_since;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;

namespace {

const double sleep_s = scaled(0.2);
// "?sleep=" with `seconds` of a plain Debug build, scaled for this build.
std::string sleep_query(double seconds) { return "?sleep=" + seconds_text(scaled(seconds)); }
const std::vector<std::string> flavours{"sync", "async", "async-wrong"};

// The URL scripts/db.sh printed when the fixture started the database.
std::string database_url() {
  std::ifstream file{ASYNCSCOPE_DB_DIR "/url"};
  std::string url;
  std::getline(file, url);
  if (url.empty()) ADD_FAILURE() << "no " ASYNCSCOPE_DB_DIR "/url: did the mariadb fixture run?";
  return url;
}

void run_db_script(const std::string& action) {
  const auto run = run_program(ASYNCSCOPE_DB_SCRIPT, {action, "--dir", ASYNCSCOPE_DB_DIR});
  ASSERT_EQ(run.exit_code, 0) << "db.sh " << action << ":\n" << run.out << run.err;
}

// The database, running again when the test ends, whatever happened in between.
struct database_restarted_at_exit {
  ~database_restarted_at_exit() { run_db_script("start"); }
};

struct answer {
  int status = 0;
  std::string head;
  std::string text;  // the body as sent
  json::value body;  // the body parsed; null if it is not JSON
};

std::string request(const std::string& method, const std::string& target,
                    const std::string& body = "") {
  std::string text =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (method == "POST" || method == "PUT") {
    text +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return text + "\r\n" + body;
}

answer parse(const std::string& raw) {
  const auto http = parse_http_answer(raw);
  answer a{.status = http.status, .head = http.head, .text = http.body, .body = nullptr};
  boost::system::error_code ec;
  a.body = json::parse(http.body, ec);
  return a;
}

answer call(const server_process& server, const std::string& method, const std::string& target,
            const std::string& body = "") {
  return parse(raw_exchange(server.port(), request(method, target, body),
                            std::chrono::milliseconds(10'000)));
}

// `count` requests at once, each on its own connection, all connected before any is sent.
// Returns the answers and the seconds from the first send to the last answer.
std::pair<std::vector<answer>, double> all_at_once(const server_process& server,
                                                   const std::string& target, int count) {
  std::vector<std::unique_ptr<raw_connection>> connections;
  for (int i = 0; i < count; ++i) {
    connections.push_back(std::make_unique<raw_connection>(server.port()));
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto& c : connections) c->send(request("GET", target));
  std::vector<answer> answers;
  for (auto& c : connections) {
    answers.push_back(parse(c->read_response(std::chrono::milliseconds(15'000))));
  }
  return {answers, seconds_since(start)};
}

std::string title_json(const std::string& title) {
  return json::serialize(json::object{{"title", title}});
}

// The task's entry in GET /P/tasks, or null.
json::value listed(const server_process& server, const std::string& flavour, std::int64_t id) {
  const auto list = call(server, "GET", "/" + flavour + "/tasks");
  EXPECT_EQ(list.status, 200) << list.text;
  if (!list.body.is_array()) return nullptr;
  for (const auto& task : list.body.as_array()) {
    if (task.at("id").as_int64() == id) return task;
  }
  return nullptr;
}

std::size_t count_matches(const std::string& text, const std::string& pattern) {
  const std::regex re{pattern};
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

}  // namespace

TEST(Todo, TheWholeCrudCycleGivesIdenticalAnswersInEachFlavour) {
  server_process server{{"--db", database_url()}};
  // Korean, an emoji and SQL: stored and returned verbatim.
  const std::string title =
      "세탁소에 맡긴 것을 찾으러 가기 🧺 '); DROP TABLE tasks; --";
  std::vector<std::string> transcripts;
  for (const auto& flavour : flavours) {
    const std::string tasks = "/" + flavour + "/tasks";
    std::string transcript;
    const auto note = [&](const answer& a, std::int64_t id) {
      std::string text = a.text;  // each flavour creates its own task: its id is written ID
      const auto id_text = std::to_string(id);
      for (auto at = text.find(id_text); at != std::string::npos; at = text.find(id_text, at)) {
        text.replace(at, id_text.size(), "ID");
      }
      transcript += std::to_string(a.status) + " " + text + "\n";
      EXPECT_NE(a.status, 500) << flavour << ": " << a.text;
    };

    const auto created = call(server, "POST", tasks, title_json(title));
    ASSERT_EQ(created.status, 200) << flavour << ": " << created.text;
    const auto id = created.body.at("id").as_int64();
    note(created, id);
    EXPECT_EQ(created.body, (json::object{{"id", id}, {"title", title}, {"done", false}}));
    EXPECT_EQ(listed(server, flavour, id),
              (json::object{{"id", id}, {"title", title}, {"done", false}}));

    const auto item = tasks + "/" + std::to_string(id);
    note(call(server, "PUT", item, title_json("renamed")), id);
    note(call(server, "PUT", item + "/done"), id);
    EXPECT_EQ(listed(server, flavour, id),
              (json::object{{"id", id}, {"title", "renamed"}, {"done", true}}));
    note(call(server, "PUT", item + "/done"), id);  // already done: 400
    note(call(server, "DELETE", item + "/done"), id);
    note(call(server, "DELETE", item + "/done"), id);  // not done: 404
    note(call(server, "DELETE", item), id);
    EXPECT_EQ(listed(server, flavour, id), nullptr);
    note(call(server, "DELETE", item), id);  // gone: 404 from here on
    note(call(server, "PUT", item, title_json("x")), id);
    note(call(server, "PUT", item + "/done"), id);
    note(call(server, "DELETE", item + "/done"), id);
    transcripts.push_back(transcript);
  }
  EXPECT_EQ(transcripts[0],
            "200 {\"id\": ID, \"title\": \"" + title +
                "\", \"done\": false}\n"
                "200 {\"id\": ID, \"title\": \"renamed\"}\n"
                "200 {\"id\": ID}\n"
                "400 {\"error\": \"already_done\", \"detail\": \"Done already exists\"}\n"
                "200 null\n"
                "404 {\"error\": \"not_found\", \"detail\": \"Done not found\"}\n"
                "200 null\n"
                "404 {\"error\": \"not_found\", \"detail\": \"Task not found\"}\n"
                "404 {\"error\": \"not_found\", \"detail\": \"Task not found\"}\n"
                "404 {\"error\": \"not_found\", \"detail\": \"Task not found\"}\n"
                "404 {\"error\": \"not_found\", \"detail\": \"Done not found\"}\n");
  EXPECT_EQ(transcripts[1], transcripts[0]) << "async differs from sync";
  EXPECT_EQ(transcripts[2], transcripts[0]) << "async-wrong differs from sync";
}

TEST(Todo, TwentyAsyncRequestsFinishInUnderTwoSleepsOnOneThread) {
  server_process server{{"--db", database_url()}};
  // The pool's 20 connections opened, and their statements prepared, before the measured run.
  all_at_once(server, "/async/tasks" + sleep_query(0.1), 20);
  // The log is written by its own thread, so the warm-up's last lines may still be on their
  // way when its answers are in: wait for them, or they would land in the measured run's part.
  ASSERT_TRUE(
      server.wait_for_output("given back to the pool", scaled(std::chrono::seconds(2)), 20));
  const auto warmed_up = server.output().size();
  const auto [answers, took] = all_at_once(server, "/async/tasks" + sleep_query(0.2), 20);
  for (const auto& a : answers) EXPECT_EQ(a.status, 200) << a.text;
  EXPECT_GE(took, sleep_s);
  EXPECT_LT(took, 2 * sleep_s);
  ASSERT_EQ(server.stop(SIGTERM), 0);
  const auto log = server.output().substr(warmed_up);
  // Every step ran on the loop thread, and the sleeps overlapped: at least half were sent
  // before the first came back (one after another, that would be one).
  EXPECT_EQ(count_matches(log, R"(\(loop-0\) \| /async/tasks #\d+ DO SLEEP\(\?\) sent)"), 20u);
  EXPECT_EQ(count_matches(log, R"(\((pool|main)[^)]*\) \| /async/tasks)"), 0u) << log;
  const auto first_back = log.find("the database slept");
  ASSERT_NE(first_back, std::string::npos);
  EXPECT_GE(count_matches(log.substr(0, first_back), R"(DO SLEEP\(\?\) sent)"), 10u) << log;
}

TEST(Todo, FiveAsyncWrongRequestsRunOneAfterAnotherAndTheDetectorNamesThem) {
  server_process server{{"--db", database_url()}};
  call(server, "GET", "/async-wrong/tasks");  // the loop thread's connection opened first
  const auto [answers, took] = all_at_once(server, "/async-wrong/tasks" + sleep_query(0.2), 5);
  for (const auto& a : answers) EXPECT_EQ(a.status, 200) << a.text;
  EXPECT_GE(took, 4.5 * sleep_s);
  EXPECT_TRUE(server.wait_for_output("was blocked", scaled(std::chrono::milliseconds(2000)), 5));
  // And the lines counted below themselves: the warm-up call may have been named as a block
  // too, and the watchdog's warnings come from another thread.
  EXPECT_TRUE(server.wait_for_output("loop-0 blocks until the database answers",
                                     scaled(std::chrono::milliseconds(2000)), 5));
  EXPECT_TRUE(server.wait_for_output("ms so far by /async-wrong/tasks #",
                                     scaled(std::chrono::milliseconds(2000))));
  const auto log = server.output();
  // Each block is named once it ends ("was blocked", five of them, above); the warnings while it
  // lasts need the watchdog free, and a fresh server's first one waits for the debug
  // information to be read (a low-priority thread, slow on a busy machine): at least one.
  EXPECT_GE(count_matches(log, R"(WARN loop-0 blocked \d+ ms so far by /async-wrong/tasks #\d+)"),
            1u)
      << log;
  EXPECT_EQ(count_matches(log, R"(\(loop-0\) \| /async-wrong/tasks #\d+ DO SLEEP\(\?\) sent .*; )"
                               R"(loop-0 blocks until the database answers)"),
            5u)
      << log;
}

TEST(Todo, SyncRequestsWaitOnPoolThreadsInWaves) {
  server_process server{{"--db", database_url(), "--pool-threads", "2"}};
  // Each pool thread's connection opened first.
  all_at_once(server, "/sync/tasks" + sleep_query(0.1), 2);
  const auto [answers, took] = all_at_once(server, "/sync/tasks" + sleep_query(0.2), 4);
  for (const auto& a : answers) EXPECT_EQ(a.status, 200) << a.text;
  EXPECT_GE(took, 1.9 * sleep_s);  // 4 requests, 2 threads: two waves
  EXPECT_LT(took, 3.5 * sleep_s);
  ASSERT_EQ(server.stop(SIGTERM), 0);
  const auto log = server.output();
  EXPECT_EQ(count_matches(log, R"(\(pool-\d+\) \| /sync/tasks #\d+ DO SLEEP\(\?\) sent .*; )"
                               R"(pool-\d+ blocks until the database answers)"),
            6u)
      << log;
  EXPECT_EQ(log.find("WARN loop-0 blocked"), std::string::npos) << log;
}

TEST(Todo, BadInputIsAnsweredLikeFastApiAndNeverWith500) {
  server_process server{{"--db", database_url(), "--max-sleep", "5"}};
  struct bad {
    std::string method, path, body;
    int status;
    std::string error;
  };
  const std::vector<bad> cases{
      {"POST", "", "not json", 422, "validation"},
      {"POST", "", "[\"a\"]", 422, "validation"},
      {"POST", "", "{}", 422, "validation"},
      {"POST", "", R"({"title": 7})", 422, "validation"},
      {"POST", "", R"({"title": null})", 422, "validation"},
      {"POST", "", title_json(std::string(1025, 'a')), 422, "validation"},
      {"POST", "", "{\"title\": \"\xc3\x28\"}", 422, "validation"},  // not UTF-8
      {"POST", "", "", 422, "validation"},
      {"PUT", "/1", "{\"title\": 1}", 422, "validation"},
      {"PUT", "/0", title_json("x"), 422, "validation"},
      {"PUT", "/-3", title_json("x"), 422, "validation"},
      {"DELETE", "/abc", "", 422, "validation"},
      {"DELETE", "/2147483648", "", 422, "validation"},
      {"DELETE", "/99999999999999999999999", "", 422, "validation"},
      {"PUT", "/1.5/done", "", 422, "validation"},
      {"GET", "?sleep=-1", "", 422, "validation"},
      {"GET", "?sleep=abc", "", 422, "validation"},
      {"GET", "?sleep=5.5", "", 422, "validation"},
      {"GET", "?sleep=1&sleep=1", "", 422, "validation"},
      {"DELETE", "", "", 405, "method_not_allowed"},
      {"GET", "/1", "", 405, "method_not_allowed"},
      {"POST", "/1/done", "", 405, "method_not_allowed"},
      {"PUT", "/1/undone", "", 404, "not_found"},
      {"DELETE", "/2147483647", "", 404, "not_found"},
      {"PUT", "/2147483647/done", "", 404, "not_found"},
  };
  for (const auto& flavour : flavours) {
    for (const auto& c : cases) {
      const auto target = "/" + flavour + "/tasks" + c.path;
      const auto a = call(server, c.method, target, c.body);
      EXPECT_EQ(a.status, c.status) << c.method << " " << target << " " << c.body << ": " << a.text;
      ASSERT_TRUE(a.body.is_object()) << c.method << " " << target << ": " << a.text;
      EXPECT_EQ(a.body.as_object().at("error"), c.error.c_str()) << c.method << " " << target;
      EXPECT_TRUE(a.body.as_object().at("detail").is_string());
      if (c.status == 405) {
        EXPECT_NE(a.head.find("\r\nAllow: "), std::string::npos) << a.head;
      }
    }
  }
  // The longest title fits.
  const auto longest = call(server, "POST", "/async/tasks", title_json(std::string(1024, 'a')));
  ASSERT_EQ(longest.status, 200) << longest.text;
  const auto id = std::to_string(longest.body.at("id").as_int64());
  EXPECT_EQ(call(server, "DELETE", "/async/tasks/" + id).status, 200);
  EXPECT_TRUE(server.running());
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("answered 500"), std::string::npos) << server.output();
}

TEST(Todo, WithoutDbTheToDoRoutesAnswer503NamingDbShAndTheRestWorks) {
  server_process server;
  for (const auto& flavour : flavours) {
    const auto a = call(server, "GET", "/" + flavour + "/tasks");
    EXPECT_EQ(a.status, 503) << a.text;
    EXPECT_EQ(a.body.at("error"), "no_database");
    EXPECT_NE(a.text.find("scripts/db.sh"), std::string::npos) << a.text;
  }
  EXPECT_EQ(call(server, "POST", "/async/tasks", "nope").status, 422);  // validation first
  EXPECT_EQ(call(server, "GET", "/healthz").status, 200);
  EXPECT_EQ(call(server, "GET", "/async-endpoint?sleep=0").status, 200);
}

TEST(Todo, AnUnreachableDatabaseAtStartGives503sAndTheServerKeepsRunning) {
  // Port 1 on 127.0.0.1: nothing listens, the connection is refused at once.
  server_process server{{"--db", "mariadb://demo:demo@127.0.0.1:1/demo"}};
  EXPECT_TRUE(server.wait_for_output("WARN cannot connect to mariadb://demo:***@127.0.0.1:1/demo"));
  for (const auto& flavour : flavours) {
    const auto a = call(server, "GET", "/" + flavour + "/tasks");
    EXPECT_EQ(a.status, 503) << a.text;
    EXPECT_EQ(a.body.at("error"), "database_unavailable");
    EXPECT_NE(a.head.find("\r\nRetry-After: 1"), std::string::npos) << a.head;
  }
  EXPECT_EQ(call(server, "GET", "/healthz").status, 200);
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find(":demo@"), std::string::npos) << "the password was logged";
}

TEST(Todo, AStoppedDatabaseGives503sWithinTheTimeoutAndTheServerRecoversWhenItIsBack) {
  server_process server{{"--db", database_url(), "--db-timeout", "2"}};
  for (const auto& flavour : flavours) {
    EXPECT_EQ(call(server, "GET", "/" + flavour + "/tasks").status, 200);  // connections open
  }
  {
    const database_restarted_at_exit restart;
    run_db_script("stop");
    for (const auto& flavour : flavours) {
      const auto start = std::chrono::steady_clock::now();
      const auto a = call(server, "GET", "/" + flavour + "/tasks");
      EXPECT_EQ(a.status, 503) << flavour << ": " << a.text;
      EXPECT_EQ(a.body.at("error"), "database_unavailable") << a.text;
      EXPECT_LT(seconds_since(start), 2 + scaled(1.0)) << flavour;  // --db-timeout 2
    }
  }
  for (const auto& flavour : flavours) {
    const auto a = call(server, "GET", "/" + flavour + "/tasks");
    EXPECT_EQ(a.status, 200) << flavour << ": " << a.text;
  }
  EXPECT_TRUE(server.running());
}

TEST(Todo, WhenEveryPoolConnectionIsBusyARequestWaitsThenGets503WithRetryAfter) {
  server_process server{
      {"--db", database_url(), "--db-connections", "2", "--db-wait-timeout", "0.3"}};
  const auto [answers, took] = all_at_once(server, "/async/tasks" + sleep_query(1), 4);
  int ok = 0, busy = 0;
  for (const auto& a : answers) {
    if (a.status == 200) ++ok;
    if (a.status == 503) {
      ++busy;
      EXPECT_EQ(a.body.at("error"), "no_free_connection") << a.text;
      EXPECT_NE(a.head.find("\r\nRetry-After: 1"), std::string::npos) << a.head;
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(busy, 2);
  EXPECT_LT(took, scaled(2.0));
}

TEST(Todo, AWriteInFlightAtSigtermIsAnsweredAndIsInTheDatabase) {
  std::vector<std::pair<std::string, std::int64_t>> written;
  for (const auto& flavour : flavours) {
    server_process server{{"--db", database_url()}};
    raw_connection connection{server.port()};
    connection.send(request("POST", "/" + flavour + "/tasks" + sleep_query(0.5), title_json("sigterm")));
    ASSERT_TRUE(server.wait_for_output("DO SLEEP(?) sent"));
    server.send_signal(SIGTERM);
    const auto a = parse(connection.read_response(std::chrono::milliseconds(10'000)));
    ASSERT_EQ(a.status, 200) << flavour << ": " << a.text;
    written.emplace_back(flavour, a.body.at("id").as_int64());
    EXPECT_EQ(server.stop(0), 0);  // the one SIGTERM: a second would quit at once
  }
  server_process server{{"--db", database_url()}};
  for (const auto& [flavour, id] : written) {
    EXPECT_EQ(listed(server, "async", id),
              (json::object{{"id", id}, {"title", "sigterm"}, {"done", false}}))
        << flavour;
    EXPECT_EQ(call(server, "DELETE", "/async/tasks/" + std::to_string(id)).status, 200);
  }
}

TEST(Todo, AnswersCarryWhoRanThemInHeadersAndTheBodyStaysTheBooks) {
  server_process server{{"--db", database_url()}};
  const auto created = call(server, "POST", "/async-wrong/tasks" + sleep_query(0.1), title_json("headers"));
  ASSERT_EQ(created.status, 200) << created.text;
  const auto id = created.body.at("id").as_int64();
  EXPECT_EQ(created.body, (json::object{{"id", id}, {"title", "headers"}, {"done", false}}));
  const auto& head = created.head;
  EXPECT_TRUE(std::regex_search(head, std::regex{"\r\nAsyncscope-Request-Id: [1-9][0-9]*\r\n"}))
      << head;
  EXPECT_NE(head.find("\r\nAsyncscope-Endpoint: /async-wrong/tasks\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nAsyncscope-Pid: " + std::to_string(server.pid()) + "\r\n"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("\r\nAsyncscope-Thread: loop-0\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nAsyncscope-Sleep: " + seconds_text(scaled(0.1)) + "\r\n"),
            std::string::npos)
      << head;
  std::smatch started, finished;
  ASSERT_TRUE(std::regex_search(head, started, std::regex{"Asyncscope-Started-At: ([0-9.]+)"}));
  ASSERT_TRUE(std::regex_search(head, finished, std::regex{"Asyncscope-Finished-At: ([0-9.]+)"}));
  EXPECT_GE(std::stod(finished[1]) - std::stod(started[1]), scaled(0.1));
  const auto sync = call(server, "DELETE", "/sync/tasks/" + std::to_string(id));
  EXPECT_EQ(sync.text, "null");
  EXPECT_TRUE(std::regex_search(sync.head, std::regex{"\r\nAsyncscope-Thread: pool-\\d+\r\n"}))
      << sync.head;
  // Refused before any database work: no one ran it, so no such headers.
  const auto refused = call(server, "POST", "/async/tasks", "not json");
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(refused.head.find("Asyncscope-"), std::string::npos) << refused.head;
}

// The lesson's client on the database lesson: the same summary as for the timer endpoints.
TEST(Todo, TheClientSumsUpEachFlavourLikeTheTimerLesson) {
  server_process server{{"--db", database_url(), "--pool-threads", "4"}};
  const auto sleep = seconds_text(sleep_s);
  for (const auto& flavour : flavours) fire(server, flavour + "/tasks?sleep=0.05", 4);  // warm up

  const auto async = fire(server, "async/tasks?sleep=" + sleep, 8);
  EXPECT_EQ(async.at("server_threads"), (json::object{{"loop-0", 8}})) << async;
  EXPECT_GE(async.at("max_overlap").as_int64(), 6) << async;
  // "concurrently", or on a busy machine "all 8 overlapped on the server, but ...": not serial.
  EXPECT_EQ(async.at("verdict").as_string().find("one after another"), std::string::npos)
      << async;

  const auto wrong = fire(server, "async-wrong/tasks?sleep=" + sleep, 4);
  EXPECT_EQ(wrong.at("server_threads"), (json::object{{"loop-0", 4}})) << wrong;
  EXPECT_EQ(wrong.at("max_overlap"), 1) << wrong;
  EXPECT_NE(wrong.at("verdict").as_string().find("one after another"), std::string::npos) << wrong;

  const auto sync = fire(server, "sync/tasks?sleep=" + sleep, 8);
  EXPECT_EQ(sync.at("server_threads").as_object().size(), 4u) << sync;
  EXPECT_EQ(sync.at("max_overlap"), 4) << sync;
  EXPECT_NE(sync.at("verdict").as_string().find("2 waves"), std::string::npos) << sync;

  // The timeline draws the requests on the thread that ran them.
  const auto drawn =
      run_client_against(server, "async-wrong/tasks?sleep=" + sleep, 3, {"--timeline"});
  EXPECT_EQ(drawn.exit_code, 0) << drawn.out << drawn.err;
  EXPECT_NE(drawn.out.find("loop-0"), std::string::npos) << drawn.out;
  EXPECT_NE(drawn.out.find("max overlap"), std::string::npos) << drawn.out;
}

// The mixed workload of scripts/bench-db.sh: each connection creates, lists, marks done and
// deletes, over and over, with every answer a success and nothing left behind but the tasks of
// the cycles the deadline cut short.
TEST(Todo, TheClientsTodoMixRunsTheWholeCycleOnKeptAliveConnections) {
  server_process server{{"--db", database_url()}};
  // Tasks left by earlier runs are not this run's.
  const auto created_before = call(server, "POST", "/async/tasks", title_json("before"));
  ASSERT_EQ(created_before.status, 200) << created_before.text;
  const auto first_id = created_before.body.at("id").as_int64();
  call(server, "DELETE", "/async/tasks/" + std::to_string(first_id));
  const auto summary = fire(server, "async/tasks" + sleep_query(0.02), 3,
                            {"--duration", seconds_text(scaled(1.0)), "--todo-mix"});
  EXPECT_EQ(summary.at("failed"), 0) << summary;
  EXPECT_EQ(summary.at("statuses").as_object().size(), 1u) << summary;  // only 200
  EXPECT_GE(summary.at("ok").as_int64(), 12) << summary;  // at least one cycle per connection
  EXPECT_GT(summary.at("requests_per_second").to_number<double>(), 0) << summary;
  const auto list = call(server, "GET", "/async/tasks");
  ASSERT_TRUE(list.body.is_array()) << list.text;
  int left = 0;
  for (const auto& task : list.body.as_array()) {
    if (task.at("title") != "asyncscope-client --todo-mix") continue;
    if (task.at("id").as_int64() > first_id) ++left;  // this run's
    call(server, "DELETE", "/async/tasks/" + std::to_string(task.at("id").as_int64()));
  }
  EXPECT_LE(left, 3);
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("answered 500"), std::string::npos);
}
