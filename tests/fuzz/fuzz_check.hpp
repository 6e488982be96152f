#pragma once
// The fuzz targets' assertion: an invariant that does not hold is a crash libFuzzer keeps.

#include <cstdio>
#include <cstdlib>

namespace asyncscope::fuzzing {

// Unlike assert(), stays on whatever the build type, and says which rule broke.
inline void check(bool holds, const char* invariant) {
  if (holds) return;
  std::fprintf(stderr, "invariant broken: %s\n", invariant);
  std::abort();
}

}  // namespace asyncscope::fuzzing
