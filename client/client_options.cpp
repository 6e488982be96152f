#include "client_options.hpp"

#include "export.hpp"
#include "lesson_paths.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace asyncscope {

namespace po = boost::program_options;

namespace {

constexpr int max_count = 1'000'000;
constexpr double max_timeout_seconds = 86'400;
constexpr double max_duration_seconds = 3'600;

// The lesson's endpoints, and the database lesson's ToDo lists, can be named without their
// leading slash, with or without a query.
// One description serves both the parser and --help, so the two cannot disagree.
po::options_description client_flags() {
  po::options_description flags("Options");
  // clang-format off
  flags.add_options()
    ("endpoint,e", po::value<std::string>()->value_name("NAME"),
     "sync-endpoint, async-endpoint, async-wrong, the database lesson's sync/tasks, "
     "async/tasks, async-wrong/tasks (a name may take a query: async/tasks?sleep=1), or any path "
     "starting with / (required)")
    ("count,c", po::value<int>()->default_value(1)->value_name("N"),
     "requests to send; with --duration, the connections to keep busy")
    ("host", po::value<std::string>()->default_value("127.0.0.1")->value_name("HOST"),
     "server address")
    ("port", po::value<int>()->default_value(8000)->value_name("PORT"), "server port")
    ("sleep", po::value<std::string>()->value_name("SECONDS"),
     "ask the server to simulate this much I/O (adds ?sleep=)")
    ("concurrency", po::value<int>()->value_name("N"),
     "most requests in flight at once, each on its own connection (default: count)")
    ("threads,t", po::value<int>()->default_value(2)->value_name("N"),
     "client threads, each running its own event loop (like wrk's -t); "
     "thousands of connections need more than one")
    ("timeout", po::value<double>()->default_value(120, "120")->value_name("SECONDS"),
     "give up on a request after this long")
    ("quiet,q", po::bool_switch(), "no per-response lines, only the summary")
    ("json", po::bool_switch(), "print only the summary, as one JSON object")
    ("timeline", po::bool_switch(),
     "after the summary, draw each request as a bar on the server thread that ran it, over time, "
     "instead of a line per response; fits an 80x24 terminal")
    ("export", po::value<std::string>()->value_name("FILE"),
     "write every request's record to FILE as CSV (.csv) or JSON Lines (.jsonl, .ndjson), or "
     "the timeline as a picture (.svg)")
    ("duration", po::value<double>()->value_name("SECONDS"),
     "sustained mode, for throughput: keep -c connections alive, each sending its next request "
     "as soon as the last is answered, for SECONDS; the summary adds requests/s")
    ("todo-mix", po::bool_switch(),
     "with --duration on a ToDo list (-e async/tasks): each connection creates a task, lists "
     "the tasks, marks it done and deletes it, over and over")
    ("trace-out", po::value<std::string>()->value_name("FILE"),
     "after the run, fetch the server's flight recorder for the run's seconds (GET /trace) and "
     "write it to FILE: Chrome trace-event JSON, for ui.perfetto.dev or chrome://tracing")
    ("help", "show this help")
    ("version", "show the version");
  // clang-format on
  return flags;
}

// Maps the user's endpoint name to a path, or says which names are accepted.
std::optional<std::string> endpoint_path(const std::string& name) {
  if (name.starts_with('/')) return name;
  const auto path = "/" + name;
  // A query may follow: "async/tasks?sleep=1".
  const auto before_query = std::string_view(path).substr(0, path.find('?'));
  const auto named = [before_query](const auto& paths) {
    return std::find(paths.begin(), paths.end(), before_query) != paths.end();
  };
  if (named(lesson_paths) || named(todo_paths)) return path;
  return std::nullopt;
}

// Checks the values the parser cannot check by type; returns the first problem, naming its flag.
std::optional<std::string> check_ranges(const po::variables_map& vm) {
  const int count = vm["count"].as<int>();
  if (count < 1) return fmt::format("--count must be at least 1 (got {})", count);
  if (count > max_count) {
    return fmt::format("--count must be at most {} (got {})", max_count, count);
  }
  const int port = vm["port"].as<int>();
  if (port < 1 || port > 65535) {
    return fmt::format("--port must be between 1 and 65535 (got {})", port);
  }
  if (vm.count("sleep") && !parse_seconds(vm["sleep"].as<std::string>())) {
    return fmt::format(
        "--sleep must be a plain decimal number of seconds >= 0, like 1 or 0.25 (got '{}')",
        vm["sleep"].as<std::string>());
  }
  if (vm.count("concurrency") && vm["concurrency"].as<int>() < 1) {
    return fmt::format("--concurrency must be at least 1 (got {})", vm["concurrency"].as<int>());
  }
  const int threads = vm["threads"].as<int>();
  if (threads < 1 || threads > 64) {
    return fmt::format("--threads must be between 1 and 64 (got {})", threads);
  }
  if (vm["timeline"].as<bool>() && vm["json"].as<bool>()) {
    return "--timeline cannot go with --json, which prints only one JSON object (--export "
           "FILE.jsonl gives scripts every request)";
  }
  if (vm.count("export") && !export_format_of(vm["export"].as<std::string>())) {
    return fmt::format("--export '{}' must end in {}", vm["export"].as<std::string>(),
                       export_extensions);
  }
  if (vm.count("duration")) {
    const double duration = vm["duration"].as<double>();
    if (!(duration > 0 && duration <= max_duration_seconds)) {
      return fmt::format("--duration must be more than 0 and at most {} seconds (got {})",
                         max_duration_seconds, duration);
    }
    if (vm["timeline"].as<bool>()) {
      return "--timeline cannot go with --duration: thousands of requests do not fit a terminal";
    }
    if (vm.count("export") &&
        export_format_of(vm["export"].as<std::string>()) == export_format::svg) {
      return "--export to .svg cannot go with --duration (too many requests to draw); use .csv or "
             ".jsonl";
    }
  }
  if (vm["todo-mix"].as<bool>()) {
    if (!vm.count("duration")) return "--todo-mix needs --duration";
    const auto& name = vm["endpoint"].as<std::string>();
    const auto path = "/" + name.substr(name.starts_with('/') ? 1 : 0);
    const auto before_query = std::string_view(path).substr(0, path.find('?'));
    if (std::find(todo_paths.begin(), todo_paths.end(), before_query) == todo_paths.end()) {
      return fmt::format(
          "--todo-mix needs a ToDo list as --endpoint: sync/tasks, async/tasks or "
          "async-wrong/tasks (got '{}')",
          name);
    }
  }
  const double timeout = vm["timeout"].as<double>();
  if (!(timeout > 0 && timeout <= max_timeout_seconds)) {
    return fmt::format("--timeout must be more than 0 and at most {} seconds (got {})",
                       max_timeout_seconds, timeout);
  }
  return std::nullopt;
}

// Builds the options from flags already checked by check_ranges.
client_options options_from(const po::variables_map& vm, std::string path) {
  client_options options;
  options.endpoint = std::move(path);
  options.count = vm["count"].as<int>();
  options.host = vm["host"].as<std::string>();
  options.port = static_cast<unsigned short>(vm["port"].as<int>());
  if (vm.count("sleep")) options.sleep = vm["sleep"].as<std::string>();
  options.concurrency = vm.count("concurrency")
                            ? std::min(vm["concurrency"].as<int>(), options.count)
                            : options.count;
  options.threads = std::min(vm["threads"].as<int>(), options.concurrency);
  options.timeout_seconds = vm["timeout"].as<double>();
  options.quiet = vm["quiet"].as<bool>();
  options.json = vm["json"].as<bool>();
  options.timeline = vm["timeline"].as<bool>();
  if (vm.count("export")) options.export_path = vm["export"].as<std::string>();
  if (vm.count("duration")) options.duration_seconds = vm["duration"].as<double>();
  options.todo_mix = vm["todo-mix"].as<bool>();
  if (vm.count("trace-out")) options.trace_out = vm["trace-out"].as<std::string>();
  return options;
}

// A rejected command line: one line for stderr that names the flag at fault.
parsed_command_line usage_error(std::string message) {
  return {.what = parsed_command_line::action::usage_error, .error = std::move(message)};
}

}  // namespace

std::string client_options::target() const {
  if (!sleep) return endpoint;
  const char separator = endpoint.find('?') == std::string::npos ? '?' : '&';
  return fmt::format("{}{}sleep={}", endpoint, separator, *sleep);
}

std::optional<double> client_options::sleep_seconds() const {
  return sleep ? parse_seconds(*sleep) : std::nullopt;
}

parsed_command_line parse_client_options(int argc, const char* const argv[]) {
  po::variables_map vm;
  try {
    const po::positional_options_description no_positional_arguments;
    po::store(po::command_line_parser(argc, argv)
                  .options(client_flags())
                  .positional(no_positional_arguments)
                  .run(),
              vm);
  } catch (const po::too_many_positional_options_error&) {
    return usage_error("unexpected argument: every value needs its flag, e.g. -e async-endpoint");
  } catch (const po::error& e) {
    return usage_error(e.what());
  }
  if (vm.count("help")) return {.what = parsed_command_line::action::show_help};
  if (vm.count("version")) return {.what = parsed_command_line::action::show_version};

  if (!vm.count("endpoint")) {
    return usage_error(
        "--endpoint is required: sync-endpoint, async-endpoint, async-wrong, async/tasks (and "
        "the other ToDo lists), or a path starting with /");
  }
  const auto& name = vm["endpoint"].as<std::string>();
  // A space or a control character would end the request line early, and a CR LF would start a
  // header of the caller's choosing: refused here, never sent.
  const auto unsafe =
      std::find_if(name.begin(), name.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
  if (unsafe != name.end()) {
    return usage_error(fmt::format(
        "--endpoint may not contain spaces or control characters (found byte 0x{:02x}); "
        "percent-encode them, e.g. %20",
        static_cast<unsigned char>(*unsafe)));
  }
  auto path = endpoint_path(name);
  if (!path) {
    return usage_error(fmt::format(
        "--endpoint '{}' is not one of sync-endpoint, async-endpoint, async-wrong, sync/tasks, "
        "async/tasks, async-wrong/tasks, or a path starting with /",
        name));
  }
  if (auto problem = check_ranges(vm)) return usage_error(std::move(*problem));
  return {.what = parsed_command_line::action::run, .options = options_from(vm, std::move(*path))};
}

std::string client_help_text() {
  std::ostringstream text;
  text
      << "Usage: asyncscope-client -e ENDPOINT [-c N] [options]\n\n"
         "Sends N requests to one asyncscope-server endpoint, all at once (each on its own\n"
         "connection), waits for every answer, and prints each response like the lesson's\n"
         "Python client did. Then it sums up what the server's answers reveal: which process\n"
         "and threads ran the requests, how many overlapped at one instant, and whether they\n"
         "ran concurrently, one after another, or in waves, ending with the total time.\n"
         "With --timeline it draws each request on a timeline instead of printing it.\n\n"
      << client_flags()
      << "\nExamples:\n"
         "  asyncscope-client -e async-endpoint -c 50\n"
         "      50 coroutines awaiting a timer on one loop thread: about one sleep in total\n"
         "  asyncscope-client -e sync-endpoint -c 50 --sleep 0.5\n"
         "      50 blocking handlers on the 40-thread pool: two waves\n"
         "  asyncscope-client -e async-wrong -c 5 -q\n"
         "      a blocking call on the loop thread: five sleeps, one after another\n"
         "  asyncscope-client -e async-wrong -c 5 -q --timeline\n"
         "      the same, drawn: five bars on loop-0, a staircase, each one starting when the\n"
         "      one before it ended\n"
         "  asyncscope-client -e sync-endpoint -c 50 --export sync.csv\n"
         "      one row per request (client send and receive times, server start and finish,\n"
         "      pid, thread, status) for a spreadsheet; .jsonl for jq, .svg for a picture\n"
         "  asyncscope-client -e async/tasks?sleep=1 -c 50\n"
         "      the database lesson (server started with --db): 50 GET /async/tasks, each\n"
         "      waiting 1 s in MariaDB; the answers are the book's JSON, and their headers say\n"
         "      who ran them, so the summary and the timeline are the same as above\n"
         "  asyncscope-client -e async/tasks -c 10 --duration 3 -q\n"
         "      throughput: 10 connections kept alive for 3 s, each asking again as soon as it is\n"
         "      answered; the summary says how many requests per second were answered\n\n"
         "  asyncscope-client -e async-wrong -c 5 -q --trace-out run.json\n"
         "      then open run.json in ui.perfetto.dev: a track per server thread, a slice per\n"
         "      handler run, arrows joining each request's runs\n\n"
         "--timeline uses the terminal's width, else $COLUMNS, else 100 columns, and colour only\n"
         "on a terminal without NO_COLOR; it draws at most 6 rows of bars, so that a run fits in\n"
         "24 lines. --export creates or replaces FILE before the first request is sent, so a path\n"
         "that cannot be written stops the run at once (exit 2); if writing fails after the run,\n"
         "the summary is still printed, then the error (exit 2).\n\n"
         "A request that times out, is reset, cut short or answered with something that is not\n"
         "HTTP counts as failed, with its reason in the summary (failures). More requests than\n"
         "free file descriptors wait for one: they are paced, not failed. Ctrl-C stops the run\n"
         "and prints the summary of what finished (exit 130).\n\n"
         "With --duration the run is timed, not counted: -c connections (or --concurrency) stay\n"
         "open and keep asking until SECONDS have passed; requests in flight then are still\n"
         "answered and counted. The responses are not printed one by one, and the summary adds\n"
         "a throughput line (answered requests per second, first send to last answer).\n\n"
         "Exit status: 0 all succeeded, 1 some failed, 2 bad usage or --export could not be\n"
         "written, 3 could not connect, 130 interrupted.\n";
  return text.str();
}

}  // namespace asyncscope
