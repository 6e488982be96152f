#include "result_headers.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using asyncscope::endpoint_result;
using asyncscope::read_result_headers;
using asyncscope::result_headers;

namespace {

// The headers as a client would find them, by name.
std::map<std::string, std::string, std::less<>> as_map(const endpoint_result& r) {
  std::map<std::string, std::string, std::less<>> headers;
  for (const auto& [name, value] : result_headers(r)) headers.emplace(name, value);
  return headers;
}

std::optional<endpoint_result> read(const std::map<std::string, std::string, std::less<>>& h) {
  return read_result_headers([&h](std::string_view name) {
    const auto found = h.find(name);
    return found == h.end() ? std::string_view{} : std::string_view(found->second);
  });
}

const endpoint_result sample{.message = "",
                             .endpoint = "/async-wrong/tasks",
                             .request_id = 7,
                             .pid = 4242,
                             .thread_id = 4243,
                             .thread_name = "loop-0",
                             .sleep = 0.2,
                             .started_at = 1764667200.123456,
                             .finished_at = 1764667200.325,
                             .duration = 0.201544};

}  // namespace

TEST(ResultHeaders, SayWhoRanTheRequestAndWhenInPlainText) {
  const auto h = as_map(sample);
  EXPECT_EQ(h.at("Asyncscope-Request-Id"), "7");
  EXPECT_EQ(h.at("Asyncscope-Endpoint"), "/async-wrong/tasks");
  EXPECT_EQ(h.at("Asyncscope-Pid"), "4242");
  EXPECT_EQ(h.at("Asyncscope-Thread"), "loop-0");
  EXPECT_EQ(h.at("Asyncscope-Thread-Id"), "4243");
  EXPECT_EQ(h.at("Asyncscope-Sleep"), "0.2");
  EXPECT_EQ(h.at("Asyncscope-Started-At"), "1764667200.123456");
  EXPECT_EQ(h.at("Asyncscope-Finished-At"), "1764667200.325000");
  EXPECT_EQ(h.at("Asyncscope-Duration"), "0.201544");
}

TEST(ResultHeaders, ReadBackAsTheSameResult) {
  const auto back = read(as_map(sample));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->endpoint, sample.endpoint);
  EXPECT_EQ(back->request_id, sample.request_id);
  EXPECT_EQ(back->pid, sample.pid);
  EXPECT_EQ(back->thread_id, sample.thread_id);
  EXPECT_EQ(back->thread_name, sample.thread_name);
  EXPECT_DOUBLE_EQ(back->sleep, sample.sleep);
  EXPECT_NEAR(back->started_at, sample.started_at, 1e-6);
  EXPECT_NEAR(back->finished_at, sample.finished_at, 1e-6);
  EXPECT_NEAR(back->duration, sample.duration, 1e-6);
}

TEST(ResultHeaders, AMissingOrUnreadableHeaderMeansNoResult) {
  EXPECT_FALSE(read({}));
  auto h = as_map(sample);
  h.erase("Asyncscope-Pid");
  EXPECT_FALSE(read(h));
  h = as_map(sample);
  h["Asyncscope-Started-At"] = "soon";
  EXPECT_FALSE(read(h));
  h["Asyncscope-Started-At"] = "12.5x";
  EXPECT_FALSE(read(h));
}
