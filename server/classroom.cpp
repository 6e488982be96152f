#include "classroom.hpp"

#include <fmt/format.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <boost/asio/ip/address_v4.hpp>

#include <algorithm>

namespace asyncscope {

std::vector<std::string> this_machines_addresses() {
  std::vector<std::string> found;
  ifaddrs* first = nullptr;
  if (getifaddrs(&first) != 0) return found;
  for (const auto* at = first; at != nullptr; at = at->ifa_next) {
    if (at->ifa_addr == nullptr || at->ifa_addr->sa_family != AF_INET) continue;
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(at->ifa_addr);
    const boost::asio::ip::address_v4 address{ntohl(v4->sin_addr.s_addr)};
    if (address.is_loopback()) continue;
    if (std::find(found.begin(), found.end(), address.to_string()) == found.end()) {
      found.push_back(address.to_string());
    }
  }
  freeifaddrs(first);
  return found;
}

std::string classroom_banner(const std::vector<std::string>& addresses, unsigned short port,
                             std::string_view teacher_token) {
  const auto some = addresses.empty() ? std::string("THIS-MACHINES-ADDRESS") : addresses.front();
  std::string text;
  for (const auto& address : addresses) {
    text += fmt::format("classroom: students watch http://{}:{}/ (read-only)\n", address, port);
  }
  if (addresses.empty()) {
    text += fmt::format(
        "classroom: students watch http://THIS-MACHINES-ADDRESS:{}/ (read-only; no network "
        "address found besides loopback)\n",
        port);
  }
  text +=
      fmt::format("classroom: the teacher fires from http://127.0.0.1:{}/ on this machine\n", port);
  text += fmt::format(
      "classroom: or from another device: http://{}:{}/#token={} (keep it off the projector)\n",
      some, port, teacher_token);
  return text;
}

}  // namespace asyncscope
