#include "capi/stats.h"

#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"

namespace coffer::capi {

absl::StatusOr<RepoStats> StatsFor(Repository& repo, const ParsedFilter& filter) {
  if (filter.ids.empty()) return ComputeStats(repo, filter.filter);
  std::vector<SnapshotEntry> chosen;
  absl::flat_hash_set<Id> seen;
  for (const std::string& ref : filter.ids) {
    COFFER_ASSIGN_OR_RETURN(SnapshotEntry entry, repo.FindSnapshot(ref));
    if (!filter.filter.Matches(entry.snapshot) || !seen.insert(entry.id).second) continue;
    chosen.push_back(std::move(entry));
  }
  COFFER_RETURN_IF_ERROR(repo.LoadIndex());
  return ComputeStatsFor(repo, chosen);
}

}  // namespace coffer::capi
