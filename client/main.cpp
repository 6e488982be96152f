// asyncscope-client: fires N requests at one endpoint at once, prints each answer, then sums up
// what the answers reveal about where and when the server ran them.

#include "client_options.hpp"
#include "export.hpp"
#include "load.hpp"
#include "process_limits.hpp"
#include "summary.hpp"
#include "terminal.hpp"
#include "timeline.hpp"
#include "trace_fetch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace {

enum exit_code {
  all_succeeded = 0,
  some_failed = 1,
  bad_usage = 2,
  could_not_connect = 3,
  interrupted = 130  // 128 + SIGINT, as shells report a Ctrl-C
};

// Says where the client tried and how to start a server there.
void explain_no_connection(const asyncscope::client_options& options,
                           const asyncscope::request_record& first) {
  if (first.error == asyncscope::cannot_resolve_host) {
    fmt::print(stderr, "asyncscope-client: cannot resolve host '{}'; check --host\n", options.host);
    return;
  }
  const auto host_flag =
      options.host == "127.0.0.1" ? std::string() : fmt::format("--host {} ", options.host);
  fmt::print(stderr,
             "asyncscope-client: could not connect to {}:{} ({}). Is the server running? Start it "
             "with: asyncscope-server {}--port {}\n",
             options.host, options.port, first.error, host_flag, options.port);
}

// Creates the --export (or --trace-out) file before the first request: a path that cannot be
// written should not cost a whole run (fifty blocked requests take fifty seconds) before it is
// reported.
bool open_output_file(std::string_view flag, const std::string& path, std::ofstream& file) {
  file.open(path, std::ios::binary | std::ios::trunc);
  if (file) return true;
  fmt::print(stderr, "asyncscope-client: cannot write {} file '{}': {}\n", flag, path,
             std::strerror(errno));
  return false;
}

// Writes what --export asked for into the file opened before the run; says so if it failed.
bool write_export(const asyncscope::client_options& options, const asyncscope::load_result& run,
                  const asyncscope::summary& summary, std::ofstream& file) {
  const auto format = asyncscope::export_format_of(*options.export_path);
  file << asyncscope::export_text(*format, run, summary);
  file.close();
  if (file) return true;
  fmt::print(stderr, "asyncscope-client: writing --export file '{}' failed: {}\n",
             *options.export_path, std::strerror(errno));
  return false;
}

// Fetches the server's trace of the run (its seconds, and one more for the connections before
// the first send) into the --trace-out file opened before the run; says so if it failed.
bool write_trace(const asyncscope::client_options& options, const asyncscope::summary& summary,
                 std::ofstream& file) {
  const auto fetched =
      asyncscope::fetch_trace(options.host, options.port, std::ceil(summary.total_time) + 1, 60);
  if (!fetched.ok) {
    fmt::print(stderr,
               "asyncscope-client: could not fetch the server's trace for --trace-out: {}\n",
               fetched.error);
    return false;
  }
  file << fetched.body;
  file.close();
  if (file) return true;
  fmt::print(stderr, "asyncscope-client: writing --trace-out file '{}' failed: {}\n",
             *options.trace_out, std::strerror(errno));
  return false;
}

}  // namespace

int main(int argc, char* argv[]) {
  using asyncscope::parsed_command_line;
  const auto command_line = asyncscope::parse_client_options(argc, argv);
  switch (command_line.what) {
    case parsed_command_line::action::show_help:
      fmt::print("{}", asyncscope::client_help_text());
      return all_succeeded;
    case parsed_command_line::action::show_version:
      fmt::print("asyncscope-client {}\n", ASYNCSCOPE_VERSION);
      return all_succeeded;
    case parsed_command_line::action::usage_error:
      fmt::print(stderr, "asyncscope-client: {} (see --help)\n", command_line.error);
      return bad_usage;
    case parsed_command_line::action::run:
      break;
  }
  const auto& options = command_line.options;
  std::ofstream export_file;
  if (options.export_path && !open_output_file("--export", *options.export_path, export_file)) {
    return bad_usage;
  }
  std::ofstream trace_file;
  if (options.trace_out && !open_output_file("--trace-out", *options.trace_out, trace_file)) {
    return bad_usage;
  }

  asyncscope::raise_open_file_limit();
  const auto run = asyncscope::run_load(options);
  const auto& records = run.records;
  const auto summary = asyncscope::summarize(options, records);
  const bool none_connected =
      !run.interrupted && std::none_of(records.begin(), records.end(),
                                       [](const auto& record) { return record.connected; });

  if (options.json) {
    fmt::print("{}\n", asyncscope::summary_json(summary));
  } else if (!none_connected) {
    // The timeline draws every response, so it takes the place of their lines: fifty of them
    // would push the picture off an 80×24 terminal.
    // A --duration run's thousands of answers are summed up, not listed.
    if (!options.quiet && !options.timeline && !options.duration_seconds) {
      for (const auto& record : records) fmt::print("{}\n", asyncscope::response_line(record));
      fmt::print("\n");
    }
    const int width = asyncscope::terminal_columns();
    // With --timeline the verdict comes once, below the picture it sums up.
    auto above = summary;
    if (options.timeline) above.verdict.clear();
    fmt::print("{}", asyncscope::summary_text(above, width));
    if (options.timeline) {
      fmt::print("\n{}", asyncscope::timeline_text(asyncscope::build_timeline(run), summary.verdict,
                                                   width, asyncscope::colour_wanted()));
    }
  }
  if (options.export_path && !write_export(options, run, summary, export_file)) return bad_usage;
  if (options.trace_out && !none_connected && !write_trace(options, summary, trace_file)) {
    return bad_usage;
  }
  if (run.paced_connects > 0 && !options.json) {
    fmt::print(stderr,
               "asyncscope-client: {} connects waited for a free file descriptor (open-file limit "
               "{}); the requests were paced, not failed\n",
               run.paced_connects, asyncscope::open_file_limit());
  }
  if (run.interrupted) {
    fmt::print(stderr, "asyncscope-client: interrupted; the summary covers what finished\n");
    return interrupted;
  }

  if (none_connected) {
    explain_no_connection(options, records.front());
    return could_not_connect;
  }
  return summary.failed == 0 ? all_succeeded : some_failed;
}
