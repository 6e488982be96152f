// The dashboard's rules that need no socket: who may fire, how much fired work may be
// outstanding, what history a new page gets, and where the main port sends a browser.

#include "dashboard_address.hpp"
#include "dashboard_history.hpp"
#include "fire_budget.hpp"
#include "fire_guard.hpp"

#include <gtest/gtest.h>

using namespace asyncscope;

namespace {

fire_request_origin from_the_page() {
  return {.host = "127.0.0.1:8001",
          .fire_header = "1",
          .origin = "http://127.0.0.1:8001",
          .fetch_site = "same-origin"};
}

encoded_events text(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

}  // namespace

TEST(FireGuard, TheDashboardPagesOwnFetchMayFire) {
  EXPECT_EQ(why_fire_is_refused(from_the_page()), std::nullopt);
  auto localhost = from_the_page();
  localhost.host = "localhost:8001";
  localhost.origin = "http://LOCALHOST:8001";
  EXPECT_EQ(why_fire_is_refused(localhost), std::nullopt);
}

TEST(FireGuard, ACommandLineClientWithTheHeaderMayFire) {
  // curl sends neither Origin nor Sec-Fetch-Site.
  EXPECT_EQ(why_fire_is_refused({.host = "127.0.0.1:8001",
                                 .fire_header = "1",
                                 .origin = std::nullopt,
                                 .fetch_site = std::nullopt}),
            std::nullopt);
  auto typed = from_the_page();
  typed.fetch_site = "none";
  EXPECT_EQ(why_fire_is_refused(typed), std::nullopt);
}

TEST(FireGuard, WithoutTheHeaderNothingFires) {
  auto form_post = from_the_page();
  form_post.fire_header.reset();
  const auto why = why_fire_is_refused(form_post);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("X-Asyncscope-Fire"), std::string::npos) << *why;
  auto wrong_value = from_the_page();
  wrong_value.fire_header = "yes";
  EXPECT_TRUE(why_fire_is_refused(wrong_value));
}

TEST(FireGuard, AnotherOriginOrSiteIsRefusedEvenWithTheHeader) {
  for (const char* site : {"cross-site", "same-site", ""}) {
    auto r = from_the_page();
    r.fetch_site = site;
    EXPECT_TRUE(why_fire_is_refused(r)) << site;
  }
  for (const char* origin : {"http://evil.example", "http://127.0.0.1:9999", "null",
                             "https://127.0.0.1:8001", "http://127.0.0.1:8001.evil.example", ""}) {
    auto r = from_the_page();
    r.origin = origin;
    EXPECT_TRUE(why_fire_is_refused(r)) << origin;
  }
  auto no_host = from_the_page();
  no_host.host = "";
  EXPECT_TRUE(why_fire_is_refused(no_host));
}

TEST(FireBudget, TakesAllOrNothingAndGetsItBack) {
  fire_budget budget{60};
  EXPECT_TRUE(budget.try_take(50 * 1.0));
  EXPECT_FALSE(budget.try_take(3 * 5.0));  // 65 s: refused whole
  EXPECT_DOUBLE_EQ(budget.outstanding(), 50);
  EXPECT_TRUE(budget.try_take(10 * 1.0));  // exactly 60
  EXPECT_FALSE(budget.try_take(0.1));
  for (int i = 0; i < 60; ++i) budget.give_back(1.0);
  EXPECT_DOUBLE_EQ(budget.outstanding(), 0);
  budget.give_back(1.0);  // never below zero
  EXPECT_DOUBLE_EQ(budget.outstanding(), 0);
}

TEST(FireBudget, SixtyTenthsFitInSixSecondsDespiteRounding) {
  fire_budget budget{6};
  for (int i = 0; i < 60; ++i) EXPECT_TRUE(budget.try_take(0.1)) << i;
  EXPECT_FALSE(budget.try_take(0.1));
}

TEST(EventHistory, KeepsTheLastSecondsOldestFirst) {
  event_history history{60, 1024 * 1024};
  history.add(100, text("a"));
  history.add(130, text("b"));
  history.add(161, text("c"));  // "a" is now more than 60 s old
  const auto kept = history.all();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(*kept[0], "b");
  EXPECT_EQ(*kept[1], "c");
  EXPECT_EQ(history.bytes(), 2u);
}

TEST(EventHistory, DropsTheOldestBeyondItsSize) {
  event_history history{60, 10};
  history.add(1, text("12345"));
  history.add(2, text("67890"));
  history.add(3, text("abc"));
  const auto kept = history.all();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(*kept[0], "67890");
  EXPECT_LE(history.bytes(), 10u);
}

TEST(EventHistory, SharesTheEncodedTextInsteadOfCopyingIt) {
  event_history history{60, 1024};
  const auto events = text("event: io\ndata: {}\n\n");
  history.add(1, events);
  EXPECT_EQ(history.all().front().get(), events.get());
}

TEST(DashboardUrl, KeepsTheNameTheBrowserUsedAndChangesThePort) {
  EXPECT_EQ(dashboard_url("127.0.0.1:8000", 8001), "http://127.0.0.1:8001/");
  EXPECT_EQ(dashboard_url("localhost:8000", 8001), "http://localhost:8001/");
  EXPECT_EQ(dashboard_url("localhost", 8001), "http://localhost:8001/");
  EXPECT_EQ(dashboard_url("[::1]:8000", 9000), "http://[::1]:9000/");
  EXPECT_EQ(dashboard_url("192.168.1.5:8000", 8001), "http://192.168.1.5:8001/");
}

TEST(DashboardUrl, AMissingOrOddHostFallsBackToTheBoundAddress) {
  EXPECT_EQ(dashboard_url("", 8001), "http://127.0.0.1:8001/");
  EXPECT_EQ(dashboard_url("[::1", 8001), "http://127.0.0.1:8001/");
  EXPECT_EQ(dashboard_url("evil\r\nSet-Cookie: x", 8001), "http://127.0.0.1:8001/");
  EXPECT_EQ(dashboard_url("a/b@c", 8001, "[::1]"), "http://[::1]:8001/");
}
