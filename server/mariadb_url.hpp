#pragma once
// Where the database is: the --db flag's mariadb://USER:PASSWORD@HOST:PORT/DATABASE.

#include <string>
#include <string_view>
#include <variant>

namespace asyncscope {

struct mariadb_url {
  std::string user;
  std::string password;
  std::string host;
  unsigned short port = 3306;
  std::string database;

  // The URL with the password hidden, for logs and error messages.
  std::string without_password() const;
};

// The URL's parts, percent-decoded (a password with '@' or '/' in it is written %40, %2F), or
// one sentence saying what is wrong with it.
std::variant<mariadb_url, std::string> parse_mariadb_url(std::string_view text);

}  // namespace asyncscope
