// Content-defined chunking: FastCDC-style gear rolling hash with normalized
// chunking (a stricter mask before the average size, a looser one after).
//
// The gear table is derived from a per-repository secret, so chunk boundaries
// (and therefore chunk sizes visible on the store) do not reveal file contents
// to someone who knows the algorithm. Cut points depend only on the bytes, the
// parameters and the table: identical on every machine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "base/bytes.h"

namespace coffer {

struct ChunkerParams {
  uint32_t min_size = 512 * 1024;
  uint32_t avg_size = 1024 * 1024;
  uint32_t max_size = 8 * 1024 * 1024;
};

// OK when 64 <= min < avg < max <= 64 MiB and avg is a power of two.
absl::Status ValidateChunkerParams(const ChunkerParams& params);

struct GearTable {
  std::array<uint64_t, 256> values{};
  // Deterministic expansion of a 32-byte seed (e.g. a key derived from the
  // repository's ID key) into 256 pseudo-random 64-bit values.
  static GearTable FromSeed(ByteView seed);
};

class Chunker {
 public:
  // REQUIRES: ValidateChunkerParams(params).ok()
  Chunker(const ChunkerParams& params, const GearTable& table);

  // Length of the chunk that starts at data[0]. Returns 0 when more data is
  // needed to decide: no cut point was found, data.size() < max_size and
  // !at_eof. With at_eof, returns at most data.size() (data.size() itself when
  // no cut point is found). Pure function of (data, params, table).
  size_t NextChunkLength(ByteView data, bool at_eof) const;

  const ChunkerParams& params() const { return params_; }

 private:
  ChunkerParams params_;
  GearTable table_;
  uint64_t mask_small_;  // used before avg_size: more one-bits, fewer cuts
  uint64_t mask_large_;  // used after avg_size: fewer one-bits, more cuts
};

}  // namespace coffer
