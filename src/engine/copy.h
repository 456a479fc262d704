// copy: replicates snapshots, with everything they reference, from one
// repository into another (a second region or provider).
//
// Two modes, chosen by the keys:
//   * shared keys (the destination was made with init --copy-keys-from the
//     source, or the other way round): blob ids, chunking and pack
//     encryption are the same in both, so packs, and then snapshot objects,
//     are copied byte for byte without being decrypted; each one's SHA-256
//     must equal its name before it is written. Index objects for the copied
//     packs are written in the destination.
//   * unrelated keys: every blob is read (and verified) from the source,
//     re-encrypted and stored under the destination's keyed id; trees are
//     rewritten with the new ids. The new snapshot records the source id in
//     `original`, so a later copy skips it, and a later copy learns which
//     source blobs the destination already has by walking the trees of
//     snapshots copied earlier, so it reads only new data.
// Either way the copy is incremental (only what the destination lacks is
// written) and follows the write order pack → index → snapshot: a
// snapshot is written only after everything it references is indexed.
//
// Both repositories are held under shared locks; neither is modified
// except by adding objects to the destination.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "repo/repository.h"

namespace coffer {

struct CopyOptions {
  // Source snapshots ("latest", ids or unique prefixes); empty: all.
  std::vector<std::string> snapshots;
};

struct CopiedSnapshot {
  Id source;
  Id destination;
  bool skipped = false;  // the destination already had it
};

struct CopyResult {
  bool shared_keys = false;
  std::vector<CopiedSnapshot> snapshots;
  uint64_t snapshots_copied = 0, snapshots_skipped = 0;
  uint64_t packs_copied = 0, pack_bytes_copied = 0;      // shared keys
  uint64_t blobs_copied = 0, blob_bytes_copied = 0;      // unrelated keys (plaintext)
  uint64_t blobs_present = 0;                            // needed, already in the destination
  uint64_t index_objects_written = 0;
};

// True when both repositories use the same ID, index and data keys.
bool SharesKeys(const Repository& a, const Repository& b);

// PermissionDenied when either key is write-only; NotFound for a snapshot
// reference that matches nothing in the source; DataLoss naming the object
// when source data does not verify (nothing referencing it is written).
absl::StatusOr<CopyResult> RunCopy(Repository& source, Repository& destination,
                                   const CopyOptions& options);

}  // namespace coffer
