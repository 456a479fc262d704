#include "repo/host_info.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>

namespace coffer {

std::string CurrentHostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

std::string CurrentUserName() {
  if (struct passwd* pw = getpwuid(geteuid())) return pw->pw_name;
  return std::to_string(geteuid());
}

}  // namespace coffer
