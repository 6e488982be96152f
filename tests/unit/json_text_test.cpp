#include "json_text.hpp"
#include "endpoint_result.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace json = boost::json;
using asyncscope::endpoint_result;
using asyncscope::to_json_text;

TEST(JsonText, WritesWholeSecondsAsDecimalsNotExponents) {
  EXPECT_EQ(to_json_text(json::value(1.0)), "1.0");
  EXPECT_EQ(to_json_text(json::value(0.2)), "0.2");
  EXPECT_EQ(to_json_text(json::value(1763700000.123456)), "1763700000.123456");
}

TEST(JsonText, KeepsKeyOrderAndEscapesStrings) {
  json::object o{{"b", 1}, {"a", "say \"hi\""}, {"list", json::array{1, true, nullptr}}};
  EXPECT_EQ(to_json_text(o), R"({"b": 1, "a": "say \"hi\"", "list": [1, true, null]})");
}

TEST(JsonText, EscapesStringsExactlyAsBoostJsonDoes) {
  std::string every_ascii_byte;
  for (int c = 0; c < 128; ++c) every_ascii_byte += static_cast<char>(c);
  for (const std::string& text :
       {every_ascii_byte, std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
        std::string("/async-endpoint"), std::string()}) {
    EXPECT_EQ(to_json_text(json::string(text)), json::serialize(json::string(text)));
  }
}

TEST(JsonText, WritesNumbersAsDecimalTextDoes) {
  for (const double d : {0.0, 1.0, 0.2, 1e-7, 1e300, 123456789.0, 1796191287.543975, -2.5}) {
    EXPECT_EQ(to_json_text(json::value(d)), asyncscope::decimal_text(d)) << d;
  }
  EXPECT_EQ(to_json_text(json::value(std::numeric_limits<double>::infinity())), "null");
}

TEST(JsonText, WritesIntegersBooleansAndNullAsBoostJsonDoes) {
  for (const auto& v :
       {json::value(0), json::value(-42), json::value(std::numeric_limits<std::int64_t>::min()),
        json::value(std::numeric_limits<std::uint64_t>::max()), json::value(true),
        json::value(false), json::value(nullptr)}) {
    EXPECT_EQ(to_json_text(v), json::serialize(v));
  }
}

TEST(JsonText, OutputParsesBackToTheSameValue) {
  json::object o{{"x", 0.1 + 0.2}, {"y", -3.5e-7}, {"z", 1e300}};
  EXPECT_EQ(json::parse(to_json_text(o)), json::value(o));
}

TEST(EndpointResult, RoundTripsThroughJsonWithTheContractsKeys) {
  endpoint_result r{.message = "Async endpoint completed!",
                    .endpoint = "/async-endpoint",
                    .request_id = 17,
                    .pid = 4242,
                    .thread_id = 4243,
                    .thread_name = "loop-0",
                    .sleep = 1.0,
                    .started_at = 1763700000.123456,
                    .finished_at = 1763700001.124,
                    .duration = 1.0009};
  const auto v = json::value_from(r);
  for (const char* key : {"message", "endpoint", "request_id", "pid", "thread_id", "thread_name",
                          "sleep", "started_at", "finished_at", "duration"}) {
    EXPECT_TRUE(v.as_object().contains(key)) << key;
  }
  const auto back = json::value_to<endpoint_result>(json::parse(to_json_text(v)));
  EXPECT_EQ(back.thread_name, "loop-0");
  EXPECT_EQ(back.request_id, 17u);
  EXPECT_DOUBLE_EQ(back.started_at, 1763700000.123456);
  EXPECT_DOUBLE_EQ(back.duration, 1.0009);
}

TEST(EndpointResult, TextIsByteForByteTheTextOfItsJsonValue) {
  endpoint_result r{.message = "Async endpoint completed!",
                    .endpoint = "/async-endpoint",
                    .request_id = 18446744073709551615u,
                    .pid = 4242,
                    .thread_id = -1,
                    .thread_name = "loop-0",
                    .sleep = 0.0,
                    .started_at = 1763700000.1234564,
                    .finished_at = 1763700001.0,
                    .duration = 1e-7};
  EXPECT_EQ(to_json_text(r), to_json_text(json::value_from(r)));  // no timing: no timing keys
  r.note = "no I/O ran: \"async_depth_1\" was never awaited\n\x01 caf\xC3\xA9";
  r.timing = asyncscope::time_split{.queued = 0.0000004,
                                    .busy = 1.25,
                                    .waiting = 3,
                                    .resumes = 2,
                                    .threads = {"loop-0", "2 more"}};
  EXPECT_EQ(to_json_text(r), to_json_text(json::value_from(r)));  // empty waited_behind: []
  r.waited_behind = {{.request_id = 3, .endpoint = "/async-wrong", .seconds = 0.9999996,
                      .location = "async_wrong (server/lesson.cpp:96) \xE2\x86\x90 sleep_for"},
                     {.request_id = 4, .endpoint = "/async-cpu", .seconds = 0.5}};
  const auto text = to_json_text(r);
  EXPECT_EQ(text, to_json_text(json::value_from(r)));
  EXPECT_EQ(json::parse(text), json::value_from(r));
  const auto back = json::value_to<endpoint_result>(json::parse(text));
  ASSERT_TRUE(back.timing);
  EXPECT_EQ(back.timing->threads, (std::vector<std::string>{"loop-0", "2 more"}));
  ASSERT_EQ(back.waited_behind.size(), 2u);
  EXPECT_EQ(back.waited_behind[0].endpoint, "/async-wrong");
  EXPECT_DOUBLE_EQ(back.waited_behind[0].seconds, 1.0);
}

TEST(JsonTextWriter, SeparatesMembersAndItemsAsToJsonTextDoes) {
  std::string text;
  asyncscope::json_text_writer out{text};
  out.begin_object();
  out.key("a");
  out.begin_array();
  out.value(1);
  out.begin_object();
  out.end_object();
  out.begin_array();
  out.end_array();
  out.value("x");
  out.end_array();
  out.key("b");
  out.value(true);
  out.key("c");
  out.null();
  out.end_object();
  const json::value same{{"a", json::array{1, json::object{}, json::array{}, "x"}},
                         {"b", true},
                         {"c", nullptr}};
  EXPECT_EQ(text, to_json_text(same));
}

TEST(EndpointResult, RejectsABodyWithoutTheSchemasKeys) {
  EXPECT_ANY_THROW(json::value_to<endpoint_result>(json::parse(R"({"message": "hi"})")));
}

TEST(Seconds, DecimalTextAlwaysShowsAFractionAndNeverAnExponent) {
  EXPECT_EQ(asyncscope::decimal_text(1.0), "1.0");
  EXPECT_EQ(asyncscope::decimal_text(0.25), "0.25");
  EXPECT_EQ(asyncscope::decimal_text(60), "60.0");
}

TEST(Seconds, DecimalTextOfMicrosecondsIsTheShortestFormOfTheDouble) {
  // What people would see from Python's repr or jq: fmt's shortest form, ".0" on whole numbers.
  const auto shortest = [](double d) {
    auto text = fmt::format("{}", d);
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    return text;
  };
  std::mt19937_64 random{12};
  std::vector<double> values{0.0,    -0.0,   1e-4,      9.9e-5,       1e-6,        0.000123,
                             5e-6,   1e-5,   1.2e-5,    5e-5,         1.23e-5,     1e-7,
                             0.1,    0.25,   1.0,       1.5,          59.999999,   1e9,
                             1.5e15, 1e16,   4294967295.999999,        4294967296.0,
                             1796191287.543975,         1763700001.124, -2.5,    0.1 + 0.2,
                             std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()};
  for (int i = 0; i < 100000; ++i) {
    const auto bits = std::uniform_int_distribution<int>(1, 53)(random);  // up to 285 years
    const auto us = static_cast<std::int64_t>(random() >> (64 - bits));
    values.push_back(asyncscope::round_to_microseconds(static_cast<double>(us) / 1e6));
  }
  for (const double d : values) {
    EXPECT_EQ(asyncscope::decimal_text(d), shortest(d)) << fmt::format("{:.17g}", d);
  }
}

TEST(Seconds, RoundsToTheMicrosecond) {
  EXPECT_DOUBLE_EQ(asyncscope::round_to_microseconds(1.00000049), 1.0);
  EXPECT_DOUBLE_EQ(asyncscope::round_to_microseconds(1.0000005), 1.000001);
}

TEST(JsonText, KeepsUtf8ButWritesBytesThatAreNotUtf8AsReplacementCharacters) {
  // é, ✓ and 😀 stay; a target's stray bytes, a cut sequence, an overlong '/', a surrogate and
  // a code point above U+10FFFF each become U+FFFD, byte by byte.
  const json::object o{{"ok", "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"},
                       {"detail", "'/sync-endp\x88\x96nt' is not valid"},
                       {"cut \xE2\x9C", "\xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80"}};
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(to_json_text(o),
            "{\"ok\": \"caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80\", "
            "\"detail\": \"'/sync-endp" +
                r + r +
                "nt' is not valid\", "
                "\"cut " +
                r + r + "\": \"" + r + r + " " + r + r + r + " " + r + r + r + r + "\"}");
}

TEST(JsonText, OutputIsValidJsonWhateverBytesAStringHolds) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  boost::system::error_code ec;
  json::parse(to_json_text(json::object{{"detail", every_byte}}), ec);  // rejects bad UTF-8
  EXPECT_FALSE(ec) << ec.message();
}
