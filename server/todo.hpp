#pragma once
// The database lesson: the book's ToDo API three times. Their bodies are in todo.cpp, side by side.

#include "lesson.hpp"
#include "todo_answer.hpp"
#include "todo_backend.hpp"
#include "todo_routes.hpp"

#include <boost/asio/awaitable.hpp>

namespace asyncscope {

// Runs one ToDo request where its flavour runs: on the worker pool or on the event loop.
boost::asio::awaitable<todo_answer> run_todo(const todo_route& route, const request_info& req,
                                             todo_backend& backend);

}  // namespace asyncscope
