// The index: where every blob lives (pack, offset, length). It is built in
// memory from all index/ objects when a repository is opened (or read from
// the local index cache, repo/index_cache.h). Index objects are encrypted
// with the index key, so a write-only key can deduplicate.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "base/id.h"
#include "crypto/secret.h"
#include "repo/index_table.h"
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

// The in-memory index: an immutable compact table (IndexTable, about 40
// bytes per blob) built when the index is loaded, plus a small hash map for
// blobs added afterwards (a backup's new packs). When the map outgrows a
// quarter of the table it is folded in (Compact). Merging keeps the first
// location of a blob: later copies (concurrent backups, repacking) are
// ignored, so every location the index answers was the first merged.
//
// Not thread-safe for writes; concurrent reads are fine.
class Index {
 public:
  void AddPack(const PackContents& pack);
  void Merge(const IndexObject& object);

  bool Has(const Id& blob) const {
    return table_.Has(blob) || (!added_.empty() && added_.contains(blob));
  }
  // found[i] = Has(blobs[i]); faster than Has in a loop (lookups overlap).
  void HasMany(std::span<const Id> blobs, bool* found) const;
  std::optional<BlobRef> Find(const Id& blob) const;
  size_t blob_count() const { return table_.size() + added_.size(); }
  size_t pack_count() const { return packs_.size(); }
  // Every pack named by a merged index object (the table's in id order,
  // then those added since).
  const std::vector<Id>& packs() const { return packs_; }

  template <typename Fn>  // fn(const BlobRef&)
  void ForEach(Fn&& fn) const {
    table_.ForEach([&](const Id& id, const BlobLocation& loc) { fn(Expand(id, loc)); });
    for (const auto& [id, loc] : added_) fn(Expand(id, loc));
  }

  // Folds blobs added since the table was built into a new table.
  void Compact();
  // True when every blob is in the compact table (nothing added since).
  bool compact() const { return added_.empty() && packs_.size() == table_.pack_count(); }
  const IndexTable& table() const { return table_; }
  // An index of a table and its packs (sorted ids, as many as the table
  // numbers); DataLoss when they do not fit together.
  static absl::StatusOr<Index> FromTable(IndexTable table, std::vector<Id> packs);
  // Bytes allocated by the index.
  size_t MemoryUsage() const;

 private:
  friend class IndexBuilder;
  BlobRef Expand(const Id& id, const BlobLocation& loc) const {
    return BlobRef{packs_[loc.pack], PackedBlob{loc.type, id, loc.offset, loc.length, loc.raw_length}};
  }
  uint32_t PackNumber(const Id& pack);
  // A new table of everything indexed plus `more` (if not null).
  void Rebuild(const IndexObject* more);

  IndexTable table_;
  std::vector<Id> packs_;  // [0, table_.pack_count()) sorted; then added ones
  absl::flat_hash_map<Id, uint32_t> added_packs_;
  absl::flat_hash_map<Id, BlobLocation> added_;
};

// Builds an Index from many index objects at once: cheaper in time and in
// peak memory than merging them one by one. First location wins, in the
// order blobs are added.
class IndexBuilder {
 public:
  IndexBuilder();
  ~IndexBuilder();
  IndexBuilder(IndexBuilder&&) noexcept;
  IndexBuilder& operator=(IndexBuilder&&) noexcept;

  void Merge(const IndexObject& object);
  void AddPack(const PackContents& pack);
  // The pack's number (the same for the same id).
  uint32_t AddPackId(const Id& pack);
  void AddBlob(uint32_t pack_number, const PackedBlob& blob);
  size_t blobs_added() const { return count_; }
  Index Build() &&;

 private:
  struct Record {
    Id id;
    uint32_t pack;
    uint32_t offset;
    uint32_t length;
    uint32_t raw_length;
    BlobType type;
  };
  Record& At(size_t i);
  std::vector<Id> packs_;
  absl::flat_hash_map<Id, uint32_t> pack_numbers_;
  std::vector<PodArray<Record>> blocks_;
  size_t count_ = 0;
};

}  // namespace coffer
