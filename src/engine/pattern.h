// Include/exclude patterns, matched against absolute paths ("/home/a/x.log").
//   *   any run of characters except '/'
//   **  any run of characters including '/'
//   ?   one character except '/'
// A pattern without '/' matches the last component anywhere ("*.tmp",
// "node_modules"); one with '/' matches the whole path from the start
// ("/home/*/cache", "**/build"). A pattern also matches everything below a
// matching directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coffer {

bool MatchPattern(std::string_view pattern, std::string_view path);
bool MatchesAny(const std::vector<std::string>& patterns, std::string_view path);

}  // namespace coffer
