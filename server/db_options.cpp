#include "db_options.hpp"

#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include <cmath>

namespace asyncscope {

namespace po = boost::program_options;

void add_db_flags(po::options_description& flags, raw_db_flags& raw) {
  const db_options defaults;
  // clang-format off
  flags.add_options()
    ("db", po::value(&raw.url)->default_value(""),
     "the database for the ToDo routes (/sync/tasks, /async/tasks, /async-wrong/tasks): "
     "mariadb://USER:PASSWORD@HOST:PORT/DATABASE, as scripts/db.sh prints it")
    ("db-connections", po::value(&raw.connections)->default_value(defaults.connections),
     "connections in the pool that /async/tasks borrows from")
    ("db-wait-timeout",
     po::value(&raw.wait_timeout)->default_value(decimal_text(defaults.wait_timeout.count() / 1000.0)),
     "seconds /async/tasks waits for a free pool connection; then 503 with Retry-After")
    ("db-timeout", po::value(&raw.timeout)->default_value(std::to_string(defaults.timeout.count())),
     "whole seconds to connect to the database (then 503); an answer may take this long "
     "past its ?sleep=");
  // clang-format on
}

std::optional<std::string> read_db_flags(const raw_db_flags& raw, db_options& out) {
  if (!raw.url.empty()) {
    auto url = parse_mariadb_url(raw.url);
    if (auto* problem = std::get_if<std::string>(&url)) return fmt::format("--db: {}", *problem);
    out.url = std::get<mariadb_url>(url);
  }
  if (raw.connections < 1 || raw.connections > 1000) {
    return fmt::format("--db-connections must be from 1 to 1000, got {}", raw.connections);
  }
  out.connections = raw.connections;
  const auto wait = parse_seconds(raw.wait_timeout);
  if (!wait || *wait < 0.001 || *wait > 3600) {
    return fmt::format("--db-wait-timeout must be a number of seconds from 0.001 to 3600, got '{}'",
                       raw.wait_timeout);
  }
  out.wait_timeout = std::chrono::milliseconds(std::llround(*wait * 1000));
  const auto timeout = parse_seconds(raw.timeout);
  if (!timeout || *timeout < 1 || *timeout > 3600 || *timeout != std::floor(*timeout)) {
    return fmt::format(
        "--db-timeout must be a whole number of seconds from 1 to 3600 (Connector/C counts in "
        "seconds), got '{}'",
        raw.timeout);
  }
  out.timeout = std::chrono::seconds(static_cast<int>(*timeout));
  return std::nullopt;
}

}  // namespace asyncscope
