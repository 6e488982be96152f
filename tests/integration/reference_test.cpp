// docs/reference.md is what users read: every flag the programs' --help shows must be in it.

#include "processes.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace asyncscope::testing;

namespace {

std::string reference_text() {
  std::ifstream file{ASYNCSCOPE_SOURCE_DIR "/docs/reference.md"};
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::set<std::string> flags_in(const std::string& help) {
  std::set<std::string> flags;
  const std::regex flag{R"(--[a-z][a-z-]+)"};
  for (std::sregex_iterator it{help.begin(), help.end(), flag}, end; it != end; ++it) {
    flags.insert(it->str());
  }
  return flags;
}

}  // namespace

TEST(Reference, EveryFlagInHelpIsDocumented) {
  const auto reference = reference_text();
  ASSERT_FALSE(reference.empty()) << "docs/reference.md not found";
  for (const auto* program : {ASYNCSCOPE_SERVER_PATH, ASYNCSCOPE_CLIENT_PATH}) {
    const auto help = run_program(program, {"--help"});
    ASSERT_EQ(help.exit_code, 0) << program;
    for (const auto& flag : flags_in(help.out)) {
      EXPECT_NE(reference.find("`" + flag), std::string::npos)
          << program << " " << flag << " is not in docs/reference.md";
    }
  }
}
