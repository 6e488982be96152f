#include "routes.hpp"
#include "seconds.hpp"

#include <gtest/gtest.h>

using namespace asyncscope;
namespace http = boost::beast::http;

namespace {

const sleep_limits limits{.default_sleep = 1.0, .max_sleep = 60.0};

route get(std::string_view target) {
  return find_route(http::verb::get, target, limits);
}

route_error error_of(const route& r) {
  EXPECT_TRUE(std::holds_alternative<route_error>(r));
  return std::holds_alternative<route_error>(r) ? std::get<route_error>(r) : route_error{};
}

}  // namespace

TEST(Routes, EachLessonPathFindsItsEndpointWithTheDefaultSleep) {
  for (auto [path, which] : {std::pair{"/sync-endpoint", lesson_endpoint::sync_endpoint},
                             std::pair{"/async-endpoint", lesson_endpoint::async_endpoint},
                             std::pair{"/async-wrong", lesson_endpoint::async_wrong},
                             std::pair{"/async-offload", lesson_endpoint::async_offload},
                             std::pair{"/async-forgot-await", lesson_endpoint::async_forgot_await},
                             std::pair{"/async-cpu", lesson_endpoint::async_cpu}}) {
    const auto r = get(path);
    ASSERT_TRUE(std::holds_alternative<lesson_route>(r)) << path;
    EXPECT_EQ(std::get<lesson_route>(r).which, which);
    EXPECT_EQ(std::get<lesson_route>(r).path, path);
    EXPECT_DOUBLE_EQ(std::get<lesson_route>(r).sleep, 1.0);
  }
}

TEST(Routes, SleepQueryOverridesTheDefault) {
  EXPECT_DOUBLE_EQ(std::get<lesson_route>(get("/async-endpoint?sleep=0.2")).sleep, 0.2);
  EXPECT_DOUBLE_EQ(std::get<lesson_route>(get("/async-wrong?x=1&sleep=0")).sleep, 0.0);
  EXPECT_DOUBLE_EQ(std::get<lesson_route>(get("/sync-endpoint?sleep=60")).sleep, 60.0);
}

TEST(Routes, AsyncCpuTakesWorkInsteadOfSleep) {
  EXPECT_DOUBLE_EQ(std::get<lesson_route>(get("/async-cpu?work=0.3")).sleep, 0.3);
  EXPECT_DOUBLE_EQ(std::get<lesson_route>(get("/async-cpu?sleep=5")).sleep, 1.0);  // ignored
  const auto e = error_of(get("/async-cpu?work=-1"));
  EXPECT_EQ(e.error, "bad_work");
  EXPECT_NE(e.detail.find("work"), std::string::npos);
}

TEST(Routes, WatchPagesAreFoundByPath) {
  EXPECT_EQ(std::get<watch_route>(get("/healthz")), watch_route::health);
  EXPECT_EQ(std::get<watch_route>(get("/metrics")), watch_route::metrics);
  EXPECT_EQ(std::get<watch_route>(get("/")), watch_route::dashboard);
  EXPECT_EQ(std::get<watch_route>(get("/events")), watch_route::events);
}

TEST(Routes, FireTakesEndpointCountAndSleep) {
  const auto r =
      find_route(http::verb::post, "/fire?endpoint=/async-wrong&count=3&sleep=0.3", limits);
  ASSERT_TRUE(std::holds_alternative<fire_route>(r));
  const auto& fire = std::get<fire_route>(r);
  EXPECT_EQ(fire.count, 3);
  EXPECT_EQ(fire.lesson.which, lesson_endpoint::async_wrong);
  EXPECT_DOUBLE_EQ(fire.lesson.sleep, 0.3);
  EXPECT_EQ(lesson_target(fire.lesson), "/async-wrong?sleep=0.3");
}

TEST(Routes, FireRejectsUnknownEndpointsBadCountsAndGet) {
  const auto fire = [](std::string_view target) {
    return error_of(find_route(http::verb::post, target, limits));
  };
  EXPECT_EQ(fire("/fire?endpoint=/nope").error, "bad_endpoint");
  EXPECT_EQ(fire("/fire?count=3").error, "bad_endpoint");
  EXPECT_EQ(fire("/fire?endpoint=/async-endpoint&count=0").error, "bad_count");
  EXPECT_EQ(fire("/fire?endpoint=/async-endpoint&count=101").error, "bad_count");
  EXPECT_EQ(fire("/fire?endpoint=/async-endpoint&count=2x").error, "bad_count");
  EXPECT_EQ(fire("/fire?endpoint=/async-cpu&work=999").error, "bad_work");
  EXPECT_EQ(error_of(get("/fire?endpoint=/async-wrong")).status, http::status::method_not_allowed);
}

TEST(Routes, LabelsAreTheRoutesPathsAndUnmatchedOtherwise) {
  EXPECT_STREQ(route_label(get("/async-wrong?sleep=1")), "/async-wrong");
  EXPECT_STREQ(route_label(get("/async-wrong?sleep=x")), "/async-wrong");
  EXPECT_STREQ(route_label(get("/metrics")), "/metrics");
  EXPECT_STREQ(route_label(get("/nope")), "unmatched");
}

TEST(Routes, AToDoRequestIsNamedByItsFlavoursPathWhateverItsMethodAndId) {
  for (const auto method : {http::verb::get, http::verb::post, http::verb::put, http::verb::delete_}) {
    const auto found = find_route(method, "/async-wrong/tasks/7/done?sleep=1", limits);
    ASSERT_TRUE(std::holds_alternative<todo_call>(found));
    EXPECT_EQ(std::get<todo_call>(found).path, "/async-wrong/tasks");
    EXPECT_STREQ(route_label(found), "/async-wrong/tasks");
  }
  EXPECT_STREQ(route_label(get("/sync/tasks")), "/sync/tasks");
  EXPECT_STREQ(route_label(get("/sync/taskss")), "unmatched");
}

TEST(Routes, UnknownPathIsNotFound) {
  const auto e = error_of(get("/nope?sleep=1"));
  EXPECT_EQ(e.status, http::status::not_found);
  EXPECT_EQ(e.error, "not_found");
  EXPECT_NE(e.detail.find("/nope"), std::string::npos);
}

TEST(Routes, OtherMethodsThanGetAreNotAllowed) {
  const auto e = error_of(find_route(http::verb::post, "/async-endpoint", limits));
  EXPECT_EQ(e.status, http::status::method_not_allowed);
  EXPECT_EQ(error_of(find_route(http::verb::delete_, "/healthz", limits)).status,
            http::status::method_not_allowed);
}

TEST(Routes, SleepThatIsNotAFiniteNumberInRangeIsABadRequest) {
  for (const auto* target :
       {"/async-endpoint?sleep=abc", "/async-endpoint?sleep=", "/async-endpoint?sleep=-1",
        "/async-endpoint?sleep=60.5", "/async-endpoint?sleep=nan", "/async-endpoint?sleep=inf",
        "/async-endpoint?sleep=1e3", "/async-endpoint?sleep=1s", "/async-endpoint?sleep=1&sleep=2",
        "/sync-endpoint?sleep=%20"}) {
    const auto e = error_of(get(target));
    EXPECT_EQ(e.status, http::status::bad_request) << target;
    EXPECT_EQ(e.error, "bad_sleep") << target;
  }
}

TEST(Routes, ATargetThatIsNotAPathIsABadRequest) {
  EXPECT_EQ(error_of(get("not-a-path")).status, http::status::bad_request);
  EXPECT_EQ(error_of(get("/async-endpoint?%zz")).status, http::status::bad_request);
}

TEST(Seconds, AcceptsPlainDecimalsOnly) {
  EXPECT_EQ(parse_seconds("1"), 1.0);
  EXPECT_EQ(parse_seconds("0.25"), 0.25);
  EXPECT_EQ(parse_seconds("1.50"), 1.5);
  for (const auto* bad : {"", "-0", "-1", "+1", "nan", "inf", "1e3", " 1", "1 ", "0x10", "."}) {
    EXPECT_FALSE(parse_seconds(bad).has_value()) << bad;
  }
}

TEST(Routes, AnAbsoluteFormTargetIsRoutedByItsPathAndQuery) {
  const auto r = get("http://127.0.0.1:8000/async-wrong?sleep=0.5");
  ASSERT_TRUE(std::holds_alternative<lesson_route>(r));
  EXPECT_EQ(std::get<lesson_route>(r).which, lesson_endpoint::async_wrong);
  EXPECT_DOUBLE_EQ(std::get<lesson_route>(r).sleep, 0.5);
  EXPECT_EQ(target_authority("http://127.0.0.1:8000/x"), "127.0.0.1:8000");
  EXPECT_EQ(target_authority("/x"), "");
  EXPECT_EQ(error_of(get("ftp://127.0.0.1/healthz")).status, http::status::bad_request);
}

TEST(Routes, HeadIsRoutedLikeGetAndA405SaysSo) {
  EXPECT_TRUE(std::holds_alternative<lesson_route>(
      find_route(http::verb::head, "/async-endpoint", limits)));
  const auto e = error_of(find_route(http::verb::put, "/async-endpoint", limits));
  EXPECT_EQ(e.status, http::status::method_not_allowed);
  EXPECT_EQ(e.allowed, "GET, HEAD");
}
