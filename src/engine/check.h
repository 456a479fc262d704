// check: verifies a repository's structure and, optionally, its data.
//
// Structure: every index object decrypts, every pack the index names exists
// and is long enough, every snapshot decrypts, every tree and blob a snapshot
// references is indexed and every tree decodes. With read_data (or a
// subset), packs are downloaded whole: the SHA-256 of each must match its
// name, and every blob in it must decrypt and match its keyed hash.
// Every problem names the object; damage is traced to snapshots and files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace coffer {

struct CheckOptions {
  bool read_data = false;        // every pack
  double read_data_percent = 0;  // (0, 100]: a random sample of packs
  uint32_t subset_k = 0;         // k of n: packs whose id's first byte % n == k - 1
  uint32_t subset_n = 0;
  // Phase kVerifying; returning false stops the check (CancelledError).
  ProgressFn progress;
};

struct CheckProblem {
  std::string object;  // "data/ab/ab12…", "index/…", "snapshots/…", "tree 3f2a…"
  std::string message;
};

struct DamagedFile {
  Id snapshot;
  std::string path;
};

struct CheckResult {
  uint64_t snapshots = 0, trees = 0, blobs = 0, packs = 0;
  uint64_t packs_read = 0, bytes_read = 0;
  std::vector<CheckProblem> errors;    // damage
  std::vector<CheckProblem> notices;   // harmless: unreferenced packs, stale locks
  std::vector<DamagedFile> damaged;    // files and directories that cannot be restored
  bool ok() const { return errors.empty(); }
};

// Parses "--read-data-subset" values: "25%" or "2/5".
absl::Status ParseReadDataSubset(std::string_view text, CheckOptions& options);

// Holds a shared lock. Fails only when checking is impossible (no access,
// store unreachable) or the progress callback cancelled it; damage is
// reported in the result.
absl::StatusOr<CheckResult> RunCheck(Repository& repo, const CheckOptions& options);

}  // namespace coffer
