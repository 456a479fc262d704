// Deduplication on edited data: gear-simd-v1 must keep at least as many bytes
// in unchanged chunks as fastcdc-gear-v1 does, on the same data, edits,
// sizes and key. A property of the cut points, not of speed.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "chunk/chunker.h"
#include "chunk_test_util.h"

using namespace coffer;
using namespace coffer::testing;

namespace {

// Inserts, deletes or overwrites 1..64 bytes at `count` random places of
// `data` (built in one pass: edits at sorted offsets of the original).
Bytes Edit(const Bytes& data, size_t count, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<size_t> at(count);
  for (size_t& a : at) a = rng.Below(data.size());
  std::sort(at.begin(), at.end());
  Bytes out;
  out.reserve(data.size() + 64 * count);
  size_t from = 0;  // next original byte to copy
  for (size_t a : at) {
    if (a < from) continue;  // inside the previous edit
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(from),
               data.begin() + static_cast<std::ptrdiff_t>(a));
    const size_t len = 1 + rng.Below(64);
    const Bytes fresh = PseudoRandomBytes(len, rng.Next());
    switch (rng.Below(3)) {
      case 0:  // insert
        out.insert(out.end(), fresh.begin(), fresh.end());
        from = a;
        break;
      case 1:  // delete
        from = std::min(data.size(), a + len);
        break;
      default:  // overwrite
        out.insert(out.end(), fresh.begin(), fresh.end());
        from = std::min(data.size(), a + len);
        break;
    }
  }
  out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(from), data.end());
  return out;
}

struct Dedup {
  double lost = 0;        // bytes of the edited version in chunks the original lacks
  double shared = 0;      // the other bytes, as a fraction of the edited version
  double mean_chunk = 0;  // of the edited version
};

Dedup Measure(const Chunker& chunker, ByteView original, ByteView edited) {
  auto chunks = [&](ByteView data) {
    std::vector<std::string_view> out;
    for (size_t len : ChunkLengths(chunker, data)) {
      out.push_back(AsChars(data.first(len)));
      data = data.subspan(len);
    }
    return out;
  };
  const std::vector<std::string_view> before = chunks(original);
  const std::unordered_set<std::string_view> known(before.begin(), before.end());
  const std::vector<std::string_view> after = chunks(edited);
  size_t shared = 0;
  for (std::string_view c : after) shared += known.count(c) != 0 ? c.size() : 0;
  return {static_cast<double>(edited.size() - shared),
          static_cast<double>(shared) / static_cast<double>(edited.size()),
          static_cast<double>(edited.size()) / static_cast<double>(after.size())};
}

// Random, text and record segments of 1 MiB, in a fixed shuffled order.
Bytes Mixed(size_t n, uint64_t seed) {
  SplitMix64 rng(seed);
  Bytes out;
  while (out.size() < n) {
    const Bytes part = rng.Below(3) == 0   ? PseudoRandomBytes(1 << 20, rng.Next())
                       : rng.Below(2) == 0 ? TextLikeBytes(1 << 20, rng.Next())
                                           : RecordLikeBytes(1 << 20, rng.Next());
    out.insert(out.end(), part.begin(), part.end());
  }
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("gear-simd-v1 deduplicates edited data at least as well as fastcdc-gear-v1") {
  // One edit per 4 average chunks of each size, on 32 MiB of each kind of
  // data; the same edits, sizes and key for both algorithms. What is compared
  // is the bytes the edits cost (in chunks the original lacks). Which chunks
  // an edit hits is luck: over repeated trials the ratio of the two
  // algorithms' costs varies by about 1.1% with 4096 edits, 2% with 1024 and
  // 5% with 128 (measured), so the bounds below are about 4 of those.
  constexpr size_t kSize = 32 << 20;
  const std::pair<const char*, Bytes> inputs[] = {
      {"random", PseudoRandomBytes(kSize, 1)},
      {"text", TextLikeBytes(kSize, 2)},
      {"records", RecordLikeBytes(kSize, 3)},
      {"mixed", Mixed(kSize, 4)},
  };
  const ChunkerParams params_sets[] = {
      {.min_size = 512, .avg_size = 2048, .max_size = 16384},
      kSmall,
      {.min_size = 16384, .avg_size = 65536, .max_size = 262144},
  };
  // A key for which neither algorithm degenerates on the record data (see
  // "degenerates on sparse data" in gear_simd_test.cc): with tiny chunks
  // dedup looks better for a reason that has nothing to do with edits.
  const GearTable table = GearTable::FromSeed(Seed(12));
  double old_lost = 0, new_lost = 0, old_shared = 0, new_shared = 0;
  int cases = 0;
  for (const ChunkerParams& params : params_sets) {
    const Chunker old_chunker(ChunkerAlgorithm::kFastCdcGearV1, params, table);
    const Chunker new_chunker(ChunkerAlgorithm::kGearSimdV1, params, table);
    const size_t edits = kSize / (4 * params.avg_size);
    for (const auto& [name, data] : inputs) {
      const Bytes edited = Edit(data, edits, edits + params.avg_size);
      const Dedup old_result = Measure(old_chunker, data, edited);
      const Dedup new_result = Measure(new_chunker, data, edited);
      INFO(name << ", avg_size " << params.avg_size << ", " << edits << " edits");
      INFO("fastcdc-gear-v1: shared " << old_result.shared << ", mean chunk "
                                      << old_result.mean_chunk);
      INFO("gear-simd-v1:    shared " << new_result.shared << ", mean chunk "
                                      << new_result.mean_chunk);
      // Like for like: the same target sizes must give about the same mean
      // chunk size (other sizes change dedup for reasons other than the
      // hash). The record data has the largest gap: 3 of every 48 positions
      // end a 32-byte window that repeats in every record, and a repeating
      // window cannot place cuts at random, so 2 KiB chunks come out 9% larger
      // than with fastcdc-gear-v1's 64-byte window (2.3% for 8 KiB).
      CHECK(new_result.mean_chunk < 1.10 * old_result.mean_chunk);
      CHECK(new_result.mean_chunk > 0.90 * old_result.mean_chunk);
      CHECK(new_result.lost <= old_result.lost * (1 + 3.2 / std::sqrt(static_cast<double>(edits))));
      if (params.avg_size < 65536) {  // 128 edits are too few for the total
        old_lost += old_result.lost;
        new_lost += new_result.lost;
      }
      old_shared += old_result.shared;
      new_shared += new_result.shared;
      ++cases;
    }
  }
  // All the 2 KiB and 8 KiB cases together (noise about 0.8%): at most 2%
  // more bytes lost to edits than fastcdc-gear-v1.
  INFO("bytes lost to edits, 2 and 8 KiB chunks: fastcdc-gear-v1 " << old_lost << ", gear-simd-v1 "
                                                                   << new_lost);
  INFO("mean shared fraction, all cases: fastcdc-gear-v1 "
       << old_shared / cases << ", gear-simd-v1 " << new_shared / cases);
  CHECK(new_lost <= 1.02 * old_lost);
}
