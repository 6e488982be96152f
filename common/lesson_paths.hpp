#pragma once
// The endpoints the lesson is about, named once for server and client: the three of the
// original lesson, then the other pitfalls and the fix, then the database lesson's.

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

// The database lesson's ToDo API, the same three times (server/todo_routes.hpp); each takes
// /P/tasks, /P/tasks/{id} and /P/tasks/{id}/done.
inline constexpr std::string_view sync_tasks_path = "/sync/tasks";
inline constexpr std::string_view async_tasks_path = "/async/tasks";
inline constexpr std::string_view async_wrong_tasks_path = "/async-wrong/tasks";

inline constexpr std::array todo_paths{sync_tasks_path, async_tasks_path, async_wrong_tasks_path};

}  // namespace asyncscope
