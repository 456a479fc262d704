// The chunk-length rule shared by both algorithms, and fastcdc-gear-v1's hash.
//
// Rule (part of the on-store format, docs/FORMAT.md §8): a candidate chunk
// length L (min_size <= L <= max_size) is a cut point when the hash of the
// window ending at byte L-1 passes the test for L: the stricter one for
// L < avg_size, the looser one for L >= avg_size (normalized chunking, level 2,
// FastCDC 2016). The chunk length is the smallest such L; if none exists up to
// max_size, the chunk is max_size long (or, at the end of the input, whatever
// is left). Bytes before min_size - 64 never influence a cut.
//
// fastcdc-gear-v1 (every implementation must return exactly these lengths):
//
//   Gear hash: h <- (h << 1) + T[byte] (mod 2^64), T = the GearTable.
//   Because each step shifts by one bit, after 64 steps the first byte has
//   left the register: the hash after byte i depends only on bytes
//   i-63 .. i. Call it the window hash W(i) = sum_{k=0..63} T[data[i-k]] << k.
//
//   The test for L is (W(L-1) & mask(L)) == 0, where mask(L) = mask_small for
//   L < avg_size and mask_large for L >= avg_size.
//
//   The scalar loop computes W by starting with h = 0 at byte
//   min_size - 64 (min_size >= 64 is enforced), so the first 64 hashed bytes
//   fill the window exactly at the first candidate L = min_size.
//
//   Masks: with b = log2(avg_size), mask_small has b + 2 one-bits (cuts are 4x
//   rarer than 1/avg before the average) and mask_large has b - 2 one-bits (4x
//   more frequent after it). The one-bits are spread over the upper 48 bits of
//   the hash, at positions 63 - floor(i * 48 / n) for i = 0 .. n-1: high bits
//   depend on many window bytes, while bit k of W depends only on the last
//   k + 1 bytes.
//
// gear-simd-v1: the 32-bit window hash of gear_simd.h; the test for L is
// W(L-1) < 2^(32 - n), i.e. its top n bits are zero, with n = b + 2 before
// avg_size and b - 2 from it on. The scans live in gear_simd*.cc.
#include "chunk/chunker.h"

#include <algorithm>
#include <bit>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace coffer {
namespace {

constexpr uint64_t kMaxChunkerSize = 64ull << 20;
constexpr size_t kWindow = 64;
constexpr int kNormalizationLevel = 2;
constexpr int kSpreadBits = 48;

uint64_t SpreadMask(int ones) {
  uint64_t mask = 0;
  for (int i = 0; i < ones; ++i) mask |= uint64_t{1} << (63 - (i * kSpreadBits) / ones);
  return mask;
}

// Scans candidate lengths L in [from, to) and returns the first with
// (W(L-1) & mask) == 0, or 0 when there is none. `h` carries the hash of the
// bytes before index from - 1 in and the hash after index to - 2 out.
// REQUIRES: the caller guarantees data[from - 1 .. to - 2] is readable.
inline size_t FindCut(const uint8_t* data, const uint64_t* table, uint64_t& h, size_t from,
                      size_t to, uint64_t mask) {
  size_t i = from - 1;  // index of the byte that ends a chunk of length i + 1
  const size_t end = to - 1;
  uint64_t x = h;
  // Unrolled by 8: the hash is a serial chain, so the win is fewer loop
  // branches and address updates, not parallelism.
  while (i + 8 <= end) {
#define COFFER_GEAR_STEP(k)                      \
  x = (x << 1) + table[data[i + k]];             \
  if ((x & mask) == 0) {                         \
    h = x;                                       \
    return i + k + 1;                            \
  }
    COFFER_GEAR_STEP(0)
    COFFER_GEAR_STEP(1)
    COFFER_GEAR_STEP(2)
    COFFER_GEAR_STEP(3)
    COFFER_GEAR_STEP(4)
    COFFER_GEAR_STEP(5)
    COFFER_GEAR_STEP(6)
    COFFER_GEAR_STEP(7)
#undef COFFER_GEAR_STEP
    i += 8;
  }
  for (; i < end; ++i) {
    x = (x << 1) + table[data[i]];
    if ((x & mask) == 0) {
      h = x;
      return i + 1;
    }
  }
  h = x;
  return 0;
}

}  // namespace

absl::Status ValidateChunkerParams(const ChunkerParams& params) {
  const uint64_t min = params.min_size, avg = params.avg_size, max = params.max_size;
  if (min < kWindow) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunker min_size ", min, " is below ", kWindow, " bytes"));
  }
  if (!std::has_single_bit(avg)) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunker avg_size ", avg, " is not a power of two"));
  }
  if (avg <= min) {
    return absl::InvalidArgumentError(absl::StrCat("chunker avg_size ", avg,
                                                   " must be greater than min_size ", min));
  }
  if (max <= avg) {
    return absl::InvalidArgumentError(absl::StrCat("chunker max_size ", max,
                                                   " must be greater than avg_size ", avg));
  }
  if (max > kMaxChunkerSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunker max_size ", max, " is above 64 MiB (", kMaxChunkerSize, ")"));
  }
  return absl::OkStatus();
}

std::string_view ChunkerAlgorithmName(ChunkerAlgorithm algorithm) {
  switch (algorithm) {
    case ChunkerAlgorithm::kFastCdcGearV1:
      return "fastcdc-gear-v1";
    case ChunkerAlgorithm::kGearSimdV1:
      return "gear-simd-v1";
  }
  return "unknown";
}

std::optional<ChunkerAlgorithm> ParseChunkerAlgorithm(std::string_view name) {
  for (ChunkerAlgorithm a : {ChunkerAlgorithm::kFastCdcGearV1, ChunkerAlgorithm::kGearSimdV1}) {
    if (name == ChunkerAlgorithmName(a)) return a;
  }
  return std::nullopt;
}

Chunker::Chunker(ChunkerAlgorithm algorithm, const ChunkerParams& params, const GearTable& table,
                 ChunkerPath path)
    : algorithm_(algorithm), params_(params), path_(ChunkerPath::kScalar) {
  const int bits = std::countr_zero(params_.avg_size);
  switch (algorithm_) {
    case ChunkerAlgorithm::kFastCdcGearV1:
      table_ = table;
      mask_small_ = SpreadMask(bits + kNormalizationLevel);
      mask_large_ = SpreadMask(bits - kNormalizationLevel);
      break;
    case ChunkerAlgorithm::kGearSimdV1:
      // 7 <= bits <= 25 (64 <= min < avg < max <= 64 MiB), so both shifts
      // are in 5 .. 27.
      key_ = GearSimdKey::FromTable(table);
      path_ = SupportedChunkerPath(path);
      scan_ = GearSimdScanFor(path_);
      limit_small_ = uint32_t{1} << (32 - (bits + kNormalizationLevel));
      limit_large_ = uint32_t{1} << (32 - (bits - kNormalizationLevel));
      break;
  }
}

size_t Chunker::FastCdcCut(const uint8_t* p, size_t limit) const {
  const size_t min = params_.min_size;
  const size_t avg = params_.avg_size;
  const uint64_t* table = table_.values.data();

  // Warm-up: the 63 bytes before the first candidate's last byte.
  uint64_t h = 0;
  for (size_t i = min - kWindow; i < min - 1; ++i) h = (h << 1) + table[p[i]];

  const size_t small_end = std::min(avg, limit + 1);
  if (size_t cut = FindCut(p, table, h, min, small_end, mask_small_); cut != 0) return cut;
  if (limit >= avg) {
    if (size_t cut = FindCut(p, table, h, avg, limit + 1, mask_large_); cut != 0) return cut;
  }
  return 0;
}

size_t Chunker::GearSimdCut(const uint8_t* p, size_t limit) const {
  const size_t min = params_.min_size;
  const size_t avg = params_.avg_size;
  // Positions are indexes of a candidate's last byte: length L <-> L - 1.
  // Each scan warms up on the 31 bytes before its first position by itself.
  const size_t small_end = std::min(avg, limit + 1) - 1;
  if (size_t pos = scan_(p, min - 1, small_end, limit_small_, key_); pos != small_end) {
    return pos + 1;
  }
  if (limit >= avg) {
    if (size_t pos = scan_(p, avg - 1, limit, limit_large_, key_); pos != limit) return pos + 1;
  }
  return 0;
}

size_t Chunker::NextChunkLength(ByteView data, bool at_eof) const {
  const size_t n = data.size();
  const size_t min = params_.min_size;
  const size_t max = params_.max_size;
  if (n < min) return at_eof ? n : 0;

  const size_t limit = std::min(n, max);  // largest candidate length
  const size_t cut = algorithm_ == ChunkerAlgorithm::kGearSimdV1 ? GearSimdCut(data.data(), limit)
                                                                 : FastCdcCut(data.data(), limit);
  if (cut != 0) return cut;
  if (limit == max) return max;
  return at_eof ? n : 0;
}

}  // namespace coffer
