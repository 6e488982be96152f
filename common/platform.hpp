#pragma once
// What asyncscope asks of the operating system beyond Asio and the C++ library, in one place:
// thread names and ids (what `top -H` and the log lines show), the kernel's accept queue, and
// what the --workers parent needs to start and watch its workers. platform_linux.cpp is the
// only implementation built and tested here; a macOS build needs a platform_macos.cpp with the
// same functions (docs/reference.md, "Building on macOS").

#include <cstddef>
#include <string>

namespace asyncscope::platform {

// Names the calling thread for the OS (top -H, ps -L, gdb); the kernel keeps 15 characters.
void name_this_thread(const std::string& name);

// The OS's id for the calling thread, as top -H and ps -L show it.
long this_thread_id();

// Bytes the kernel holds in this socket's send queue that the peer has not acknowledged yet
// (a dashboard viewer that stopped reading leaves them there); 0 when the OS cannot tell.
int unsent_bytes(int socket);

// How many connections the kernel has completed for this listening socket that no one has
// accepted yet; -1 when the OS cannot tell.
int accept_queue_length(int listening_socket);

// The path to exec to start another copy of this program (a --workers worker).
const char* this_executable();

// pipe(2) with both ends closed on exec, atomically (no other thread's fork+exec inherits them).
bool make_pipe_closed_on_exec(int ends[2]);

// In a child between fork and exec: have the OS send SIGTERM to it when its parent dies. False
// when the OS cannot (the parent then has to take its workers down itself).
bool end_with_parent();

// Faults in `bytes` of the calling thread's heap and asks the allocator to keep freed memory,
// so the first burst of requests does not pay for page faults (warm_heap.hpp). Does nothing
// where the allocator offers no such knobs.
void fault_in_heap(std::size_t bytes);

}  // namespace asyncscope::platform
