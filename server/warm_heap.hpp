#pragma once
// A cold start as fast as a warm one. The first burst of connections after start found no memory
// ready: every page of the loop thread's heap was touched for the first time, each a page fault
// (10,000 connections: about 11,800 faults and 0.2 s more CPU on the loop than the next 10,000,
// which reuse that memory). So each loop thread faults in its heap before it serves anyone.

#include "platform.hpp"

#include <cstddef>

namespace asyncscope {

// Heap that 10,000 connections take on a loop thread (scripts/bench.sh measures it).
inline constexpr std::size_t heap_per_connection = 4 * 1024;

// On the calling thread: allocates and touches `bytes` of heap, frees it, and tells malloc to
// keep freed memory instead of giving it back to the kernel, so the pages stay ready.
// (The allocator's knobs differ per OS: platform.hpp.)
inline void warm_this_threads_heap(std::size_t bytes) {
  platform::fault_in_heap(bytes);
}

}  // namespace asyncscope
