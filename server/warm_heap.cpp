#include "warm_heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace asyncscope {

void warm_this_threads_heap(std::size_t bytes) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  (void)bytes;  // the sanitizers bring their own allocator: nothing of this would stay warm
#else
  // glibc gives the top of a heap back once more than M_TRIM_THRESHOLD (128 KiB) is free there;
  // then the next burst would fault the same pages in again.
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(bytes + 64 * 1024 * 1024));
  // Pieces this large come from this thread's heap only below the mmap threshold (its most).
  constexpr std::size_t piece = 8 * 1024 * 1024;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  std::vector<void*> pieces;
  for (std::size_t taken = 0; taken < bytes; taken += piece) {
    auto* memory = static_cast<char*>(std::malloc(piece));
    if (memory == nullptr) break;
    pieces.push_back(memory);
    // Every page at once, in one system call: a fault per page costs far more (on this VM
    // 10,000 faults took a second).
    const auto first = (reinterpret_cast<std::uintptr_t>(memory) + page - 1) & ~(page - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(memory) + piece) & ~(page - 1);
    if (madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_WRITE) != 0) {
      std::memset(memory, 0, piece);  // a kernel older than 5.14: touch each page instead
    }
  }
  for (void* memory : pieces) std::free(memory);
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // glibc's default again for everything else
#endif
}

}  // namespace asyncscope
