// The forgotten co_await, caught by the compiler: g++ -std=c++20 -fsyntax-only forgot_await.cpp
// Asio's awaitable is [[nodiscard]], so calling a coroutine and dropping what it returns warns.
#include <boost/asio/awaitable.hpp>

namespace asio = boost::asio;

asio::awaitable<void> query_database() {
  co_return;  // stands for real awaited I/O
}

asio::awaitable<void> handler() {
  query_database();  // forgot co_await: this line only creates the coroutine, which never runs
  co_await query_database();  // what was meant
}
