#pragma once
// The book's cruds and routers for the ToDo API, minus the waiting: which statement each action
// runs, and what it answers from the statement's outcome. The same for all three flavours, so
// their answers are identical; only where they wait differs (todo.cpp).

#include "db_query.hpp"
#include "todo_answer.hpp"
#include "todo_routes.hpp"

#include <chrono>

namespace asyncscope {

// The one statement each action runs. Each is a single statement, so two requests for the same
// task cannot interleave between a look and a change.
db_query todo_query(const todo_route& route);

// ?sleep=S: the database itself waits S seconds on this connection (real database I/O).
db_query slow_query(double seconds);

// The book's answer for what the statement did: 200 with its JSON, 404 or 400 as its routers
// raise them, 503 when the database could not be reached or refused the statement.
todo_answer todo_answer_for(const todo_route& route, const db_outcome& outcome);

// Started without --db.
todo_answer no_database_answer();

// Every pool connection stayed lent out for --db-wait-timeout.
todo_answer no_free_connection_answer(int pool_size, std::chrono::milliseconds waited);

}  // namespace asyncscope
