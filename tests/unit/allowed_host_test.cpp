#include "allowed_host.hpp"

#include <gtest/gtest.h>

using asyncscope::host_allowed;
using asyncscope::is_loopback_host;

TEST(AllowedHost, LoopbackNamesAndAddressesWithOrWithoutAPortAreLoopback) {
  for (const char* host : {"localhost", "LOCALHOST:8000", "localhost.", "app.localhost:80",
                           "127.0.0.1", "127.0.0.1:8000", "127.1.2.3:1", "[::1]", "[::1]:8000"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
}

TEST(AllowedHost, ForeignNamesEmptyAndMalformedHostsAreNot) {
  for (const char* host : {"", "evil.example", "evil.example:8000", "localhost.evil.example",
                           "127.0.0.1.evil.example", "10.0.0.1", "[::1", "[::1]x", "[::2]:80",
                           "0.0.0.0", "192.168.1.5:8000"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(AllowedHost, AServerReachableFromOtherMachinesAnswersEveryHost) {
  EXPECT_TRUE(host_allowed("evil.example", /*bound_to_loopback_only=*/false));
  EXPECT_FALSE(host_allowed("evil.example", /*bound_to_loopback_only=*/true));
  EXPECT_TRUE(host_allowed("localhost:8000", /*bound_to_loopback_only=*/true));
}
