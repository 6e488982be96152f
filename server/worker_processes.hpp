#pragma once
// --workers N: N copies of the server, each a process with its own event loop and worker pool,
// sharing one port, like uvicorn's or gunicorn's --workers. The kernel spreads new connections
// over them (SO_REUSEPORT); a parent process starts them, starts a new one when one dies, and
// passes SIGTERM/SIGINT on to them all. Processes, threads and coroutines side by side:
// docs/how-it-works.md.

#include "options.hpp"

#include <boost/asio/ip/tcp.hpp>

namespace asyncscope {

// The parent's whole life, from the flags to its exit code: picks the port, starts the workers
// (fresh processes: each makes its own threads), prints `listening on http://HOST:PORT` once
// they all listen, replaces a worker that dies, and on a signal waits until every worker drained.
int run_worker_processes(const server_options& options, int argc, char* argv[]);

// In a worker, before bind: lets its listening socket share the port with the other workers'.
void share_port_with_other_workers(boost::asio::ip::tcp::acceptor& acceptor);

// In a worker, once it listens: tells the parent, which prints the address when all have.
void tell_parent_listening(const worker_role& role);

}  // namespace asyncscope
