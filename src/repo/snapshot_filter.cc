#include "repo/snapshot_filter.h"

#include <algorithm>

namespace coffer {
namespace {
std::string NormalizePath(std::string p) {
  if (p.empty() || p[0] != '/') p = "/" + p;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}
}  // namespace

bool SnapshotFilter::Matches(const Snapshot& s) const {
  if (!hosts.empty() && std::find(hosts.begin(), hosts.end(), s.host) == hosts.end()) return false;
  for (const auto& t : tags)
    if (std::find(s.tags.begin(), s.tags.end(), t) == s.tags.end()) return false;
  for (const auto& p : paths)
    if (std::find(s.paths.begin(), s.paths.end(), NormalizePath(p)) == s.paths.end()) return false;
  return true;
}

}  // namespace coffer
