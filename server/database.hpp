#pragma once
// The database every connection talks to, shared by both drivers and all their connections.

#include "mariadb_binding.hpp"

#include <atomic>

namespace asyncscope {

struct database {
  db_connection_settings settings;
  // Set once a connection has made sure the tables exist; until then each new connection tries
  // (the database may have been down when the server started).
  std::atomic<bool> tables_ready{false};
  std::atomic<int> connections_opened{0};  // numbers connections in logs: "connection #3"
};

// Whether the database closed this idle connection (it restarted, or dropped us): its socket
// is readable although we asked nothing. Such a connection is replaced before use.
bool closed_while_idle(MYSQL* mysql);

// The log line for a statement's outcome: "2 rows back", "1 row matched", "error 1062: ...".
std::string outcome_text(statement which, const db_outcome& outcome);

}  // namespace asyncscope
