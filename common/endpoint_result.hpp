#pragma once
// The one definition of what the lesson endpoints answer, shared by server and client.

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace asyncscope {

// Where one request's time went on the server, from when it was ready (its connection accepted)
// until its answer was ready to send: seconds queued before its code first ran, busy holding a
// thread, and waiting (suspended in a co_await); how many times it resumed, on which threads.
struct time_split {
  double queued = 0;
  double busy = 0;
  double waiting = 0;
  int resumes = 0;
  std::vector<std::string> threads{};  // "loop-0", "pool-07", in the order they first ran it
};

// Another request that held the thread while this one was ready to run, and for how long.
struct wait_cause {
  std::uint64_t request_id = 0;
  std::string endpoint{};
  double seconds = 0;
  std::string location{};  // where it blocked, when the watchdog caught it: "async_wrong
                           // (server/lesson.cpp:96) ← std::this_thread::sleep_for"; else empty
};

// Who ran one request's simulated I/O, when, and for how long.
struct endpoint_result {
  std::string message;
  std::string endpoint;
  std::uint64_t request_id = 0;
  std::int64_t pid = 0;
  std::int64_t thread_id = 0;  // the OS thread id, as gettid() and `top -H` show it
  std::string thread_name;     // "loop-0", "pool-07"
  double sleep = 0;            // simulated I/O asked for, seconds
  double started_at = 0;       // Unix epoch seconds, wall clock
  double finished_at = 0;
  double duration = 0;  // steady clock, seconds
  std::string note{};   // what the lesson would point out, e.g. that no I/O ran; often empty
  std::optional<time_split> timing{};       // absent from servers that do not measure it
  std::vector<wait_cause> waited_behind{};  // the three that held it longest, longest first
};

// The body of every error response: {"error": "not_found", "detail": "..."}.
struct error_body {
  std::string error;
  std::string detail;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const time_split& t);
time_split tag_invoke(boost::json::value_to_tag<time_split>, const boost::json::value& in);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const wait_cause& w);
wait_cause tag_invoke(boost::json::value_to_tag<wait_cause>, const boost::json::value& in);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const endpoint_result& r);
endpoint_result tag_invoke(boost::json::value_to_tag<endpoint_result>,
                           const boost::json::value& in);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const error_body& e);

// The answer's JSON text, byte for byte what to_json_text(boost::json::value_from(r)) gives,
// written straight from `r` (json_text.hpp): the server writes one for every lesson request.
std::string to_json_text(const endpoint_result& r);

}  // namespace asyncscope
