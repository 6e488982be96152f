#include "client_options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using asyncscope::client_help_text;
using asyncscope::parse_client_options;
using asyncscope::parsed_command_line;
using action = asyncscope::parsed_command_line::action;

namespace {

// Parses a command line given without the program name.
parsed_command_line parse(std::vector<const char*> args) {
  args.insert(args.begin(), "asyncscope-client");
  return parse_client_options(static_cast<int>(args.size()), args.data());
}

// The usage error for a command line that must be rejected.
std::string rejection(std::vector<const char*> args) {
  const auto parsed = parse(std::move(args));
  EXPECT_EQ(parsed.what, action::usage_error);
  return parsed.error;
}

}  // namespace

TEST(ClientOptions, LessonEndpointNamesMapToTheirPaths) {
  EXPECT_EQ(parse({"-e", "sync-endpoint"}).options.endpoint, "/sync-endpoint");
  EXPECT_EQ(parse({"-e", "async-endpoint"}).options.endpoint, "/async-endpoint");
  EXPECT_EQ(parse({"--endpoint", "async-wrong"}).options.endpoint, "/async-wrong");
}

TEST(ClientOptions, TheDatabaseLessonsToDoListsAreNamedWithoutTheirSlashAndKeepTheirQuery) {
  EXPECT_EQ(parse({"-e", "sync/tasks"}).options.endpoint, "/sync/tasks");
  EXPECT_EQ(parse({"-e", "async/tasks?sleep=1"}).options.endpoint, "/async/tasks?sleep=1");
  EXPECT_EQ(parse({"-e", "async-wrong/tasks?sleep=0.2"}).options.target(),
            "/async-wrong/tasks?sleep=0.2");
  EXPECT_EQ(parse({"-e", "async/tasks", "--sleep", "1"}).options.target(), "/async/tasks?sleep=1");
  EXPECT_NE(rejection({"-e", "async/taskss"}).find("async/tasks"), std::string::npos);
}

TEST(ClientOptions, PathsStartingWithASlashAreUsedAsIs) {
  EXPECT_EQ(parse({"-e", "/healthz"}).options.endpoint, "/healthz");
}

TEST(ClientOptions, UnknownEndpointIsRejectedListingTheChoices) {
  const auto error = rejection({"-e", "async"});
  EXPECT_NE(error.find("--endpoint"), std::string::npos) << error;
  EXPECT_NE(error.find("sync-endpoint, async-endpoint, async-wrong"), std::string::npos) << error;
}

TEST(ClientOptions, AnEndpointWithSpacesOrControlCharactersIsRefusedNotSent) {
  for (const char* injected : {"/healthz HTTP/1.1\r\nX-Evil: 1", "/a b", "/tab\there", "/del\x7f"}) {
    const auto error = rejection({"-e", injected});
    EXPECT_NE(error.find("spaces or control characters"), std::string::npos) << error;
  }
}

TEST(ClientOptions, MissingEndpointIsRejectedNamingTheFlag) {
  EXPECT_NE(rejection({"-c", "5"}).find("--endpoint"), std::string::npos);
}

TEST(ClientOptions, DefaultsMatchTheContract) {
  const auto parsed = parse({"-e", "async-endpoint"});
  ASSERT_EQ(parsed.what, action::run);
  const auto& o = parsed.options;
  EXPECT_EQ(o.count, 1);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8000);
  EXPECT_FALSE(o.sleep.has_value());
  EXPECT_EQ(o.concurrency, 1);
  EXPECT_DOUBLE_EQ(o.timeout_seconds, 120);
  EXPECT_FALSE(o.quiet);
  EXPECT_FALSE(o.json);
  EXPECT_EQ(o.target(), "/async-endpoint");
}

TEST(ClientOptions, EveryFlagIsRead) {
  const auto parsed =
      parse({"-e", "sync-endpoint", "-c", "50", "--host", "localhost", "--port", "9000", "--sleep",
             "0.5", "--concurrency", "10", "--timeout", "3", "-q", "--json"});
  ASSERT_EQ(parsed.what, action::run) << parsed.error;
  const auto& o = parsed.options;
  EXPECT_EQ(o.count, 50);
  EXPECT_EQ(o.host, "localhost");
  EXPECT_EQ(o.port, 9000);
  EXPECT_EQ(o.sleep, "0.5");
  EXPECT_EQ(o.concurrency, 10);
  EXPECT_DOUBLE_EQ(o.timeout_seconds, 3);
  EXPECT_TRUE(o.quiet);
  EXPECT_TRUE(o.json);
}

TEST(ClientOptions, TimelineAndExportAreReadAndOffByDefault) {
  const auto defaults = parse({"-e", "async-endpoint"}).options;
  EXPECT_FALSE(defaults.timeline);
  EXPECT_FALSE(defaults.export_path.has_value());
  const auto parsed = parse({"-e", "async-endpoint", "--timeline", "--export", "out/runs.CSV"});
  ASSERT_EQ(parsed.what, action::run) << parsed.error;
  EXPECT_TRUE(parsed.options.timeline);
  EXPECT_EQ(parsed.options.export_path, "out/runs.CSV");
}

TEST(ClientOptions, ExportToAnUnknownExtensionIsRejectedListingTheAcceptedOnes) {
  const auto error = rejection({"-e", "async-endpoint", "--export", "runs.json"});
  EXPECT_NE(error.find("--export 'runs.json'"), std::string::npos) << error;
  EXPECT_NE(error.find(".csv, .jsonl, .ndjson or .svg"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

TEST(ClientOptions, TimelineDoesNotGoWithJson) {
  const auto error = rejection({"-e", "async-endpoint", "--timeline", "--json"});
  EXPECT_NE(error.find("--timeline"), std::string::npos) << error;
  EXPECT_NE(error.find("--json"), std::string::npos) << error;
  EXPECT_EQ(parse({"-e", "async-endpoint", "--json", "--export", "runs.jsonl"}).what, action::run);
}

TEST(ClientOptions, CountBelowOneIsRejected) {
  EXPECT_NE(rejection({"-e", "async-endpoint", "-c", "0"}).find("--count"), std::string::npos);
  EXPECT_NE(rejection({"-e", "async-endpoint", "-c", "-3"}).find("--count"), std::string::npos);
}

TEST(ClientOptions, CountAboveOneMillionIsRejected) {
  EXPECT_EQ(parse({"-e", "async-endpoint", "-c", "1000000"}).what, action::run);
  EXPECT_NE(rejection({"-e", "async-endpoint", "-c", "1000001"}).find("--count"),
            std::string::npos);
}

TEST(ClientOptions, NonNumericCountIsRejectedNamingTheFlag) {
  EXPECT_NE(rejection({"-e", "async-endpoint", "-c", "many"}).find("--count"), std::string::npos);
}

TEST(ClientOptions, PortOutsideOneTo65535IsRejected) {
  EXPECT_NE(rejection({"-e", "async-endpoint", "--port", "0"}).find("--port"), std::string::npos);
  EXPECT_NE(rejection({"-e", "async-endpoint", "--port", "65536"}).find("--port"),
            std::string::npos);
  EXPECT_EQ(parse({"-e", "async-endpoint", "--port", "65535"}).what, action::run);
}

TEST(ClientOptions, SleepIsAppendedExactlyAsTyped) {
  const auto parsed = parse({"-e", "async-endpoint", "--sleep", "1.50"});
  EXPECT_EQ(parsed.options.target(), "/async-endpoint?sleep=1.50");
  EXPECT_DOUBLE_EQ(parsed.options.sleep_seconds().value(), 1.5);
}

TEST(ClientOptions, SleepJoinsAQueryThePathAlreadyHas) {
  EXPECT_EQ(parse({"-e", "/async-endpoint?x=1", "--sleep", "0"}).options.target(),
            "/async-endpoint?x=1&sleep=0");
}

TEST(ClientOptions, SleepThatIsNotAPlainNonNegativeDecimalIsRejected) {
  for (const char* bad : {"-1", "nan", "inf", "1e3", "abc", "", "1s", "+1"}) {
    EXPECT_NE(rejection({"-e", "async-endpoint", "--sleep", bad}).find("--sleep"),
              std::string::npos)
        << bad;
  }
}

TEST(ClientOptions, ConcurrencyDefaultsToCount) {
  EXPECT_EQ(parse({"-e", "async-endpoint", "-c", "50"}).options.concurrency, 50);
}

TEST(ClientOptions, ConcurrencyAboveCountIsClampedToCount) {
  EXPECT_EQ(parse({"-e", "async-endpoint", "-c", "5", "--concurrency", "100"}).options.concurrency,
            5);
}

TEST(ClientOptions, ConcurrencyBelowOneIsRejected) {
  EXPECT_NE(rejection({"-e", "async-endpoint", "--concurrency", "0"}).find("--concurrency"),
            std::string::npos);
}

TEST(ClientOptions, ThreadsDefaultToTwoAndNeverExceedConcurrency) {
  EXPECT_EQ(parse({"-e", "async-endpoint", "-c", "50"}).options.threads, 2);
  EXPECT_EQ(parse({"-e", "async-endpoint", "-c", "50", "-t", "4"}).options.threads, 4);
  EXPECT_EQ(parse({"-e", "async-endpoint", "-c", "1"}).options.threads, 1);
  EXPECT_EQ(
      parse({"-e", "async-endpoint", "-c", "50", "--concurrency", "1", "-t", "8"}).options.threads,
      1);
}

TEST(ClientOptions, ThreadsOutsideOneTo64AreRejected) {
  for (const char* bad : {"0", "65", "-2"}) {
    EXPECT_NE(rejection({"-e", "async-endpoint", "--threads", bad}).find("--threads"),
              std::string::npos)
        << bad;
  }
}

TEST(ClientOptions, TimeoutMustBeAPositiveNumberOfSeconds) {
  for (const char* bad : {"0", "-1", "inf", "nan"}) {
    EXPECT_NE(rejection({"-e", "async-endpoint", "--timeout", bad}).find("--timeout"),
              std::string::npos)
        << bad;
  }
  EXPECT_DOUBLE_EQ(parse({"-e", "async-endpoint", "--timeout", "0.5"}).options.timeout_seconds,
                   0.5);
}

TEST(ClientOptions, UnknownFlagIsRejectedNamingIt) {
  EXPECT_NE(rejection({"-e", "async-endpoint", "--conncurrency", "5"}).find("--conncurrency"),
            std::string::npos);
}

TEST(ClientOptions, StrayArgumentIsRejected) {
  EXPECT_NE(rejection({"-e", "async-endpoint", "50"}).find("unexpected argument"),
            std::string::npos);
}

TEST(ClientOptions, HelpAndVersionNeedNoEndpoint) {
  EXPECT_EQ(parse({"--help"}).what, action::show_help);
  EXPECT_EQ(parse({"--version"}).what, action::show_version);
}

TEST(ClientOptions, HelpTeachesEveryFlagWithExamples) {
  const auto help = client_help_text();
  for (const char* flag :
       {"--endpoint", "--count", "--host", "--port", "--sleep", "--concurrency", "--timeout",
        "--quiet", "--json", "--timeline", "--export", "--help", "--version"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(help.find("asyncscope-client -e async-endpoint -c 50"), std::string::npos);
  EXPECT_NE(help.find("asyncscope-client -e async-wrong -c 5 -q --timeline"), std::string::npos);
  EXPECT_NE(help.find("asyncscope-client -e sync-endpoint -c 50 --export sync.csv"),
            std::string::npos);
}

TEST(ClientOptions, DurationTurnsCountIntoConnectionsKeptBusy) {
  const auto parsed = parse({"-e", "async/tasks", "-c", "10", "--duration", "3"});
  ASSERT_EQ(parsed.what, action::run) << parsed.error;
  EXPECT_EQ(parsed.options.duration_seconds, 3.0);
  EXPECT_EQ(parsed.options.concurrency, 10);
  EXPECT_FALSE(parse({"-e", "async/tasks"}).options.duration_seconds);
  EXPECT_NE(rejection({"-e", "async/tasks", "--duration", "0"}).find("--duration"),
            std::string::npos);
  EXPECT_NE(rejection({"-e", "async/tasks", "--duration", "3601"}).find("--duration"),
            std::string::npos);
  EXPECT_NE(rejection({"-e", "async/tasks", "--duration", "1", "--timeline"}).find("--timeline"),
            std::string::npos);
  EXPECT_NE(rejection({"-e", "async/tasks", "--duration", "1", "--export", "a.svg"}).find(".svg"),
            std::string::npos);
}

TEST(ClientOptions, TodoMixNeedsADurationAndAToDoList) {
  const auto parsed = parse({"-e", "async/tasks?sleep=0", "-c", "4", "--duration", "1", "--todo-mix"});
  ASSERT_EQ(parsed.what, action::run) << parsed.error;
  EXPECT_TRUE(parsed.options.todo_mix);
  EXPECT_NE(rejection({"-e", "async/tasks", "--todo-mix"}).find("--duration"), std::string::npos);
  EXPECT_NE(rejection({"-e", "async-endpoint", "--duration", "1", "--todo-mix"}).find("ToDo"),
            std::string::npos);
}
