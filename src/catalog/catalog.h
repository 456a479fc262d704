// Read-only views of a repository: snapshot filters, tree listings, find
// across snapshots and statistics.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "repo/repository.h"
#include "repo/snapshot_filter.h"

namespace coffer {

absl::StatusOr<std::vector<SnapshotEntry>> ListSnapshots(Repository& repo, const SnapshotFilter& filter);

struct ListedNode {
  std::string path;  // absolute path inside the snapshot
  Node node;
};

// Calls fn for every node below `tree` in depth-first, name order; `fn`
// returns false to skip a directory's contents.
absl::Status WalkTree(Repository& repo, const Id& tree, const std::string& base_path,
                      const std::function<bool(const ListedNode&)>& fn);

// Nodes of a snapshot at or below `path` ("/" for all). With recursive=false
// only the entry itself and its direct children.
absl::StatusOr<std::vector<ListedNode>> ListSnapshotTree(Repository& repo, const std::string& snapshot_ref,
                                                         const std::string& path, bool recursive);

struct FindMatch {
  Id snapshot;
  int64_t snapshot_time_ns = 0;
  ListedNode entry;
};
// Nodes whose path matches `pattern` (engine/pattern.h) in every snapshot
// the filter admits.
absl::StatusOr<std::vector<FindMatch>> FindInSnapshots(Repository& repo, const std::string& pattern,
                                                       const SnapshotFilter& filter);

struct RepoStats {
  uint64_t snapshots = 0;
  uint64_t files = 0, dirs = 0;
  uint64_t logical_bytes = 0;     // sum of file sizes over the chosen snapshots
  uint64_t unique_blobs = 0;
  uint64_t unique_bytes = 0;      // plaintext bytes of distinct blobs referenced
  uint64_t stored_bytes = 0;      // bytes those blobs take in packs
  uint64_t repository_bytes = 0;  // all objects on the store
  double dedup_ratio = 0;         // logical / unique
  double compression_ratio = 0;   // unique / stored
};
// Statistics over the snapshots the filter admits (all by default).
absl::StatusOr<RepoStats> ComputeStats(Repository& repo, const SnapshotFilter& filter);
// Statistics over the given snapshots. REQUIRES: the index is loaded.
absl::StatusOr<RepoStats> ComputeStatsFor(Repository& repo, const std::vector<SnapshotEntry>& snapshots);

}  // namespace coffer
