#pragma once
// The client's flags, turned into one plain struct; docs/reference.md lists them for users.

#include <optional>
#include <string>

namespace asyncscope {

// What one run of asyncscope-client should do.
struct client_options {
  std::string endpoint{};              // the path, e.g. "/async-endpoint"
  int count = 1;                       // requests to send
  std::string host = "127.0.0.1";      // server address or name
  unsigned short port = 8000;          // server port
  std::optional<std::string> sleep{};  // "?sleep=" value, exactly as typed
  int concurrency = 1;                 // most requests in flight at once
  int threads = 2;                     // client event loops, each on its own thread
  double timeout_seconds = 120;        // per request: connect, write and read
  bool quiet = false;                  // no "Response i:" lines
  bool json = false;                   // only the summary, as one JSON object
  bool timeline = false;               // draw each request on its server thread after the summary
  std::optional<std::string> export_path{};  // write every request's record (or the picture) here
  // Sustained mode: `concurrency` connections kept alive, each sending its next request as soon
  // as the last is answered, for this many seconds; the summary says requests/s.
  std::optional<double> duration_seconds{};
  // With duration_seconds, on a ToDo list: each connection creates a task, lists, marks it done
  // and deletes it, over and over, instead of repeating one GET.
  bool todo_mix = false;
  std::optional<std::string> trace_out{};  // write the server's trace of the run here

  // The request target: the path plus "?sleep=..." when asked for.
  std::string target() const;
  // The sleep the user asked for, in seconds, when they asked for one.
  std::optional<double> sleep_seconds() const;
};

// What the command line asks for: a run, the help text, the version, or a usage error.
struct parsed_command_line {
  enum class action { run, show_help, show_version, usage_error };
  action what = action::run;
  client_options options{};  // meaningful when what == run
  std::string error{};       // one line naming the flag, when what == usage_error
};

// Pure: reads argv, touches nothing else, so tests can call it with made-up argument lists.
parsed_command_line parse_client_options(int argc, const char* const argv[]);

// The --help text: what the client does, its flags, and a few examples.
std::string client_help_text();

}  // namespace asyncscope
