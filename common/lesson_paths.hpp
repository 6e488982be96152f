#pragma once
// The endpoints the lesson is about, named once for server and client: the three of the
// original lesson, then the other pitfalls and the fix.

#include <array>
#include <string_view>

namespace asyncscope {

inline constexpr std::string_view sync_endpoint_path = "/sync-endpoint";
inline constexpr std::string_view async_endpoint_path = "/async-endpoint";
inline constexpr std::string_view async_wrong_path = "/async-wrong";
inline constexpr std::string_view async_offload_path = "/async-offload";
inline constexpr std::string_view async_forgot_await_path = "/async-forgot-await";
inline constexpr std::string_view async_cpu_path = "/async-cpu";

inline constexpr std::array lesson_paths{sync_endpoint_path,      async_endpoint_path,
                                         async_wrong_path,        async_offload_path,
                                         async_forgot_await_path, async_cpu_path};

}  // namespace asyncscope
