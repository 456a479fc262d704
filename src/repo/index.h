// The index: where every blob lives (pack, offset, length). It is built in
// memory from all index/ objects when a repository is opened. Index objects
// are encrypted with the index key, so a write-only key can deduplicate.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "base/id.h"
#include "crypto/secret.h"
#include "repo/pack.h"

namespace coffer {

struct BlobRef {
  Id pack;
  PackedBlob blob;
};

// One pack's entry in an index object.
struct PackContents {
  Id pack;
  std::vector<PackedBlob> blobs;
};

// The decoded content of one index/ object. `supersedes` names index objects
// this one replaces (written by prune/repair; they may then be deleted).
struct IndexObject {
  std::vector<Id> supersedes;
  std::vector<PackContents> packs;
};

Bytes EncryptIndexObject(const IndexObject& index, const Key32& index_key);
// DataLoss when the object is damaged or malformed.
absl::StatusOr<IndexObject> DecryptIndexObject(ByteView stored, const Key32& index_key);
// The parsing half of DecryptIndexObject: `plain` is the decrypted and
// decompressed content (magic "CFIX" onwards).
absl::StatusOr<IndexObject> ParseIndexObject(ByteView plain);

// The in-memory index. Not thread-safe for writes; concurrent reads are fine.
class Index {
 public:
  void AddPack(const PackContents& pack);
  void Merge(const IndexObject& object);

  bool Has(const Id& blob) const { return blobs_.contains(blob); }
  std::optional<BlobRef> Find(const Id& blob) const;
  size_t blob_count() const { return blobs_.size(); }
  size_t pack_count() const { return packs_.size(); }
  const std::vector<Id>& packs() const { return packs_; }

  template <typename Fn>  // fn(const BlobRef&)
  void ForEach(Fn&& fn) const {
    for (const auto& [id, loc] : blobs_) fn(Expand(id, loc));
  }

 private:
  struct Location {
    uint32_t pack;
    uint32_t offset;
    uint32_t length;
    uint32_t raw_length;
    BlobType type;
  };
  BlobRef Expand(const Id& id, const Location& loc) const;

  std::vector<Id> packs_;
  absl::flat_hash_map<Id, uint32_t> pack_numbers_;
  absl::flat_hash_map<Id, Location> blobs_;
};

}  // namespace coffer
