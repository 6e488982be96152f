#include "todo_routes.hpp"
#include "todo_crud.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <string>
#include <vector>

using namespace asyncscope;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr double max_sleep = 60;

std::variant<todo_route, todo_answer> parse(http::verb method, std::string_view target,
                                            std::string_view body = "") {
  return parse_todo_request(method, target, body, max_sleep);
}

todo_route route_of(http::verb method, std::string_view target, std::string_view body = "") {
  auto parsed = parse(method, target, body);
  EXPECT_TRUE(std::holds_alternative<todo_route>(parsed)) << target;
  return std::holds_alternative<todo_route>(parsed) ? std::get<todo_route>(parsed) : todo_route{};
}

todo_answer refusal_of(http::verb method, std::string_view target, std::string_view body = "") {
  auto parsed = parse(method, target, body);
  EXPECT_TRUE(std::holds_alternative<todo_answer>(parsed)) << target << " " << body;
  return std::holds_alternative<todo_answer>(parsed) ? std::get<todo_answer>(parsed)
                                                     : todo_answer{};
}

std::string error_of(const todo_answer& a) {
  return json::value_to<std::string>(json::parse(a.body).at("error"));
}

}  // namespace

TEST(TodoRoutes, EachPrefixIsItsFlavourAndItsPathIsTheLabel) {
  for (auto [method, target, flavour, path] :
       {std::tuple{http::verb::get, "/sync/tasks", todo_flavour::sync, "/sync/tasks"},
        std::tuple{http::verb::put, "/async/tasks/3/done?sleep=1", todo_flavour::async,
                   "/async/tasks"},
        std::tuple{http::verb::delete_, "/async-wrong/tasks/3", todo_flavour::async_wrong,
                   "/async-wrong/tasks"}}) {
    EXPECT_EQ(todo_path_of(target), path);
    const auto r = route_of(method, target);
    EXPECT_EQ(r.flavour, flavour) << target;
    EXPECT_EQ(r.path, path);
  }
}

TEST(TodoRoutes, OtherPathsAreNotToDoPaths) {
  for (auto target : {"/", "/tasks", "/sync", "/sync/task", "/sync-endpoint", "/async/tasksx",
                      "/Sync/tasks", "/async-wrong", "/x/tasks"}) {
    EXPECT_EQ(todo_path_of(target), "") << target;
  }
}

TEST(TodoRoutes, EachMethodAndPathIsTheBooksAction) {
  EXPECT_EQ(route_of(http::verb::get, "/sync/tasks").action, todo_action::list);
  const auto created = route_of(http::verb::post, "/sync/tasks", R"({"title": "laundry"})");
  EXPECT_EQ(created.action, todo_action::create);
  EXPECT_EQ(created.title, "laundry");
  const auto renamed = route_of(http::verb::put, "/sync/tasks/7", R"({"title": "x"})");
  EXPECT_EQ(renamed.action, todo_action::rename);
  EXPECT_EQ(renamed.id, 7);
  EXPECT_EQ(renamed.title, "x");
  EXPECT_EQ(route_of(http::verb::delete_, "/sync/tasks/7").action, todo_action::remove);
  EXPECT_EQ(route_of(http::verb::put, "/sync/tasks/7/done").action, todo_action::mark_done);
  EXPECT_EQ(route_of(http::verb::delete_, "/sync/tasks/7/done").action, todo_action::unmark_done);
}

TEST(TodoRoutes, SleepIsZeroUnlessAskedAndAtMostMaxSleep) {
  EXPECT_DOUBLE_EQ(route_of(http::verb::get, "/async/tasks").sleep, 0);
  EXPECT_DOUBLE_EQ(route_of(http::verb::get, "/async/tasks?sleep=0.2").sleep, 0.2);
  EXPECT_DOUBLE_EQ(route_of(http::verb::get, "/async/tasks?sleep=60").sleep, 60);
  for (auto target : {"/async/tasks?sleep=60.5", "/async/tasks?sleep=-1", "/async/tasks?sleep=x",
                      "/async/tasks?sleep=", "/async/tasks?sleep=1&sleep=2"}) {
    const auto a = refusal_of(http::verb::get, target);
    EXPECT_EQ(a.status, http::status::unprocessable_entity) << target;
    EXPECT_EQ(error_of(a), "validation");
  }
}

TEST(TodoRoutes, AnIdMustBeAPositiveIntegerThatFitsTheColumn) {
  EXPECT_EQ(route_of(http::verb::delete_, "/sync/tasks/2147483647").id, 2147483647);
  for (auto target : {"/sync/tasks/0", "/sync/tasks/-1", "/sync/tasks/abc", "/sync/tasks/1.5",
                      "/sync/tasks/2147483648", "/sync/tasks/99999999999999999999",
                      "/sync/tasks/+1", "/sync/tasks/%31%00", "/sync/tasks/"}) {
    const auto a = refusal_of(http::verb::delete_, target);
    EXPECT_EQ(a.status, http::status::unprocessable_entity) << target;
    EXPECT_EQ(error_of(a), "validation") << target;
  }
}

TEST(TodoRoutes, TheBodyMustBeAnObjectWithAStringTitleOfAtMost1024Bytes) {
  const std::string longest(1024, 'a');
  EXPECT_EQ(route_of(http::verb::post, "/sync/tasks", R"({"title": ")" + longest + "\"}").title,
            longest);
  EXPECT_EQ(route_of(http::verb::post, "/sync/tasks", R"({"title": "", "extra": 1})").title, "");
  for (const std::string& body : std::vector<std::string>{
           "", "nope", "[]", "\"laundry\"", "{}", R"({"title": 3})", R"({"title": null})",
           R"({"title": ["a"]})", R"({"titl": "a"})", "{\"title\": \"" + longest + "a\"}",
           "{\"title\": \"\xff\"}", R"({"title": "a")"}) {
    const auto a = refusal_of(http::verb::post, "/sync/tasks", body);
    EXPECT_EQ(a.status, http::status::unprocessable_entity) << body;
    EXPECT_EQ(error_of(a), "validation") << body;
  }
}

TEST(TodoRoutes, KoreanAndEmojiTitlesCountInBytes) {
  const std::string title = "세탁소에 맡긴 것을 찾으러 가기 🧺";
  EXPECT_EQ(route_of(http::verb::post, "/async/tasks", R"({"title": ")" + title + "\"}").title,
            title);
  std::string too_long;
  while (too_long.size() + 3 <= 1024) too_long += "가";  // 3 bytes each
  too_long += "가";                                      // 1026 bytes
  EXPECT_EQ(
      refusal_of(http::verb::post, "/async/tasks", R"({"title": ")" + too_long + "\"}").status,
      http::status::unprocessable_entity);
}

TEST(TodoRoutes, AMethodThePathDoesNotTakeIs405WithAllow) {
  auto a = refusal_of(http::verb::delete_, "/sync/tasks");
  EXPECT_EQ(a.status, http::status::method_not_allowed);
  EXPECT_EQ(a.allow, "GET, POST");
  a = refusal_of(http::verb::get, "/async/tasks/1");
  EXPECT_EQ(a.status, http::status::method_not_allowed);
  EXPECT_EQ(a.allow, "PUT, DELETE");
  a = refusal_of(http::verb::post, "/async/tasks/1/done");
  EXPECT_EQ(a.allow, "PUT, DELETE");
}

TEST(TodoRoutes, AnUnknownPathUnderTasksIs404) {
  for (auto target : {"/sync/tasks/1/undone", "/sync/tasks/1/done/x", "/sync/tasks/1/2"}) {
    const auto a = refusal_of(http::verb::put, target);
    EXPECT_EQ(a.status, http::status::not_found) << target;
  }
}

TEST(TodoRoutes, AnIdThatIsNotTextIsEchoedPercentEncoded) {
  const auto a = refusal_of(http::verb::delete_, "/sync/tasks/%ff%00");
  EXPECT_NE(a.body.find("%ff%00"), std::string::npos) << a.body;
}
