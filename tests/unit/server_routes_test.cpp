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
                             std::pair{"/async-wrong", lesson_endpoint::async_wrong}}) {
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

TEST(Routes, HealthzIsAHealthCheck) {
  EXPECT_TRUE(std::holds_alternative<health_check>(get("/healthz")));
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
