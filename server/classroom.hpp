#pragma once
// --classroom: what the teacher reads at start. Students' browsers watch the dashboard on any of
// this machine's addresses; the teacher fires from this machine, or from another with the URL
// that carries the token (after '#', so it never reaches a server log or a Referer).

#include <string>
#include <string_view>
#include <vector>

namespace asyncscope {

// This machine's IPv4 addresses other than loopback ("192.168.0.10"), as the OS lists them.
std::vector<std::string> this_machines_addresses();

// The lines printed at start: the students' URL(s) and the teacher's.
std::string classroom_banner(const std::vector<std::string>& addresses, unsigned short port,
                             std::string_view teacher_token);

}  // namespace asyncscope
