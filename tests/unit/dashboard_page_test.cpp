// The dashboard page compiled into the server is server/dashboard/index.html, whole, and it loads
// nothing from elsewhere, so it works in a classroom without a network.

#include "dashboard_page.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string file_text(const char* path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DashboardPage, IsTheHtmlFileByteForByte) {
  const auto source = file_text(ASYNCSCOPE_DASHBOARD_HTML);
  ASSERT_FALSE(source.empty());
  EXPECT_EQ(asyncscope::dashboard_page(), source);
}

TEST(DashboardPage, LoadsNothingFromOtherHosts) {
  const std::string page{asyncscope::dashboard_page()};
  for (const char* outside : {"http://", "https://", "<script src", "<link", "@import", "url("}) {
    EXPECT_EQ(page.find(outside), std::string::npos) << "the page refers to " << outside;
  }
}

TEST(DashboardPage, ListensToTheEventStreamAndFiresThroughTheServer) {
  const std::string page{asyncscope::dashboard_page()};
  EXPECT_NE(page.find("new EventSource(\"/events\")"), std::string::npos);
  EXPECT_NE(page.find("\"/fire?\""), std::string::npos);
  // The header only the dashboard's own page sends, and with --classroom the teacher's token
  // (fire_guard.hpp).
  EXPECT_NE(page.find("const headers = { \"X-Asyncscope-Fire\": \"1\" };"), std::string::npos);
  EXPECT_NE(page.find("headers[\"X-Asyncscope-Token\"] = page.fireToken;"), std::string::npos);
  // The end of the history a new page is sent.
  EXPECT_NE(page.find("on(\"live\""), std::string::npos);
}

}  // namespace
