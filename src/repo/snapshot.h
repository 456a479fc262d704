// Snapshots: one object per backup (snapshots/<sha256>), written last.
//
//   magic "CFSN" | version u8 = 1 | sealed data key (80) | envelope(JSON)
//
// Like a pack, each snapshot has a fresh data key sealed to the repository's
// public key: only a full key can read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "base/id.h"
#include "crypto/aead.h"
#include "crypto/sealed_box.h"

namespace coffer {

struct SnapshotSummary {
  uint64_t files_new = 0, files_changed = 0, files_unchanged = 0;
  uint64_t dirs = 0, other_entries = 0;
  uint64_t bytes_read = 0;          // file bytes read from disk (cache misses)
  uint64_t bytes_total = 0;         // logical size of all files in the snapshot
  uint64_t blobs_added = 0;
  uint64_t bytes_added = 0;         // plaintext bytes of new blobs
  uint64_t bytes_added_stored = 0;  // bytes those blobs take on the store
  uint64_t errors = 0;
  double duration_seconds = 0;
};

struct SnapshotError {
  std::string path;
  std::string message;
};

struct Snapshot {
  int64_t time_ns = 0;  // Unix time, nanoseconds
  std::string host, user;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::optional<Id> parent;
  // Set by copy between repositories with different keys: the snapshot's id
  // in the repository it was copied from (lets a later copy skip it).
  std::optional<Id> original;
  Id tree;
  bool partial = false;  // some files could not be read
  SnapshotSummary summary;
  std::vector<SnapshotError> errors;
  std::string program_version;
};

Bytes EncryptSnapshot(const Snapshot& snapshot, Cipher cipher, const Key32& repo_public_key);
// DataLoss when damaged or malformed.
absl::StatusOr<Snapshot> DecryptSnapshot(ByteView stored, const KeyPair& repo_keys);
// The parsing half of DecryptSnapshot: `json` is the decrypted document.
absl::StatusOr<Snapshot> ParseSnapshot(ByteView json);

}  // namespace coffer
