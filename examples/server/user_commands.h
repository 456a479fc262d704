// `coffer-server user add|remove|list`: edits the users file (users.h).
// Each returns the process exit code and prints its own errors.
#pragma once

#include <string>

namespace server {

struct UserCommandArgs {
  std::string users_file;
  std::string name;
};

int UserAdd(const UserCommandArgs& args);
int UserRemove(const UserCommandArgs& args);
int UserList(const UserCommandArgs& args);

}  // namespace server
