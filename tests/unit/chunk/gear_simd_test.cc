// gear-simd-v1: the written definition, and every path (scalar, AVX2,
// AVX-512) giving exactly the reference's cut points.
#include "chunk/gear_simd.h"

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "chunk/chunker.h"
#include "chunk_test_util.h"

using namespace coffer;
using namespace coffer::testing;

namespace {

constexpr ChunkerAlgorithm kNew = ChunkerAlgorithm::kGearSimdV1;
constexpr ChunkerPath kAllPaths[] = {ChunkerPath::kScalar, ChunkerPath::kAvx2,
                                     ChunkerPath::kAvx512};

// The paths this CPU runs. Scalar is the reference; the others are compared
// with it (a path the CPU lacks cannot be tested here; CI machines differ).
std::vector<ChunkerPath> RunnablePaths() {
  std::vector<ChunkerPath> paths;
  for (ChunkerPath p : kAllPaths) {
    if (ChunkerPathSupported(p)) paths.push_back(p);
  }
  return paths;
}

// docs/FORMAT.md §8, computed the slow and obvious way: the byte map from the
// keystream words, the window hash of the 32 bytes ending at each candidate's
// last byte, and the test "top n bits are zero".
struct Reference {
  uint32_t low[16], high[16];

  explicit Reference(const GearTable& t) {
    for (int i = 0; i < 16; ++i) {
      low[i] = static_cast<uint32_t>(t.values[i / 2] >> (32 * (i % 2)));
      high[i] = static_cast<uint32_t>(t.values[(16 + i) / 2] >> (32 * (i % 2)));
    }
  }
  uint32_t V(uint8_t b) const { return low[b & 15] ^ high[b >> 4]; }
  uint32_t W(ByteView data, size_t p) const {
    uint32_t w = 0;
    for (size_t k = 0; k < 32; ++k) w += V(data[p - k]) << k;
    return w;
  }
  size_t ChunkLength(const ChunkerParams& params, ByteView data, bool at_eof) const {
    if (data.size() < params.min_size) return at_eof ? data.size() : 0;
    const int b = std::countr_zero(params.avg_size);
    const size_t limit = std::min<size_t>(data.size(), params.max_size);
    for (size_t len = params.min_size; len <= limit; ++len) {
      const int n = len < params.avg_size ? b + 2 : b - 2;
      if ((W(data, len - 1) >> (32 - n)) == 0) return len;
    }
    if (limit == params.max_size) return limit;
    return at_eof ? data.size() : 0;
  }
};

// Inputs that stress different parts of the scans: random bytes (cuts
// anywhere), constant and periodic bytes (hash constant or periodic: max-size
// chunks or cuts at every min_size), text and records (low entropy).
std::vector<std::pair<std::string, Bytes>> Inputs(size_t n) {
  std::vector<std::pair<std::string, Bytes>> inputs;
  inputs.emplace_back("random", PseudoRandomBytes(n, 42));
  inputs.emplace_back("zeros", Bytes(n, 0));
  inputs.emplace_back("ones", Bytes(n, 0xff));
  inputs.emplace_back("text", TextLikeBytes(n, 43));
  inputs.emplace_back("records", RecordLikeBytes(n, 44));
  for (size_t period : {2, 3, 7, 31, 32, 33, 64, 100, 4099}) {
    const Bytes unit = PseudoRandomBytes(period, period);
    Bytes d(n);
    for (size_t i = 0; i < n; ++i) d[i] = unit[i % period];
    inputs.emplace_back("period " + std::to_string(period), std::move(d));
  }
  // Random with zero runs: cuts resume right after a run.
  Bytes mixed = PseudoRandomBytes(n, 45);
  for (size_t at = 1000; at + 5000 < n; at += 23456) std::fill_n(mixed.begin() + at, 3000, 0);
  inputs.emplace_back("random with zero runs", std::move(mixed));
  return inputs;
}

const ChunkerParams kParamSets[] = {
    {.min_size = 64, .avg_size = 128, .max_size = 1024},  // smallest legal: n = 9 and 5
    {.min_size = 100, .avg_size = 512, .max_size = 777},  // odd sizes, max cuts often
    kSmall,
    {.min_size = 16384, .avg_size = 65536, .max_size = 262144},
};

}  // namespace

TEST_CASE("gear-simd-v1 names, paths and defaults") {
  CHECK(ChunkerAlgorithmName(kNew) == "gear-simd-v1");
  CHECK(ChunkerAlgorithmName(ChunkerAlgorithm::kFastCdcGearV1) == "fastcdc-gear-v1");
  CHECK(ParseChunkerAlgorithm("gear-simd-v1") == kNew);
  CHECK(ParseChunkerAlgorithm("fastcdc-gear-v1") == ChunkerAlgorithm::kFastCdcGearV1);
  CHECK_FALSE(ParseChunkerAlgorithm("gear-simd-v2").has_value());
  CHECK_FALSE(ParseChunkerAlgorithm("").has_value());
  CHECK(kDefaultChunkerAlgorithm == kNew);

  CHECK(ChunkerPathSupported(ChunkerPath::kScalar));
  CHECK(ChunkerPathSupported(DefaultChunkerPath()));
  for (ChunkerPath p : kAllPaths) {
    INFO(std::string(ChunkerPathName(p)));
    const ChunkerPath used = SupportedChunkerPath(p);
    CHECK(ChunkerPathSupported(used));
    CHECK(static_cast<int>(used) <= static_cast<int>(p));
    if (ChunkerPathSupported(p)) CHECK(used == p);
    CHECK(Chunker(kNew, kSmall, GearTable::FromSeed(Seed(1)), p).path() == used);
    // The old algorithm has one implementation.
    CHECK(
        Chunker(ChunkerAlgorithm::kFastCdcGearV1, kSmall, GearTable::FromSeed(Seed(1)), p).path() ==
        ChunkerPath::kScalar);
  }
  WARN("this CPU runs the gear-simd-v1 paths up to "
       << std::string(ChunkerPathName(SupportedChunkerPath(ChunkerPath::kAvx512))) << "; default "
       << std::string(ChunkerPathName(DefaultChunkerPath())));
}

TEST_CASE("gear-simd-v1 key is the first 32 keystream words") {
  // All-zero seed: keystream blocks 0 and 1 are RFC 8439 §A.1 test vectors
  // 1 (76 b8 e0 ad a0 f1 3d 90 ... b2 ee 65 86) and 2 (9f 07 e7 be ...
  // 4b 79 4d 6f), so low[] and high[] can be checked against the RFC.
  const GearTable table = GearTable::FromSeed(Bytes(32, 0));
  const GearSimdKey key = GearSimdKey::FromTable(table);
  CHECK(key.low[0] == 0xade0b876u);
  CHECK(key.low[1] == 0x903df1a0u);
  CHECK(key.low[15] == 0x8665eeb2u);
  CHECK(key.high[0] == 0xbee7079fu);
  CHECK(key.high[15] == 0x6f4d794bu);
  const Reference ref(table);
  for (int i = 0; i < 16; ++i) {
    CHECK(key.low[i] == ref.low[i]);
    CHECK(key.high[i] == ref.high[i]);
  }
  for (int b = 0; b < 256; ++b) CHECK(key.byte[b] == ref.V(static_cast<uint8_t>(b)));
  // Check values of the byte map (also in docs/FORMAT.md).
  CHECK(key.byte[0x00] == 0x1307bfe9u);  // low[0] ^ high[0]
  CHECK(key.byte[0xff] == 0xe92897f9u);  // low[15] ^ high[15]
  CHECK(GearSimdKey::FromTable(GearTable::FromSeed(Seed(1))).low !=
        GearSimdKey::FromTable(GearTable::FromSeed(Seed(2))).low);
}

TEST_CASE("gear-simd-v1 cut points match the documented definition on every path") {
  const GearTable table = GearTable::FromSeed(Seed(9));
  const Reference ref(table);
  for (const ChunkerParams& params : kParamSets) {
    INFO("min " << params.min_size << " avg " << params.avg_size << " max " << params.max_size);
    for (const auto& [name, data] : Inputs(3 * params.max_size + 1000)) {
      INFO("input " << name);
      std::vector<size_t> expected;
      for (ByteView rest = data; !rest.empty(); rest = rest.subspan(expected.back())) {
        expected.push_back(ref.ChunkLength(params, rest, true));
      }
      for (ChunkerPath path : RunnablePaths()) {
        INFO("path " << std::string(ChunkerPathName(path)));
        CHECK(ChunkLengths(Chunker(kNew, params, table, path), data) == expected);
      }
    }
  }
}

TEST_CASE("gear-simd-v1 paths agree with scalar on many inputs, pieces and alignments") {
  const std::vector<ChunkerPath> paths = RunnablePaths();
  for (uint8_t seed : {1, 2, 3}) {
    const GearTable table = GearTable::FromSeed(Seed(seed));
    for (const ChunkerParams& params : kParamSets) {
      INFO("seed " << int{seed} << " min " << params.min_size << " avg " << params.avg_size);
      const Chunker reference(kNew, params, table, ChunkerPath::kScalar);
      for (const auto& [name, input] : Inputs(1 << 20)) {
        INFO("input " << name);
        // Misalign the buffer so vector loads see every alignment.
        const size_t shift = (seed * 13 + name.size()) % 64;
        Bytes storage(shift + input.size());
        std::copy(input.begin(), input.end(), storage.begin() + shift);
        const ByteView data = ByteView(storage).subspan(shift);
        const std::vector<size_t> expected = ChunkLengths(reference, data);
        for (size_t len : std::vector<size_t>(expected.begin(), expected.end() - 1)) {
          REQUIRE(len >= params.min_size);
          REQUIRE(len <= params.max_size);
        }
        for (ChunkerPath path : paths) {
          INFO("path " << std::string(ChunkerPathName(path)));
          const Chunker chunker(kNew, params, table, path);
          CHECK(ChunkLengths(chunker, data) == expected);

          // The same cuts when the data arrives in pieces: a call with
          // !at_eof either decides or asks for more, like the engine's loop.
          SplitMix64 rng(seed * 31u + static_cast<unsigned>(path));
          std::vector<size_t> streamed;
          size_t start = 0, have = 0;
          while (start < data.size()) {
            const bool eof = have == data.size();
            const size_t len = chunker.NextChunkLength(data.subspan(start, have - start), eof);
            if (len == 0) {
              REQUIRE_FALSE(eof);
              have = std::min(data.size(), have + 1 + rng.Below(3 * params.max_size / 2));
              continue;
            }
            REQUIRE(len <= have - start);
            streamed.push_back(len);
            start += len;
          }
          CHECK(streamed == expected);
        }
      }
    }
  }
}

TEST_CASE("gear-simd-v1 scans agree at every range boundary and hit density") {
  // The scans directly: every begin/end near vector-block edges, thresholds
  // from "almost never" to "every other byte", so the first and last blocks'
  // masking is exercised with hits on both sides of the range.
  const GearSimdKey key = GearSimdKey::FromTable(GearTable::FromSeed(Seed(4)));
  const Bytes random = PseudoRandomBytes(4096, 5);
  const Bytes text = TextLikeBytes(4096, 6);
  std::vector<ChunkerPath> paths = RunnablePaths();
  for (const Bytes* input : {&random, &text}) {
    for (uint32_t limit : {1u << 5, 1u << 24, 1u << 28, 1u << 30, 1u << 31, 0xffffffffu}) {
      INFO("limit " << limit);
      for (size_t begin = 31; begin < 31 + 130; begin += 3) {
        for (size_t end = begin; end < begin + 300; end += 7) {
          // The buffer ends exactly at `end`: nothing after it may be read.
          const Bytes exact(input->begin(), input->begin() + static_cast<std::ptrdiff_t>(end));
          const size_t expected = GearSimdScanScalar(exact.data(), begin, end, limit, key);
          for (ChunkerPath path : paths) {
            INFO("path " << std::string(ChunkerPathName(path)) << " begin " << begin << " end "
                         << end);
            REQUIRE(GearSimdScanFor(path)(exact.data(), begin, end, limit, key) == expected);
          }
        }
      }
    }
  }
}

TEST_CASE("gear-simd-v1 cut points are stable across machines and releases") {
  // Regression record (also in docs/FORMAT.md §8), computed from the
  // definition by the reference above and by every path. Existing
  // repositories name this algorithm in their config: never update these
  // numbers; a different cut rule needs a new algorithm name.
  const Bytes data = PseudoRandomBytes(1 << 20, 0x636f66666572ull);  // "coffer"
  const GearTable table = GearTable::FromSeed(Seed(0));
  const std::vector<size_t> expected = {8826, 8196,  9268, 13094, 6969,
                                        8878, 11481, 9147, 4801,  9102};
  for (ChunkerPath path : RunnablePaths()) {
    INFO("path " << std::string(ChunkerPathName(path)));
    std::vector<size_t> lengths = ChunkLengths(Chunker(kNew, kSmall, table, path), data);
    lengths.resize(10);
    CHECK(lengths == expected);
  }
  const Reference ref(table);
  ByteView rest = data;
  for (size_t len : expected) {
    CHECK(ref.ChunkLength(kSmall, rest, true) == len);
    rest = rest.subspan(len);
  }
}

TEST_CASE("gear-simd-v1 chunk sizes are as tight as fastcdc-gear-v1's") {
  // Normalized chunking keeps the distribution narrow; the new hash must not
  // widen it. Same data, sizes and keys for both algorithms; four keys so the
  // comparison is not one sample's noise (~1% on each standard deviation).
  struct Stats {
    double chunks = 0, sum = 0, sum_sq = 0;
    double Mean() const { return sum / chunks; }
    double Sd() const { return std::sqrt(sum_sq / chunks - Mean() * Mean()); }
  };
  const Bytes data = PseudoRandomBytes(32 << 20, 2024);
  Stats old_stats, new_stats;
  for (uint8_t seed : {7, 8, 9, 10}) {
    const GearTable table = GearTable::FromSeed(Seed(seed));
    for (ChunkerAlgorithm algorithm : {ChunkerAlgorithm::kFastCdcGearV1, kNew}) {
      Stats& s = algorithm == kNew ? new_stats : old_stats;
      std::vector<size_t> lengths = ChunkLengths(Chunker(algorithm, kSmall, table), data);
      lengths.pop_back();  // the tail is not a real cut
      for (size_t l : lengths) {
        s.chunks += 1;
        s.sum += static_cast<double>(l);
        s.sum_sq += static_cast<double>(l) * static_cast<double>(l);
      }
    }
  }
  INFO("fastcdc-gear-v1 mean " << old_stats.Mean() << " sd " << old_stats.Sd());
  INFO("gear-simd-v1    mean " << new_stats.Mean() << " sd " << new_stats.Sd());
  CHECK(std::abs(new_stats.Mean() - old_stats.Mean()) < 0.02 * old_stats.Mean());
  CHECK(new_stats.Sd() < 1.03 * old_stats.Sd());
}

TEST_CASE("gear-simd-v1 degenerates on sparse data no more often than fastcdc-gear-v1") {
  // Data that is mostly zeros has few distinct windows. A key for which one
  // of them passes the strict test cuts at almost every min_size: chunks far
  // below the average. That happens to some keys with any keyed hash; the
  // gear's carries only move upwards, which makes it likelier (windows that
  // differ in one old byte share their low bits). Count such keys for both.
  Bytes sparse(1 << 20, 0);
  SplitMix64 rng(99);
  for (size_t i = 0; i < sparse.size(); i += 20) sparse[i] = static_cast<uint8_t>(1 + rng.Below(4));
  Bytes sparser(1 << 20, 0);
  for (size_t i = 0; i < sparser.size(); i += 40)
    sparser[i] = static_cast<uint8_t>(1 + rng.Below(4));
  int old_degenerate = 0, new_degenerate = 0;
  for (int k = 0; k < 500; ++k) {
    Bytes seed = Seed(3);
    seed[0] = static_cast<uint8_t>(k);
    seed[1] = static_cast<uint8_t>(k >> 8);
    const GearTable table = GearTable::FromSeed(seed);
    for (ChunkerAlgorithm algorithm : {ChunkerAlgorithm::kFastCdcGearV1, kNew}) {
      const Chunker chunker(algorithm, kSmall, table);
      for (const Bytes* data : {&sparse, &sparser}) {
        const double mean = static_cast<double>(data->size()) /
                            static_cast<double>(ChunkLengths(chunker, *data).size());
        if (mean < 0.6 * kSmall.avg_size) ++(algorithm == kNew ? new_degenerate : old_degenerate);
      }
    }
  }
  INFO("keys x inputs with chunks below 60% of avg_size, of 1000: fastcdc-gear-v1 "
       << old_degenerate << ", gear-simd-v1 " << new_degenerate);
  CHECK(new_degenerate <= old_degenerate);
  CHECK(new_degenerate < 20);
}
