#include "todo_crud.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

using namespace asyncscope;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

todo_route route(todo_action action, std::int64_t id = 0, std::string title = "") {
  return {.flavour = todo_flavour::async,
          .path = async_tasks_path,
          .action = action,
          .id = id,
          .title = std::move(title)};
}

json::value body_of(const todo_answer& a) {
  return json::parse(a.body);
}

}  // namespace

TEST(TodoCrud, EachActionIsOnePreparedStatementWithItsParameters) {
  const auto renamed = route(todo_action::rename, 3, "x");
  const auto q = todo_query(renamed);
  EXPECT_EQ(q.which, statement::rename_task);
  EXPECT_EQ(q.id, 3);
  EXPECT_EQ(q.title, "x");
  EXPECT_EQ(sql_of(q.which), "UPDATE tasks SET title = ? WHERE id = ?");
  EXPECT_EQ(todo_query(route(todo_action::mark_done, 3)).which, statement::mark_done);
  EXPECT_EQ(slow_query(0.5).which, statement::slow_query);
  EXPECT_DOUBLE_EQ(slow_query(0.5).seconds, 0.5);
}

TEST(TodoCrud, AnswersAreTheBooksJson) {
  db_outcome listed;
  listed.rows = {{1, "a", false}, {2, "b", true}};
  EXPECT_EQ(body_of(todo_answer_for(route(todo_action::list), listed)),
            json::parse(R"([{"id":1,"title":"a","done":false},{"id":2,"title":"b","done":true}])"));
  EXPECT_EQ(body_of(todo_answer_for(route(todo_action::create, 0, "t"), {.new_id = 9})),
            json::parse(R"({"id":9,"title":"t","done":false})"));
  EXPECT_EQ(body_of(todo_answer_for(route(todo_action::rename, 9, "u"), {.matched = 1})),
            json::parse(R"({"id":9,"title":"u"})"));
  EXPECT_EQ(todo_answer_for(route(todo_action::remove, 9), {.matched = 1}).body, "null");
  EXPECT_EQ(body_of(todo_answer_for(route(todo_action::mark_done, 9), {.matched = 1})),
            json::parse(R"({"id":9})"));
  EXPECT_EQ(todo_answer_for(route(todo_action::unmark_done, 9), {.matched = 1}).body, "null");
}

TEST(TodoCrud, MissingTasksAndDonesAre404AndADoubleDoneIs400) {
  for (auto action : {todo_action::rename, todo_action::remove}) {
    const auto a = todo_answer_for(route(action, 9, "u"), {.matched = 0});
    EXPECT_EQ(a.status, http::status::not_found);
    EXPECT_EQ(body_of(a), json::parse(R"({"error":"not_found","detail":"Task not found"})"));
  }
  const auto no_task = todo_answer_for(route(todo_action::mark_done, 9), {.error = 1452});
  EXPECT_EQ(no_task.status, http::status::not_found);
  const auto twice = todo_answer_for(route(todo_action::mark_done, 9), {.error = 1062});
  EXPECT_EQ(twice.status, http::status::bad_request);
  EXPECT_EQ(body_of(twice),
            json::parse(R"({"error":"already_done","detail":"Done already exists"})"));
  const auto not_done = todo_answer_for(route(todo_action::unmark_done, 9), {.matched = 0});
  EXPECT_EQ(not_done.status, http::status::not_found);
  EXPECT_EQ(body_of(not_done), json::parse(R"({"error":"not_found","detail":"Done not found"})"));
}

TEST(TodoCrud, AnUnreachableDatabaseIs503WithRetryAfterAndTheReason) {
  const auto a = todo_answer_for(route(todo_action::list),
                                 {.error = 2002, .message = "cannot connect to mariadb://..."});
  EXPECT_EQ(a.status, http::status::service_unavailable);
  EXPECT_TRUE(a.retry_after);
  EXPECT_EQ(body_of(a).at("error"), "database_unavailable");
  EXPECT_EQ(body_of(a).at("detail"), "cannot connect to mariadb://...");
}

TEST(TodoCrud, AnyOtherDatabaseErrorIs503NotA500) {
  const auto a = todo_answer_for(route(todo_action::list), {.error = 1146, .message = "no table"});
  EXPECT_EQ(a.status, http::status::service_unavailable);
  EXPECT_EQ(body_of(a).at("error"), "database_error");
}

TEST(TodoCrud, NoDatabaseNamesDbSh) {
  const auto a = no_database_answer();
  EXPECT_EQ(a.status, http::status::service_unavailable);
  EXPECT_EQ(body_of(a).at("error"), "no_database");
  EXPECT_NE(a.body.find("scripts/db.sh"), std::string::npos);
}
