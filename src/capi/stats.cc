#include "capi/stats.h"

#include <functional>

#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"

namespace coffer::capi {
namespace {

// ComputeStats (catalog) selects snapshots by host/tag/path only; for
// `coffer stats ID...` the snapshots are named. The figures are defined as
// in catalog.h. TODO(catalog): an id selector in SnapshotFilter would let
// this file shrink to the call below.
absl::StatusOr<RepoStats> StatsForSnapshots(Repository& repo,
                                            const std::vector<SnapshotEntry>& snapshots) {
  COFFER_RETURN_IF_ERROR(repo.LoadIndex());
  RepoStats stats;
  stats.snapshots = snapshots.size();
  absl::flat_hash_set<Id> seen_blobs;
  for (const SnapshotEntry& s : snapshots) {
    COFFER_RETURN_IF_ERROR(WalkTree(repo, s.snapshot.tree, "/", [&](const ListedNode& n) {
      if (n.node.type == NodeType::kDir) {
        stats.dirs++;
      } else if (n.node.type == NodeType::kFile) {
        stats.files++;
        stats.logical_bytes += n.node.size;
        for (const ContentPart& part : n.node.content) {
          if (part.is_hole() || !seen_blobs.insert(part.blob).second) continue;
          if (auto ref = repo.index().Find(part.blob)) {
            stats.unique_blobs++;
            stats.unique_bytes += ref->blob.raw_length;
            stats.stored_bytes += ref->blob.length;
          }
        }
      }
      return true;
    }));
  }
  COFFER_RETURN_IF_ERROR(repo.store().List("", [&](const ObjectInfo& info) {
    stats.repository_bytes += info.size;
    return absl::OkStatus();
  }));
  if (stats.unique_bytes)
    stats.dedup_ratio = static_cast<double>(stats.logical_bytes) / stats.unique_bytes;
  if (stats.stored_bytes)
    stats.compression_ratio = static_cast<double>(stats.unique_bytes) / stats.stored_bytes;
  return stats;
}

}  // namespace

absl::StatusOr<RepoStats> StatsFor(Repository& repo, const ParsedFilter& filter) {
  if (filter.ids.empty()) return ComputeStats(repo, filter.filter);
  std::vector<SnapshotEntry> chosen;
  absl::flat_hash_set<Id> seen;
  for (const std::string& ref : filter.ids) {
    COFFER_ASSIGN_OR_RETURN(SnapshotEntry entry, repo.FindSnapshot(ref));
    if (!filter.filter.Matches(entry.snapshot) || !seen.insert(entry.id).second) continue;
    chosen.push_back(std::move(entry));
  }
  return StatsForSnapshots(repo, chosen);
}

}  // namespace coffer::capi
