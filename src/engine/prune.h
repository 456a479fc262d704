// prune: removes data no snapshot references.
//
// Under an exclusive lock (backups hold shared locks, so none runs), prune
//   1. finds every tree and blob the snapshots reference,
//   2. plans: packs with nothing used are deleted, packs whose unused share
//      reaches the threshold are repacked (used blobs copied, still
//      encrypted, into new packs), packs the index does not know (left by an
//      interrupted backup) are deleted, the rest are kept;
//   3. writes new packs, then new index objects that supersede all old ones,
//      then deletes the old index objects, and only then the packs.
// With an object lock (config object_lock) it never tries to delete an
// object still under retention: such packs are kept (unindexed when
// unused, so a later prune deletes them), and packs that an index object
// still under retention names are kept as they are; packs, snapshots, key
// slots and the config that stay get their retention extended.
// A crash at any point leaves every snapshot restorable: packs are deleted
// only after no index object names them any more. Anything that looks
// damaged (an unreadable index object, snapshot or tree, a used blob whose
// pack is gone) stops prune before it deletes anything.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace coffer {

struct PruneOptions {
  bool dry_run = false;
  // Repack a pack when at least this share of its bytes is unused (0..1].
  double repack_threshold = 0.25;
  ProgressFn progress;
};

struct PruneResult {
  uint64_t snapshots = 0;
  uint64_t packs_before = 0, packs_deleted = 0, packs_repacked = 0, packs_written = 0;
  uint64_t unindexed_packs_deleted = 0;
  uint64_t blobs_used = 0, blobs_removed = 0;
  uint64_t bytes_before = 0;   // all packs on the store
  uint64_t bytes_deleted = 0;  // packs deleted (including repacked originals)
  uint64_t bytes_written = 0;  // new packs
  uint64_t index_objects_replaced = 0;
  // Object lock (repositories with a retention lock): objects prune would
  // have deleted but left because their retention has not expired (a later
  // prune deletes them), and objects whose retention was extended because
  // they are still needed.
  uint64_t objects_retained = 0;
  uint64_t retention_extended = 0;
  bool dry_run = false;
  uint64_t bytes_freed() const { return bytes_deleted > bytes_written ? bytes_deleted - bytes_written : 0; }
};

absl::StatusOr<PruneResult> RunPrune(Repository& repo, const PruneOptions& options);

}  // namespace coffer
