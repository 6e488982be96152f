#include "db_query.hpp"

namespace asyncscope {

std::string_view sql_of(statement which) {
  switch (which) {
    case statement::slow_query:
      return "DO SLEEP(?)";
    case statement::list_tasks:
      return "SELECT tasks.id, tasks.title, dones.id IS NOT NULL FROM tasks "
             "LEFT JOIN dones ON dones.id = tasks.id ORDER BY tasks.id";
    case statement::create_task:
      return "INSERT INTO tasks (title) VALUES (?)";
    case statement::rename_task:
      return "UPDATE tasks SET title = ? WHERE id = ?";
    case statement::delete_task:
      return "DELETE FROM tasks WHERE id = ?";
    case statement::mark_done:
      return "INSERT INTO dones (id) VALUES (?)";
    case statement::unmark_done:
      return "DELETE FROM dones WHERE id = ?";
    case statement::create_tasks_table:
      return "CREATE TABLE IF NOT EXISTS tasks (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
             "title VARCHAR(1024) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
    case statement::create_dones_table:
      return "CREATE TABLE IF NOT EXISTS dones (id INT NOT NULL PRIMARY KEY, "
             "FOREIGN KEY (id) REFERENCES tasks (id) ON DELETE CASCADE) "
             "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
  }
  return "";
}

}  // namespace asyncscope
