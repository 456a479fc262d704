// Facts about the running process recorded in locks, key slots and snapshots.
#pragma once

#include <string>

namespace coffer {

std::string CurrentHostName();
std::string CurrentUserName();

}  // namespace coffer
