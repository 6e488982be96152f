#pragma once
// One place sets up the logger; everybody else just calls spdlog::info(...).

#include <spdlog/common.h>

#include <string>

namespace asyncscope {

// Every line reads `<time> Process ID: <pid> | Thread ID: <tid> (<thread name>) | <text>`.
void setup_logging(spdlog::level::level_enum level);

// Names the calling thread for the logs and for the OS (`top -H`, `ps -L`, gdb).
void name_this_thread(const std::string& name);

const std::string& this_thread_name();
long this_thread_os_id();

}  // namespace asyncscope
