#pragma once
// /async-cpu's work: a real computation, not a sleep, so the CPU is busy the whole time.

#include <chrono>
#include <cstdint>

namespace asyncscope {

// Counts primes by trial division until `how_long` has passed; returns how many it found.
inline std::uint64_t count_primes_for(std::chrono::duration<double> how_long) {
  const auto deadline = std::chrono::steady_clock::now() + how_long;
  std::uint64_t found = 0;
  for (std::uint64_t n = 2;; ++n) {
    bool prime = true;
    for (std::uint64_t d = 2; d * d <= n; ++d) {
      if (n % d == 0) {
        prime = false;
        break;
      }
    }
    if (prime) ++found;
    if (n % 1024 == 0 && std::chrono::steady_clock::now() >= deadline) return found;
  }
}

}  // namespace asyncscope
