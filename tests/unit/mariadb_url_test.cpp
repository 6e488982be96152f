#include "mariadb_url.hpp"

#include <gtest/gtest.h>

using namespace asyncscope;

namespace {

mariadb_url parsed(std::string_view text) {
  auto r = parse_mariadb_url(text);
  EXPECT_TRUE(std::holds_alternative<mariadb_url>(r))
      << text << ": " << (std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "");
  return std::holds_alternative<mariadb_url>(r) ? std::get<mariadb_url>(r) : mariadb_url{};
}

std::string problem(std::string_view text) {
  auto r = parse_mariadb_url(text);
  EXPECT_TRUE(std::holds_alternative<std::string>(r)) << text;
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

}  // namespace

TEST(MariadbUrl, TakesApartWhatDbShPrints) {
  const auto url = parsed("mariadb://demo:demo@127.0.0.1:40123/demo");
  EXPECT_EQ(url.user, "demo");
  EXPECT_EQ(url.password, "demo");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 40123);
  EXPECT_EQ(url.database, "demo");
}

TEST(MariadbUrl, DecodesPercentEscapesAndDefaultsThePort) {
  const auto url = parsed("mariadb://d%40e:p%40ss%2Fw%3Ard@localhost/my%20db");
  EXPECT_EQ(url.user, "d@e");
  EXPECT_EQ(url.password, "p@ss/w:rd");
  EXPECT_EQ(url.host, "localhost");
  EXPECT_EQ(url.port, 3306);
  EXPECT_EQ(url.database, "my db");
  EXPECT_EQ(parsed("mariadb://u@[::1]:3307/d").host, "::1");
  EXPECT_EQ(parsed("mariadb://u@h/d").password, "");
}

TEST(MariadbUrl, LogsWithoutThePassword) {
  const auto url = parsed("mariadb://demo:secret@127.0.0.1:3306/demo");
  EXPECT_EQ(url.without_password(), "mariadb://demo:***@127.0.0.1:3306/demo");
  EXPECT_EQ(problem("mariadb://demo:secret@127.0.0.1:99999/demo").find("secret"),
            std::string::npos);
}

TEST(MariadbUrl, SaysWhatIsWrong) {
  EXPECT_NE(problem("http://u:p@h:1/d").find("scheme"), std::string::npos);
  EXPECT_NE(problem("mariadb://h:1/d").find("no user"), std::string::npos);
  EXPECT_NE(problem("mariadb://u:p@h:0/d").find("port"), std::string::npos);
  EXPECT_NE(problem("mariadb://u:p@h:70000/d").find("port"), std::string::npos);
  EXPECT_NE(problem("mariadb://u:p@h:1").find("database"), std::string::npos);
  EXPECT_NE(problem("mariadb://u:p@h:1/a/b").find("database"), std::string::npos);
  EXPECT_NE(problem("mariadb://u:p@h:1/d?x=1").find("query"), std::string::npos);
  EXPECT_FALSE(problem("not a url").empty());
  EXPECT_FALSE(problem("").empty());
}
