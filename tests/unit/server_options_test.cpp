#include "options.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace asyncscope;

namespace {

parsed_server_options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "asyncscope-server");
  return parse_server_options(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST(ServerOptions, DefaultsMatchTheContract) {
  const auto p = parse({});
  ASSERT_TRUE(p.options);
  EXPECT_EQ(p.options->host, "127.0.0.1");
  EXPECT_EQ(p.options->port, 8000);
  EXPECT_EQ(p.options->loop_threads, 1);
  EXPECT_EQ(p.options->pool_threads, 40);
  EXPECT_DOUBLE_EQ(p.options->sleep, 1.0);
  EXPECT_DOUBLE_EQ(p.options->max_sleep, 60.0);
  EXPECT_EQ(p.options->log_level, spdlog::level::info);
  EXPECT_EQ(p.options->log_queue_lines, 8192u);
  EXPECT_EQ(p.options->workers, 1);
  EXPECT_FALSE(p.options->worker);  // only the parent's own workers get a role
}

TEST(ServerOptions, AWorkerTakesThePortItsParentChose) {
  const auto p = parse({"--workers", "2", "--port", "0", "--worker-port", "43210",
                        "--worker-ready-fd", "7", "--worker-index", "1"});
  ASSERT_TRUE(p.options) << p.message;
  EXPECT_EQ(p.options->workers, 2);
  ASSERT_TRUE(p.options->worker);
  EXPECT_EQ(p.options->worker->index, 1);
  EXPECT_EQ(p.options->worker->ready_fd, 7);
  EXPECT_EQ(p.options->port, 43210);
}

TEST(ServerOptions, EveryFlagIsRead) {
  const auto p =
      parse({"--host", "::1", "--port", "0", "--loop-threads", "2", "--pool-threads", "4",
             "--sleep", "0.2", "--max-sleep", "5", "--log-level", "warn", "--log-queue", "64"});
  ASSERT_TRUE(p.options) << p.message;
  EXPECT_EQ(p.options->host, "::1");
  EXPECT_EQ(p.options->port, 0);
  EXPECT_EQ(p.options->loop_threads, 2);
  EXPECT_EQ(p.options->pool_threads, 4);
  EXPECT_DOUBLE_EQ(p.options->sleep, 0.2);
  EXPECT_DOUBLE_EQ(p.options->max_sleep, 5.0);
  EXPECT_EQ(p.options->log_level, spdlog::level::warn);
  EXPECT_EQ(p.options->log_queue_lines, 64u);
}

TEST(ServerOptions, BadFlagsGiveOneLineNamingTheFlagAndExitCodeTwo) {
  const std::vector<std::pair<std::vector<const char*>, const char*>> cases{
      {{"--port", "70000"}, "--port"},
      {{"--port", "abc"}, "port"},
      {{"--loop-threads", "0"}, "--loop-threads"},
      {{"--pool-threads", "-3"}, "--pool-threads"},
      {{"--workers", "0"}, "--workers"},
      {{"--workers", "65"}, "--workers"},
      {{"--sleep", "nan"}, "--sleep"},
      {{"--sleep", "61"}, "--sleep"},
      {{"--max-sleep", "0"}, "--max-sleep"},
      {{"--log-level", "loud"}, "--log-level"},
      {{"--log-queue", "0"}, "--log-queue"},
      {{"--log-queue", "-1"}, "--log-queue"},
      {{"--host", "example"}, "--host"},
      {{"--frobnicate"}, "frobnicate"},
      {{"8080"}, "8080"},
      {{"--port", "1", "stray"}, "stray"},
      {{"--max-sleep", "1e20"}, "--max-sleep"},
      {{"--max-sleep", "86401"}, "--max-sleep"},
      {{"--drain-timeout", "0"}, "--drain-timeout"},
  };
  for (const auto& [args, flag] : cases) {
    const auto p = parse(args);
    EXPECT_FALSE(p.options) << flag;
    EXPECT_EQ(p.exit_code, 2) << flag;
    EXPECT_NE(p.message.find(flag), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find('\n'), std::string::npos) << p.message;
  }
}

TEST(ServerOptions, HelpTeachesTheEndpointsAndExitsZero) {
  const auto p = parse({"--help"});
  EXPECT_FALSE(p.options);
  EXPECT_EQ(p.exit_code, 0);
  for (const char* word :
       {"/sync-endpoint", "/async-endpoint", "/async-wrong", "--pool-threads", "Examples"}) {
    EXPECT_NE(p.message.find(word), std::string::npos) << word;
  }
}

TEST(ServerOptions, TheDashboardHasItsOwnPortAndAViewerLimit) {
  const auto defaults = parse({});
  ASSERT_TRUE(defaults.options);
  EXPECT_EQ(defaults.options->dashboard_port, -1);  // --port + 1
  EXPECT_EQ(defaults.options->max_viewers, 100);
  const auto p = parse({"--dashboard-port", "9001", "--max-viewers", "5"});
  ASSERT_TRUE(p.options) << p.message;
  EXPECT_EQ(p.options->dashboard_port, 9001);
  EXPECT_EQ(p.options->max_viewers, 5);
  for (const auto& args :
       std::vector<std::vector<const char*>>{{"--dashboard-port", "8000"},  // the main port
                                             {"--dashboard-port", "70000"},
                                             {"--port", "65535"},  // no room for --port + 1
                                             {"--max-viewers", "0"},
                                             // each worker would pick a port of its own
                                             {"--dashboard-port", "0", "--workers", "2"}}) {
    const auto bad = parse(args);
    EXPECT_FALSE(bad.options) << args[0] << " " << args[1];
    EXPECT_EQ(bad.exit_code, 2);
  }
}

TEST(ServerOptions, ClassroomOpensTheDashboardToTheRoomButNotTheMainPort) {
  const auto plain = parse({});
  ASSERT_TRUE(plain.options);
  EXPECT_FALSE(plain.options->classroom);
  EXPECT_EQ(plain.options->dashboard_host, "");  // the dashboard listens on --host
  const auto p = parse({"--classroom"});
  ASSERT_TRUE(p.options) << p.message;
  EXPECT_TRUE(p.options->classroom);
  EXPECT_EQ(p.options->dashboard_host, "0.0.0.0");
  EXPECT_EQ(p.options->host, "127.0.0.1");  // students watch; they do not send the requests
  EXPECT_EQ(p.options->max_viewers, 100);   // a class
  const auto workers = parse({"--classroom", "--workers", "2"});
  EXPECT_FALSE(workers.options);
  EXPECT_EQ(workers.exit_code, 2);
  EXPECT_NE(workers.message.find("--classroom"), std::string::npos) << workers.message;
}

// The database lesson's flags (--db and its pool).
TEST(DbOptions, WithoutFlagsThereIsNoDatabaseAndTheBooksPoolOf64) {
  const auto p = parse({});
  ASSERT_TRUE(p.options);
  EXPECT_FALSE(p.options->db.url);
  EXPECT_EQ(p.options->db.connections, 64);
  EXPECT_EQ(p.options->db.wait_timeout, std::chrono::seconds(5));
  EXPECT_EQ(p.options->db.timeout, std::chrono::seconds(5));
}

TEST(DbOptions, EveryFlagIsRead) {
  const auto p = parse({"--db", "mariadb://demo:demo@127.0.0.1:4000/demo", "--db-connections", "8",
                        "--db-wait-timeout", "0.25", "--db-timeout", "2"});
  ASSERT_TRUE(p.options) << p.message;
  ASSERT_TRUE(p.options->db.url);
  EXPECT_EQ(p.options->db.url->port, 4000);
  EXPECT_EQ(p.options->db.connections, 8);
  EXPECT_EQ(p.options->db.wait_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(p.options->db.timeout, std::chrono::seconds(2));
}

TEST(DbOptions, BadFlagsGiveOneLineNamingTheFlagAndExitCodeTwo) {
  for (auto [flag, value] :
       {std::pair{"--db", "http://demo:secret@h:1/d"}, std::pair{"--db-connections", "0"},
        std::pair{"--db-connections", "1001"}, std::pair{"--db-wait-timeout", "0"},
        std::pair{"--db-wait-timeout", "x"}, std::pair{"--db-timeout", "0"},
        std::pair{"--db-timeout", "1.5"}}) {
    const auto p = parse({flag, value});
    EXPECT_FALSE(p.options) << flag << " " << value;
    EXPECT_EQ(p.exit_code, 2);
    EXPECT_NE(p.message.find(flag), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find("secret"), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find('\n'), std::string::npos) << p.message;
  }
}

TEST(DbOptions, HelpNamesTheToDoRoutesAndTheFlags) {
  const auto p = parse({"--help"});
  for (auto text : {"/sync/tasks", "/async/tasks", "/async-wrong/tasks", "--db ", "scripts/db.sh",
                    "--db-connections", "--db-wait-timeout", "--db-timeout"}) {
    EXPECT_NE(p.message.find(text), std::string::npos) << text;
  }
}
