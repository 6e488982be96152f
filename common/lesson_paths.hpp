#pragma once
// The lesson's three endpoints, named once for server and client.

#include <array>
#include <string_view>

namespace asyncscope {

inline constexpr std::string_view sync_endpoint_path = "/sync-endpoint";
inline constexpr std::string_view async_endpoint_path = "/async-endpoint";
inline constexpr std::string_view async_wrong_path = "/async-wrong";

inline constexpr std::array lesson_paths{sync_endpoint_path, async_endpoint_path, async_wrong_path};

}  // namespace asyncscope
