#include "json_text.hpp"
#include "endpoint_result.hpp"
#include "seconds.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstdint>
#include <limits>
#include <string>

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

TEST(EndpointResult, RejectsABodyWithoutTheSchemasKeys) {
  EXPECT_ANY_THROW(json::value_to<endpoint_result>(json::parse(R"({"message": "hi"})")));
}

TEST(Seconds, DecimalTextAlwaysShowsAFractionAndNeverAnExponent) {
  EXPECT_EQ(asyncscope::decimal_text(1.0), "1.0");
  EXPECT_EQ(asyncscope::decimal_text(0.25), "0.25");
  EXPECT_EQ(asyncscope::decimal_text(60), "60.0");
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
