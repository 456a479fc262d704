// Content-defined chunking with a keyed gear hash and normalized chunking (a
// stricter cut condition before the average size, a looser one after).
//
// Two algorithms, both part of the repository format (docs/FORMAT.md §8):
//   gear-simd-v1     (default for new repositories) a 32-bit gear hash whose
//                    value at each byte depends only on the 32 bytes ending
//                    there, so SIMD code computes many positions at once;
//                    scalar, AVX2 and AVX-512 paths give identical cuts.
//   fastcdc-gear-v1  the original 64-bit FastCDC-style gear; scalar only.
//                    Kept so existing repositories chunk exactly as before.
//
// The gear table is derived from a per-repository secret, so chunk boundaries
// (and therefore chunk sizes visible on the store) do not reveal file contents
// to someone who knows the algorithm. Cut points depend only on the bytes, the
// algorithm, the parameters and the table: identical on every machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "base/bytes.h"
#include "chunk/gear_simd.h"
#include "chunk/gear_table.h"

namespace coffer {

struct ChunkerParams {
  uint32_t min_size = 512 * 1024;
  uint32_t avg_size = 1024 * 1024;
  uint32_t max_size = 8 * 1024 * 1024;
};

// OK when 64 <= min < avg < max <= 64 MiB and avg is a power of two.
absl::Status ValidateChunkerParams(const ChunkerParams& params);

enum class ChunkerAlgorithm {
  kFastCdcGearV1,  // "fastcdc-gear-v1"
  kGearSimdV1,     // "gear-simd-v1"
};

// The algorithm new repositories use.
inline constexpr ChunkerAlgorithm kDefaultChunkerAlgorithm = ChunkerAlgorithm::kGearSimdV1;

// The name stored in a repository's config.
std::string_view ChunkerAlgorithmName(ChunkerAlgorithm algorithm);
// nullopt for a name this library does not implement.
std::optional<ChunkerAlgorithm> ParseChunkerAlgorithm(std::string_view name);

class Chunker {
 public:
  // REQUIRES: ValidateChunkerParams(params).ok()
  // `path` matters only for gear-simd-v1; one this CPU cannot run is replaced
  // by SupportedChunkerPath(path).
  Chunker(ChunkerAlgorithm algorithm, const ChunkerParams& params, const GearTable& table,
          ChunkerPath path = DefaultChunkerPath());

  // Length of the chunk that starts at data[0]. Returns 0 when more data is
  // needed to decide: no cut point was found, data.size() < max_size and
  // !at_eof. With at_eof, returns at most data.size() (data.size() itself when
  // no cut point is found). Pure function of (data, algorithm, params, table).
  size_t NextChunkLength(ByteView data, bool at_eof) const;

  ChunkerAlgorithm algorithm() const { return algorithm_; }
  const ChunkerParams& params() const { return params_; }
  // The path in use (always kScalar for fastcdc-gear-v1).
  ChunkerPath path() const { return path_; }

 private:
  // The first cut length in [min_size, limit], or 0 when there is none.
  size_t FastCdcCut(const uint8_t* data, size_t limit) const;
  size_t GearSimdCut(const uint8_t* data, size_t limit) const;

  ChunkerAlgorithm algorithm_;
  ChunkerParams params_;
  ChunkerPath path_;
  // fastcdc-gear-v1
  GearTable table_;
  uint64_t mask_small_ = 0;  // used before avg_size: more one-bits, fewer cuts
  uint64_t mask_large_ = 0;  // used after avg_size: fewer one-bits, more cuts
  // gear-simd-v1
  GearSimdKey key_;
  GearSimdScan scan_ = nullptr;
  uint32_t limit_small_ = 0;  // before avg_size, cut when W < 2^(32 - (b + 2))
  uint32_t limit_large_ = 0;  // from avg_size on, when W < 2^(32 - (b - 2)); b = log2(avg)
};

}  // namespace coffer
