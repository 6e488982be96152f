// Linux (glibc): see platform.hpp. Everything here is a plain system call or glibc function;
// nothing else in asyncscope includes a Linux-only header.

#include "platform.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace asyncscope::platform {

void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());  // the kernel keeps 15 chars
}

long this_thread_id() {
  return gettid();
}

int unsent_bytes(int socket) {
  int bytes = 0;
  return ioctl(socket, SIOCOUTQ, &bytes) == 0 ? bytes : 0;
}

int accept_queue_length(int listening_socket) {
  // For a listening socket, Linux reports its accept queue in tcpi_unacked (what `ss -lt`
  // prints as Recv-Q).
  tcp_info info{};
  socklen_t size = sizeof info;
  if (getsockopt(listening_socket, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return -1;
  if (info.tcpi_state != TCP_LISTEN) return -1;  // closed at shutdown (or the number reused)
  return static_cast<int>(info.tcpi_unacked);
}

const char* this_executable() {
  return "/proc/self/exe";
}

bool make_pipe_closed_on_exec(int ends[2]) {
  return pipe2(ends, O_CLOEXEC) == 0;
}

bool end_with_parent() {
  return prctl(PR_SET_PDEATHSIG, SIGTERM) == 0;
}

void fault_in_heap(std::size_t bytes) {
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

}  // namespace asyncscope::platform
