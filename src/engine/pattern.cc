#include "engine/pattern.h"

namespace coffer {
namespace {

bool Glob(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0;
  while (pi < p.size()) {
    if (p[pi] == '*') {
      bool any_depth = pi + 1 < p.size() && p[pi + 1] == '*';
      std::string_view rest = p.substr(pi + (any_depth ? 2 : 1));
      // "**/" may also match no directory at all ("/**/x" matches "/x").
      if (any_depth && !rest.empty() && rest[0] == '/' && Glob(rest.substr(1), s.substr(si))) return true;
      for (size_t k = si;; ++k) {
        if (Glob(rest, s.substr(k))) return true;
        if (k >= s.size() || (!any_depth && s[k] == '/')) return false;
      }
    }
    if (si >= s.size()) return false;
    if (p[pi] == '?' ? s[si] == '/' : p[pi] != s[si]) return false;
    ++pi;
    ++si;
  }
  return si == s.size();
}

}  // namespace

bool MatchPattern(std::string_view pattern, std::string_view path) {
  if (pattern.empty()) return false;
  if (pattern.find('/') == std::string_view::npos) {
    // Any component of the path.
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      if (end > start && Glob(pattern, path.substr(start, end - start))) return true;
      start = end + 1;
    }
    return false;
  }
  // The path itself or any ancestor directory of it.
  for (size_t end = 1; end <= path.size(); ++end) {
    if ((end == path.size() || path[end] == '/') && Glob(pattern, path.substr(0, end))) return true;
  }
  return false;
}

bool MatchesAny(const std::vector<std::string>& patterns, std::string_view path) {
  for (const auto& p : patterns)
    if (MatchPattern(p, path)) return true;
  return false;
}

}  // namespace coffer
