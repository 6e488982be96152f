#pragma once
// The one definition of what the lesson endpoints answer, shared by server and client.

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>

namespace asyncscope {

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
};

// The body of every error response: {"error": "not_found", "detail": "..."}.
struct error_body {
  std::string error;
  std::string detail;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const endpoint_result& r);
endpoint_result tag_invoke(boost::json::value_to_tag<endpoint_result>,
                           const boost::json::value& in);
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const error_body& e);

}  // namespace asyncscope
