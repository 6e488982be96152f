#include "http_framing.hpp"

#include <gtest/gtest.h>

using namespace asyncscope;
namespace http = boost::beast::http;

namespace {

http::request_header<> head(std::initializer_list<std::pair<http::field, std::string>> fields,
                            unsigned version = 11, std::string target = "/healthz") {
  http::request_header<> h;
  h.method(http::verb::post);
  h.target(target);
  h.version(version);
  for (const auto& [name, value] : fields) h.insert(name, value);
  return h;
}

int refused_with(const head_verdict& v) {
  return v.refuse ? static_cast<int>(v.refuse->status) : 0;
}

constexpr bool loopback_only = true;

}  // namespace

TEST(HttpFraming, AnOrdinaryRequestPasses) {
  const auto v = check_request_head(head({{http::field::host, "127.0.0.1:8000"}}), loopback_only);
  EXPECT_FALSE(v.refuse);
  EXPECT_FALSE(v.send_continue);
}

TEST(HttpFraming, ATransferEncodingThatDoesNotEndInChunkedIsRefusedBecauseTheBodyHasNoEnd) {
  for (const char* te : {"gzip", "chunked, gzip", "identity"}) {
    const auto v = check_request_head(
        head({{http::field::host, "localhost"}, {http::field::transfer_encoding, te}}),
        loopback_only);
    EXPECT_EQ(refused_with(v), 400) << te;
  }
}

TEST(HttpFraming, CodingsOtherThanChunkedAreNotImplemented) {
  const auto v = check_request_head(
      head({{http::field::host, "localhost"}, {http::field::transfer_encoding, "gzip, chunked"}}),
      loopback_only);
  EXPECT_EQ(refused_with(v), 501);
}

TEST(HttpFraming, ChunkedAloneIsFineInAnyCase) {
  const auto v = check_request_head(
      head({{http::field::host, "localhost"}, {http::field::transfer_encoding, "Chunked"}}),
      loopback_only);
  EXPECT_FALSE(v.refuse);
}

TEST(HttpFraming, TransferEncodingWithContentLengthOrInHttp10IsRefused) {
  EXPECT_EQ(refused_with(check_request_head(head({{http::field::host, "localhost"},
                                                  {http::field::transfer_encoding, "chunked"},
                                                  {http::field::content_length, "5"}}),
                                            loopback_only)),
            400);
  EXPECT_EQ(refused_with(check_request_head(
                head({{http::field::transfer_encoding, "chunked"}}, /*version=*/10),
                loopback_only)),
            400);
}

TEST(HttpFraming, Http11NeedsExactlyOneHost) {
  EXPECT_EQ(refused_with(check_request_head(head({}), loopback_only)), 400);
  EXPECT_EQ(refused_with(check_request_head(
                head({{http::field::host, "localhost"}, {http::field::host, "127.0.0.1"}}),
                loopback_only)),
            400);
  EXPECT_FALSE(check_request_head(head({}, /*version=*/10), loopback_only).refuse);
}

TEST(HttpFraming, AForeignHostIsMisdirectedWhenTheServerListensOnLoopbackOnly) {
  const auto foreign = head({{http::field::host, "rebind.example:8000"}});
  EXPECT_EQ(refused_with(check_request_head(foreign, loopback_only)), 421);
  EXPECT_FALSE(check_request_head(foreign, /*loopback_only=*/false).refuse);
}

TEST(HttpFraming, AnAbsoluteFormTargetsAuthorityStandsInForHost) {
  EXPECT_FALSE(check_request_head(head({{http::field::host, "ignored.example"}}, 11,
                                       "http://127.0.0.1:8000/healthz"),
                                  loopback_only)
                   .refuse);
  EXPECT_EQ(refused_with(check_request_head(head({{http::field::host, "localhost"}}, 11,
                                                 "http://rebind.example/healthz"),
                                            loopback_only)),
            421);
}

TEST(HttpFraming, Expect100ContinueIsAnsweredOnlyWhenABodyFollows) {
  const auto with_body = head({{http::field::host, "localhost"},
                               {http::field::expect, "100-Continue"},
                               {http::field::content_length, "10"}});
  EXPECT_TRUE(check_request_head(with_body, loopback_only).send_continue);
  const auto without = head({{http::field::host, "localhost"}, {http::field::expect, "100-continue"}});
  EXPECT_FALSE(check_request_head(without, loopback_only).send_continue);
  EXPECT_FALSE(check_request_head(without, loopback_only).refuse);
}

TEST(HttpFraming, AnyOtherExpectationFails) {
  const auto v = check_request_head(
      head({{http::field::host, "localhost"}, {http::field::expect, "something-else"}}),
      loopback_only);
  EXPECT_EQ(refused_with(v), 417);
}
