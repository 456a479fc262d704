// The compact, immutable table behind the in-memory index: every blob id with
// its location in about 38..40 bytes per blob (docs/PERFORMANCE.md, "Index").
//
// Blob ids are keyed hashes, so their bits are uniformly distributed. Ids
// are kept sorted and split in three arrays:
//   dir   where each of the 2^16 buckets of ids (by their first two bytes)
//         starts: the first two bytes are not stored again;
//   fp    bytes 2..3 of every id (u16). A lookup guesses the id's place in
//         its bucket from them (ids are uniform), so the search reads one
//         or two cache lines of fp, hit or miss;
//   rec   bytes 4..31 of every id and its row (3 bytes, 4 above 2^24
//         blobs): where its location is in the pack-ordered part. Only a
//         candidate whose fp matches is compared, in full: a false match is
//         impossible.
// Locations are stored per pack, rows ordered by offset, each pack with its
// own bit widths (meta_bits): a fixed-width part per row (offset; an
// explicit length only when the pack's blobs are not back to back, else
// length = next offset - offset and the last blob's length is stored once;
// a type bit only when the pack mixes types), then the raw lengths: an
// incompressible blob's raw length is its envelope length less a few bytes
// and takes 6 bits, others take the pack's full width; when a pack has both,
// a bitmap says which is which (and a popcount finds a row's raw length).
// `rowpack` samples which pack holds every 64th row, so finding a row's pack
// is a short search.
//
// Thread-safety: const methods may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "base/bytes.h"
#include "base/id.h"
#include "base/pod_array.h"
#include "repo/pack.h"

namespace coffer {

// Where a blob lives; `pack` numbers the index's pack list.
struct BlobLocation {
  uint32_t pack = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t raw_length = 0;
  BlobType type = BlobType::kData;
  bool operator==(const BlobLocation&) const = default;
};

class IndexTable {
 public:
  static constexpr size_t npos = ~size_t{0};

  // The entries of a table to build: ascending ids, no duplicates.
  class Source {
   public:
    virtual ~Source() = default;
    virtual size_t size() const = 0;
    virtual const Id& id(size_t i) const = 0;
    virtual BlobLocation location(size_t i) const = 0;
  };
  // REQUIRES: every location's pack < pack_count, size() < 2^32.
  static IndexTable Build(const Source& source, uint32_t pack_count);

  size_t size() const { return entries_; }
  uint32_t pack_count() const { return packs_; }

  // The position of `id` (in id order), or npos.
  size_t Position(const Id& id) const;
  bool Has(const Id& id) const { return Position(id) != npos; }
  std::optional<BlobLocation> Find(const Id& id) const;
  // found[i] = Has(ids[i]). Works on groups of ids in stages so that the
  // cache misses of many lookups are in flight together: several times the
  // throughput of Has in a loop.
  void HasMany(std::span<const Id> ids, bool* found) const;
  // REQUIRES: i < size().
  Id IdAt(size_t i) const;
  BlobLocation LocationAt(size_t i) const;
  // Calls fn for every blob, in id order.
  void ForEach(absl::FunctionRef<void(const Id&, const BlobLocation&)> fn) const;

  // Bytes allocated by the table.
  size_t MemoryUsage() const;

  // For the local index cache: the numbers that fix every array's size, the
  // arrays as bytes (always in this order), and an empty table of a given
  // shape to read them into. Validate checks what lookups rely on (sizes,
  // monotone starts, widths, rows in range) so that even a table read from
  // a damaged file cannot make a lookup read out of bounds.
  struct Shape {
    uint64_t entries = 0;
    uint64_t packs = 0;
    uint64_t bit_bytes = 0;
  };
  Shape shape() const { return {entries_, packs_, bits_.size()}; }
  // InvalidArgument when the shape is out of range.
  static absl::Status CheckShape(const Shape& shape);
  // The byte size of each array of Arrays() for a table of `shape`.
  static std::vector<uint64_t> ArraySizes(const Shape& shape);
  // REQUIRES: CheckShape(shape).ok().
  static IndexTable Allocate(const Shape& shape);
  std::vector<ByteView> Arrays() const;
  std::vector<MutableByteView> MutableArrays();
  absl::Status Validate() const;

 private:
  size_t RecordSize() const { return 28 + link_bytes_; }
  uint32_t Link(size_t i) const;
  uint32_t PackOfRow(uint32_t row) const;
  // The first position in [lo, hi) whose fp is >= `fp`, starting at `guess`.
  size_t LowerBound(uint16_t fp, size_t lo, size_t hi, size_t guess) const;
  // Compares the records from `pos` on while their fp equals the id's.
  size_t Match(const Id& id, size_t pos, size_t hi) const;
  // The position of `id` in the bucket [lo, hi), starting from a guess.
  size_t Search(const Id& id, size_t lo, size_t hi, size_t guess) const;
  void FillId(size_t i, Id& id) const;

  uint64_t entries_ = 0;
  uint32_t packs_ = 0;
  uint32_t link_bytes_ = 3;
  PodArray<uint32_t> dir_;        // 2^16 + 1 bucket starts
  PodArray<uint16_t> fp_;         // entries + padding
  PodArray<uint8_t> rec_;         // entries * RecordSize() + padding
  PodArray<uint64_t> meta_bits_;  // packs + 1: format and first bit of each pack's rows
  PodArray<uint32_t> first_row_;  // packs + 1: the last is entries
  PodArray<uint32_t> rowpack_;    // ceil(entries / 64)
  PodArray<uint8_t> bits_;        // packed rows + padding
};

}  // namespace coffer
