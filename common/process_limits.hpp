#pragma once

namespace asyncscope {

// Thousands of sockets at once need more file descriptors than the usual soft limit of 1024:
// raises the soft limit to the hard limit, as far as the system allows.
void raise_open_file_limit();

// The soft limit on open file descriptors now.
long open_file_limit();

}  // namespace asyncscope
