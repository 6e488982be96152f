// The dashboard's rules that need no socket: who may fire, how much fired work may be
// outstanding, what history a new page gets, where the main port sends a browser, where a
// batch starts counting, and when the loop makes a request's timing card.

#include "dashboard_address.hpp"
#include "dashboard_events.hpp"
#include "dashboard_history.hpp"
#include "fire_budget.hpp"
#include "fire_guard.hpp"
#include "metrics.hpp"
#include "request_feed.hpp"
#include "requests_in_flight.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

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

// --classroom: the room watches, the teacher fires.
constexpr std::string_view teacher_token = "0123456789abcdef0123456789abcdef";

fire_request_origin from_a_students_laptop(std::string_view host = "192.168.0.10:8001") {
  auto r = from_the_page();
  r.host = host;
  r.origin = std::nullopt;  // set below where it matters
  r.peer_is_loopback = false;
  return r;
}

TEST(ClassroomFireGuard, AStudentsPageCannotFireWithoutTheToken) {
  auto student = from_a_students_laptop();
  student.origin = "http://192.168.0.10:8001";
  const auto why = why_fire_is_refused(student, teacher_token);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("only the teacher fires"), std::string::npos) << *why;
  // Without --classroom the same request fires: the guard only asks for the page's header.
  EXPECT_EQ(why_fire_is_refused(student), std::nullopt);
}

TEST(ClassroomFireGuard, AWrongOrPartialTokenIsRefused) {
  auto student = from_a_students_laptop();
  for (std::string_view guess :
       {"", "0", "0123456789abcdef", "0123456789abcdef0123456789abcdee",
        "0123456789abcdef0123456789abcdef0", "0123456789ABCDEF0123456789ABCDEF"}) {
    student.token = guess;
    EXPECT_TRUE(why_fire_is_refused(student, teacher_token)) << "'" << guess << "'";
  }
}

TEST(ClassroomFireGuard, TheTeachersTokenFiresFromAnotherDevice) {
  auto tablet = from_a_students_laptop();
  tablet.token = teacher_token;
  EXPECT_EQ(why_fire_is_refused(tablet, teacher_token), std::nullopt);
  // ...but not from another site: the token does not replace the cross-site checks.
  tablet.origin = "http://evil.example";
  EXPECT_TRUE(why_fire_is_refused(tablet, teacher_token));
  tablet.origin = std::nullopt;
  tablet.fire_header = std::nullopt;
  EXPECT_TRUE(why_fire_is_refused(tablet, teacher_token));
}

TEST(ClassroomFireGuard, TheServersOwnMachineFiresWithoutTheToken) {
  EXPECT_EQ(why_fire_is_refused(from_the_page(), teacher_token), std::nullopt);
  auto localhost = from_the_page();
  localhost.host = "localhost:8001";
  localhost.origin = "http://localhost:8001";
  EXPECT_EQ(why_fire_is_refused(localhost, teacher_token), std::nullopt);
}

TEST(ClassroomFireGuard, ALoopbackPeerUnderAForeignNameNeedsTheToken) {
  // DNS rebinding: a page on evil.example, opened on the teacher's machine, points its name at
  // this machine. Its Origin and Host agree, and the peer is loopback; the name gives it away.
  auto rebound = from_the_page();
  rebound.host = "evil.example:8001";
  rebound.origin = "http://evil.example:8001";
  EXPECT_EQ(why_fire_is_refused(rebound), std::nullopt);  // (without --classroom: loopback-only
                                                          // servers answer 421 before this)
  EXPECT_TRUE(why_fire_is_refused(rebound, teacher_token));
  // A student who reaches the port under a loopback name is still not a loopback peer.
  auto spoofed = from_a_students_laptop("127.0.0.1:8001");
  EXPECT_TRUE(why_fire_is_refused(spoofed, teacher_token));
}

TEST(ClassroomToken, ComparesWholeTokensOnly) {
  EXPECT_TRUE(same_token(teacher_token, teacher_token));
  EXPECT_FALSE(same_token("", teacher_token));
  EXPECT_FALSE(same_token(teacher_token.substr(0, 31), teacher_token));
  EXPECT_FALSE(same_token(std::string(teacher_token) + "0", teacher_token));
  EXPECT_FALSE(same_token("", ""));  // no token is never a match
}

TEST(ClassroomToken, IsNewEachTimeAnd128BitsOfHex) {
  const auto first = new_fire_token();
  const auto second = new_fire_token();
  EXPECT_EQ(first.size(), 32u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos) << first;
  EXPECT_NE(first, second);
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

// A batch started while a request is on its way must not count that request's answer: the
// snapshot holds it as being answered, then as answered, never as both or neither.
TEST(BatchBaseline, ARequestOnItsWayIsBeingAnsweredThenAnsweredNeverBoth) {
  request_metrics metrics;
  const auto baseline = [&] {
    const auto s = metrics.snapshot();
    std::uint64_t answered = 0;
    for (const auto& [key, count] : s.requests) answered += count;
    return std::pair{answered, s.being_answered};
  };
  {
    request_metrics::answering recorded{metrics};
    request_metrics::answering dropped{metrics};  // its connection went before an answer
    EXPECT_EQ(baseline(), (std::pair<std::uint64_t, std::uint64_t>{0, 2}));
    recorded.record("/async-endpoint", 200, 0.01);
    EXPECT_EQ(baseline(), (std::pair<std::uint64_t, std::uint64_t>{1, 1}));
  }
  EXPECT_EQ(baseline(), (std::pair<std::uint64_t, std::uint64_t>{1, 0}));
}

TEST(TimingFeed, NobodyWatchingNoTimingIsMade) {
  request_feed feed;
  EXPECT_FALSE(feed.wants_timing());
  feed.set_watched(true);
  EXPECT_TRUE(feed.wants_timing());
  feed.set_watched(false);
  EXPECT_FALSE(feed.wants_timing());
}

TEST(TimingFeed, KeepsAtMostAHundredPerTickThenRoomAgain) {
  request_feed feed;
  feed.set_watched(true);
  for (std::uint64_t id = 1; id <= 150; ++id) {
    if (feed.wants_timing()) feed.add_timing({.request_id = id, .endpoint = "/async-endpoint"});
  }
  EXPECT_FALSE(feed.wants_timing());
  const auto taken = feed.take_timings();
  ASSERT_EQ(taken.size(), request_feed::max_timings);
  EXPECT_EQ(taken.front().request_id, 1u);  // the first ones of the tick, in order
  EXPECT_EQ(taken.back().request_id, request_feed::max_timings);
  EXPECT_TRUE(feed.wants_timing());  // the next tick has room again
  EXPECT_TRUE(feed.take_timings().empty());
}

TEST(TimingEvent, CarriesTheSplitAndWhoMadeTheRequestWait) {
  const timing_report report{
      .request_id = 3,
      .endpoint = "/async-wrong",
      .at = 1.5,
      .split = {.queued = 0.6, .busy = 0.3, .waiting = 0, .resumes = 0, .threads = {"loop-0"}},
      .waited_behind = {{.request_id = 1,
                         .endpoint = "/async-wrong",
                         .seconds = 0.3,
                         .location = "async_wrong (server/lesson.cpp:96)"}}};
  const auto text = timing_events(std::span{&report, 1});
  ASSERT_EQ(text.rfind("event: timing\ndata: ", 0), 0u) << text;
  ASSERT_EQ(text.substr(text.size() - 2), "\n\n");
  const auto data = boost::json::parse(text.substr(text.find('{'))).as_object();
  EXPECT_EQ(data.at("id").as_int64(), 3);
  EXPECT_EQ(data.at("timing").at("queued").as_double(), 0.6);
  EXPECT_EQ(data.at("timing").at("threads").at(0).as_string(), "loop-0");
  const auto& cause = data.at("waited_behind").at(0).as_object();
  EXPECT_EQ(cause.at("request_id").as_int64(), 1);
  EXPECT_EQ(cause.at("location").as_string(), "async_wrong (server/lesson.cpp:96)");
}

TEST(RequestsEvent, IsGetRequestsBodyWithTheTotal) {
  const std::vector<request_in_flight> oldest{{.id = 7,
                                               .endpoint = "/async-endpoint",
                                               .state = "suspended",
                                               .waiting_at = "server/lesson.cpp:59",
                                               .function = "async_endpoint"}};
  const auto text = requests_event(requests_json(oldest, 2), 45);
  ASSERT_EQ(text.rfind("event: requests\ndata: ", 0), 0u) << text;
  const auto data = boost::json::parse(text.substr(text.find('{'))).as_object();
  EXPECT_EQ(data.at("total").as_int64(), 45);
  EXPECT_EQ(data.at("connections_not_started").as_int64(), 2);
  EXPECT_EQ(data.at("requests").at(0).at("waiting_at").as_string(), "server/lesson.cpp:59");
}
