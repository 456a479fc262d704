// forget: removes snapshot objects, chosen by id or by a retention policy.
// Only snapshots go; the data they alone referenced stays until prune.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "policy/retention.h"
#include "repo/repository.h"
#include "repo/snapshot_filter.h"

namespace coffer {

struct ForgetOptions {
  // Retention applied to the snapshots the filter admits (grouped by host
  // and paths). Snapshots outside the filter are never touched.
  std::optional<RetentionRules> retention;
  SnapshotFilter filter;
  // Snapshots to forget by id or unique prefix (besides any retention).
  std::vector<std::string> snapshots;
  bool dry_run = false;
};

struct ForgetResult {
  std::vector<RetentionDecision> decisions;  // one per snapshot considered
  std::vector<Id> removed;                   // would be removed, in a dry run
  bool dry_run = false;
};

// InvalidArgument when neither retention nor snapshots are given, or the
// rules are invalid; NotFound for an unknown snapshot id. Holds a shared lock.
absl::StatusOr<ForgetResult> RunForget(Repository& repo, const ForgetOptions& options);

}  // namespace coffer
