// The database lesson: the book's ToDo API (chapter 13) three times, on the same tables, with
// identical answers. Only where each one waits for the database differs.
//
//   /sync/tasks         the book before chapter 13: plain `def` endpoints with pymysql. Blocking
//                       Connector/C calls, run on the worker pool; each pool thread has its own
//                       connection. N requests at once need N threads.
//   /async/tasks        the book after it: `async def` with aiomysql. A coroutine on the event
//                       loop awaits every round trip through Connector/C's non-blocking API, with
//                       a connection borrowed from a pool; one loop thread serves everybody.
//   /async-wrong/tasks  the pitfall: pymysql called inside `async def`. A coroutine on the event
//                       loop makes the blocking calls, so the loop stands still until the
//                       database answers, and requests go one at a time.
//
// What each action asks and answers (the book's cruds and routers) is in todo_crud.cpp; how a
// statement is sent is in blocking_connection.cpp and async_connection.cpp.

#include "todo.hpp"

#include "io_stopwatch.hpp"
#include "todo_crud.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace asyncscope {

using boost::asio::awaitable;

namespace {

// The answer, with who did the work and when; logged like the timer lesson's "done" line.
todo_answer finish(const todo_route& route, const db_outcome& outcome,
                   const io_stopwatch& stopwatch, const request_info& req) {
  auto answer = todo_answer_for(route, outcome);
  answer.timing = stopwatch.finish(std::string(route.path));
  spdlog::info("{} done: {} after {:.3f} s", req, static_cast<int>(answer.status),
               answer.timing.duration);
  return answer;
}

// /sync/tasks, like the book's `def` endpoints with pymysql: ordinary blocking calls. Safe only
// because run_todo (below) never calls it on the event loop.
todo_answer sync_tasks(const todo_route& route, const request_info& req,
                       per_thread_connections& connections) {
  spdlog::info("{} just called: {}", req, action_text(route));
  const io_stopwatch stopwatch{req};
  auto& db = connections.for_this_thread();  // this pool thread's own connection
  spdlog::info("{} connection taken: this thread's own", req);

  db_outcome outcome;
  if (route.sleep > 0) outcome = db.run(slow_query(route.sleep), req);  // blocks this thread
  if (outcome.ok()) outcome = db.run(todo_query(route), req);           // blocks this thread

  return finish(route, outcome, stopwatch, req);
}

// /async/tasks, like the book's `async def` with aiomysql: every round trip is awaited, so the
// loop serves others while the database works.
awaitable<todo_answer> async_tasks(const todo_route& route, const request_info& req,
                                   async_connection_pool& pool) {
  spdlog::info("{} just called: {}", req, action_text(route));
  const io_stopwatch stopwatch{req};
  const auto db = co_await pool.take(req);  // a pool connection; if none is free, await one
  if (!db) co_return no_free_connection_answer(pool.size(), pool.wait_timeout());

  db_outcome outcome;
  if (route.sleep > 0) outcome = co_await db->run(slow_query(route.sleep), req);  // loop is free
  if (outcome.ok()) outcome = co_await db->run(todo_query(route), req);           // loop is free

  co_return finish(route, outcome, stopwatch, req);
}  // `db` goes back to the pool here

// /async-wrong/tasks, like calling pymysql inside the book's `async def`: a coroutine whose
// database calls block, with no co_await to give the thread back. The loop stands still.
awaitable<todo_answer> async_wrong_tasks(const todo_route& route, const request_info& req,
                                         per_thread_connections& connections) {
  spdlog::info("{} just called: {}", req, action_text(route));
  const io_stopwatch stopwatch{req};
  auto& db = connections.for_this_thread();  // the loop thread's own blocking connection
  spdlog::info("{} connection taken: this loop thread's own", req);

  db_outcome outcome;
  if (route.sleep > 0) outcome = db.run(slow_query(route.sleep), req);  // the pitfall: blocks
  if (outcome.ok()) outcome = db.run(todo_query(route), req);           // the loop thread

  co_return finish(route, outcome, stopwatch, req);
}

}  // namespace

// Where each flavour runs. This switch, not the handlers' code, decides who waits.
awaitable<todo_answer> run_todo(const todo_route& route, const request_info& req,
                                todo_backend& backend) {
  if (!backend.has_database()) co_return no_database_answer();
  switch (route.flavour) {
    case todo_flavour::sync:
      spdlog::info("{} handed to the worker pool; the loop goes back to serving", req);
      co_return co_await backend.pool.run(
          [&] { return sync_tasks(route, req, backend.blocking()); });
    case todo_flavour::async:
      co_return co_await async_tasks(route, req, backend.async());  // on the event loop
    case todo_flavour::async_wrong:
      co_return co_await async_wrong_tasks(route, req, backend.blocking());  // blocks the loop
  }
  throw std::logic_error("unknown ToDo flavour");
}

}  // namespace asyncscope
