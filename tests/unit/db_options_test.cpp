#include "options.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace asyncscope;

namespace {

parsed_server_options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "asyncscope-server");
  return parse_server_options(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST(DbOptions, WithoutFlagsThereIsNoDatabaseAndTheBooksPoolOf64) {
  const auto p = parse({});
  ASSERT_TRUE(p.options);
  EXPECT_FALSE(p.options->db.url);
  EXPECT_EQ(p.options->db.connections, 64);
  EXPECT_EQ(p.options->db.wait_timeout, std::chrono::seconds(5));
  EXPECT_EQ(p.options->db.timeout, std::chrono::seconds(5));
}

TEST(DbOptions, EveryFlagIsRead) {
  const auto p = parse({"--db", "mariadb://demo:demo@127.0.0.1:4000/demo", "--db-connections", "8",
                        "--db-wait-timeout", "0.25", "--db-timeout", "2"});
  ASSERT_TRUE(p.options) << p.message;
  ASSERT_TRUE(p.options->db.url);
  EXPECT_EQ(p.options->db.url->port, 4000);
  EXPECT_EQ(p.options->db.connections, 8);
  EXPECT_EQ(p.options->db.wait_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(p.options->db.timeout, std::chrono::seconds(2));
}

TEST(DbOptions, BadFlagsGiveOneLineNamingTheFlagAndExitCodeTwo) {
  for (auto [flag, value] :
       {std::pair{"--db", "http://demo:secret@h:1/d"}, std::pair{"--db-connections", "0"},
        std::pair{"--db-connections", "1001"}, std::pair{"--db-wait-timeout", "0"},
        std::pair{"--db-wait-timeout", "x"}, std::pair{"--db-timeout", "0"},
        std::pair{"--db-timeout", "1.5"}}) {
    const auto p = parse({flag, value});
    EXPECT_FALSE(p.options) << flag << " " << value;
    EXPECT_EQ(p.exit_code, 2);
    EXPECT_NE(p.message.find(flag), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find("secret"), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find('\n'), std::string::npos) << p.message;
  }
}

TEST(DbOptions, HelpNamesTheToDoRoutesAndTheFlags) {
  const auto p = parse({"--help"});
  for (auto text : {"/sync/tasks", "/async/tasks", "/async-wrong/tasks", "--db ", "scripts/db.sh",
                    "--db-connections", "--db-wait-timeout", "--db-timeout"}) {
    EXPECT_NE(p.message.find(text), std::string::npos) << text;
  }
}
