#pragma once
// The database flags: --db, --db-connections, --db-wait-timeout, --db-timeout.

#include "mariadb_url.hpp"

#include <boost/program_options/options_description.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace asyncscope {

struct db_options {
  std::optional<mariadb_url> url;                 // none: the ToDo routes answer 503 no_database
  int connections = 64;                           // the async flavour's pool
  std::chrono::milliseconds wait_timeout{5'000};  // for a free pool connection; then 503
  std::chrono::seconds timeout{5};  // to connect; and, past the ?sleep=, for an answer
};

// The flags as typed, before validation.
struct raw_db_flags {
  std::string url, wait_timeout, timeout;
  int connections = 0;
};

// Adds the database flags to the server's, with their defaults and help.
void add_db_flags(boost::program_options::options_description& flags, raw_db_flags& raw);

// Fills `out` from the flags; an error message (for "asyncscope-server: ...") when one is bad.
std::optional<std::string> read_db_flags(const raw_db_flags& raw, db_options& out);

}  // namespace asyncscope
