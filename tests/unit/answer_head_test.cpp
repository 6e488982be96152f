#include "answer_head.hpp"
#include "http_responses.hpp"

#include <gtest/gtest.h>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <sstream>

namespace http = boost::beast::http;
using asyncscope::answer_head;

namespace {

// What Beast's own serializer writes for the whole answer.
std::string beast_bytes(const asyncscope::http_response& res) {
  std::ostringstream out;
  out << res;
  return out.str();
}

}  // namespace

TEST(AnswerHead, WithTheBodyIsByteForByteWhatBeastWrites) {
  auto ok = asyncscope::json_response(http::status::ok, {{"message", "Async endpoint completed!"}});
  ok.keep_alive(true);
  auto busy = asyncscope::busy_response("pool_queue_full", "all 40 worker pool threads are busy");
  busy.version(10);
  busy.keep_alive(false);
  for (const auto* res : {&ok, &busy}) {
    EXPECT_EQ(answer_head(*res) + res->body(), beast_bytes(*res));
  }
}
