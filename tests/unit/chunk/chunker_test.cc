// Behaviour every chunker algorithm shares (min/avg/max, streaming, seeds),
// and what is specific to fastcdc-gear-v1. gear-simd-v1's own definition and
// paths are tested in gear_simd_test.cc.
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <set>
#include <string>
#include <vector>

#include "chunk/chunker.h"
#include "chunk_test_util.h"

using namespace coffer;
using namespace coffer::testing;

namespace {

constexpr ChunkerAlgorithm kOld = ChunkerAlgorithm::kFastCdcGearV1;
constexpr ChunkerAlgorithm kNew = ChunkerAlgorithm::kGearSimdV1;

// Runs the rest of the test case once per algorithm.
#define FOR_EACH_ALGORITHM(algorithm)                      \
  const ChunkerAlgorithm algorithm = GENERATE(kOld, kNew); \
  INFO("algorithm " << std::string(ChunkerAlgorithmName(algorithm)))

// The cut definition from chunker.cc, computed the slow and obvious way: the
// window hash of the 64 bytes ending at each candidate, tested with the mask
// for that length.
uint64_t ReferenceMask(int ones) {
  uint64_t mask = 0;
  for (int i = 0; i < ones; ++i) mask |= uint64_t{1} << (63 - (i * 48) / ones);
  return mask;
}

size_t ReferenceChunkLength(const ChunkerParams& p, const GearTable& t, ByteView data) {
  const int bits = std::countr_zero(p.avg_size);
  const size_t limit = std::min<size_t>(data.size(), p.max_size);
  for (size_t len = p.min_size; len <= limit; ++len) {
    uint64_t w = 0;
    for (size_t k = 0; k < 64; ++k) w += t.values[data[len - 1 - k]] << k;
    const uint64_t mask = ReferenceMask(len < p.avg_size ? bits + 2 : bits - 2);
    if ((w & mask) == 0) return len;
  }
  return limit;
}

}  // namespace

TEST_CASE("chunker parameters are validated and errors name the parameter") {
  CHECK(ValidateChunkerParams(ChunkerParams{}).ok());
  CHECK(ValidateChunkerParams(kSmall).ok());
  CHECK(ValidateChunkerParams({.min_size = 64, .avg_size = 128, .max_size = 64u << 20}).ok());

  struct Bad {
    ChunkerParams params;
    std::string names;
  };
  const std::vector<Bad> bad = {
      {{.min_size = 63, .avg_size = 128, .max_size = 1024}, "min_size"},
      {{.min_size = 0, .avg_size = 128, .max_size = 1024}, "min_size"},
      {{.min_size = 1024, .avg_size = 3000, .max_size = 8192}, "avg_size"},
      {{.min_size = 4096, .avg_size = 4096, .max_size = 8192}, "avg_size"},
      {{.min_size = 8192, .avg_size = 4096, .max_size = 65536}, "avg_size"},
      {{.min_size = 1024, .avg_size = 4096, .max_size = 4096}, "max_size"},
      {{.min_size = 1024, .avg_size = 4096, .max_size = 2048}, "max_size"},
      {{.min_size = 1024, .avg_size = 4096, .max_size = (64u << 20) + 1}, "max_size"},
      {{.min_size = 1024, .avg_size = 0, .max_size = 8192}, "avg_size"},
  };
  for (const Bad& b : bad) {
    absl::Status s = ValidateChunkerParams(b.params);
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.message()).find(b.names) != std::string::npos);
  }
}

TEST_CASE("gear table is a deterministic function of the seed") {
  GearTable a = GearTable::FromSeed(Seed(1));
  CHECK(a.values == GearTable::FromSeed(Seed(1)).values);
  CHECK(a.values != GearTable::FromSeed(Seed(2)).values);
  std::set<uint64_t> distinct(a.values.begin(), a.values.end());
  CHECK(distinct.size() == 256);
  // Seeds of other lengths are accepted and still give distinct tables.
  CHECK(GearTable::FromSeed(Bytes(5, 1)).values != GearTable::FromSeed(Bytes(6, 1)).values);
}

TEST_CASE("cut points are deterministic") {
  FOR_EACH_ALGORITHM(algorithm);
  Chunker chunker(algorithm, kSmall, GearTable::FromSeed(Seed(1)));
  Bytes data = PseudoRandomBytes(1 << 20, 7);
  CHECK(ChunkLengths(chunker, data) == ChunkLengths(chunker, data));
  Chunker twin(algorithm, kSmall, GearTable::FromSeed(Seed(1)));
  CHECK(ChunkLengths(chunker, data) == ChunkLengths(twin, data));
}

TEST_CASE("fastcdc-gear-v1 cut points match the documented window-hash definition") {
  // Guards the fast loop against the spec.
  const ChunkerParams params{.min_size = 256, .avg_size = 1024, .max_size = 4096};
  const GearTable table = GearTable::FromSeed(Seed(9));
  Chunker chunker(kOld, params, table);
  Bytes data = PseudoRandomBytes(200000, 11);
  ByteView rest = data;
  int chunks = 0;
  while (rest.size() >= params.max_size) {
    size_t len = chunker.NextChunkLength(rest, false);
    REQUIRE(len == ReferenceChunkLength(params, table, rest));
    rest = rest.subspan(len);
    ++chunks;
  }
  CHECK(chunks > 50);
}

TEST_CASE("every chunk is within [min, max] except the last") {
  FOR_EACH_ALGORITHM(algorithm);
  Chunker chunker(algorithm, kSmall, GearTable::FromSeed(Seed(3)));
  // Random data cuts mostly between min and max; a long zero run forces max.
  Bytes data = PseudoRandomBytes(3 << 20, 5);
  std::fill(data.begin() + (1 << 20), data.begin() + (1 << 20) + 300000, 0);
  data.resize(data.size() + 1234, 0x55);
  std::vector<size_t> lengths = ChunkLengths(chunker, data);
  REQUIRE(lengths.size() > 10);
  for (size_t i = 0; i + 1 < lengths.size(); ++i) {
    CHECK(lengths[i] >= kSmall.min_size);
    CHECK(lengths[i] <= kSmall.max_size);
  }
  CHECK(lengths.back() <= kSmall.max_size);
  CHECK(std::count(lengths.begin(), lengths.end(), kSmall.max_size) >= 4);
}

TEST_CASE("average chunk size on random data is near avg_size") {
  FOR_EACH_ALGORITHM(algorithm);
  SECTION("small parameters") {
    Chunker chunker(algorithm, kSmall, GearTable::FromSeed(Seed(4)));
    Bytes data = PseudoRandomBytes(16 << 20, 99);
    std::vector<size_t> lengths = ChunkLengths(chunker, data);
    double mean = static_cast<double>(data.size()) / static_cast<double>(lengths.size());
    INFO("chunks: " << lengths.size() << " mean: " << mean);
    CHECK(mean > 0.5 * kSmall.avg_size);
    CHECK(mean < 2.0 * kSmall.avg_size);
  }
  SECTION("default parameters") {
    ChunkerParams params;
    Chunker chunker(algorithm, params, GearTable::FromSeed(Seed(4)));
    Bytes data = PseudoRandomBytes(64 << 20, 100);
    std::vector<size_t> lengths = ChunkLengths(chunker, data);
    double mean = static_cast<double>(data.size()) / static_cast<double>(lengths.size());
    INFO("chunks: " << lengths.size() << " mean: " << mean);
    CHECK(mean > 0.5 * params.avg_size);
    CHECK(mean < 2.0 * params.avg_size);
  }
}

TEST_CASE("fastcdc-gear-v1 cut points are stable across machines and releases") {
  // Regression record: these lengths were produced once by this
  // implementation and written down. Cut points are part of the repository
  // format (changing them breaks deduplication against existing backups), so
  // this must pass unchanged on every machine and compiler. If it fails, the
  // chunker changed: existing repositories name this algorithm in their
  // config, so never update the numbers (a new cut rule needs a new name).
  Chunker chunker(kOld, kSmall, GearTable::FromSeed(Seed(0)));
  Bytes data = PseudoRandomBytes(1 << 20, 0x636f66666572ull);  // "coffer"
  std::vector<size_t> lengths = ChunkLengths(chunker, data);
  lengths.resize(10);
  const std::vector<size_t> expected = {11298, 13184, 8557, 8489, 9233,
                                        10634, 9252, 8686, 9543, 10643};
  CHECK(lengths == expected);
}

TEST_CASE("inserting bytes near the start changes only the first chunks") {
  FOR_EACH_ALGORITHM(algorithm);
  Chunker chunker(algorithm, kSmall, GearTable::FromSeed(Seed(5)));
  Bytes original = PseudoRandomBytes(4 << 20, 1234);
  Bytes edited = original;
  const Bytes inserted = {'h', 'e', 'l', 'l', 'o'};
  edited.insert(edited.begin() + 1000, inserted.begin(), inserted.end());

  std::vector<size_t> a = CutOffsets(ChunkLengths(chunker, original));
  std::vector<size_t> b = CutOffsets(ChunkLengths(chunker, edited));
  // Shift the edited cuts back by the insertion so equal chunks line up.
  std::set<size_t> shifted;
  for (size_t off : b) shifted.insert(off - inserted.size());
  size_t differing = 0;
  for (size_t off : a) differing += shifted.count(off) == 0;
  INFO("chunks: " << a.size() << " with a different end: " << differing);
  CHECK(a.size() > 200);
  CHECK(differing <= 2);
  CHECK(a.back() + inserted.size() == b.back());
}

TEST_CASE("different seeds give different cut points") {
  FOR_EACH_ALGORITHM(algorithm);
  Bytes data = PseudoRandomBytes(1 << 20, 77);
  Chunker a(algorithm, kSmall, GearTable::FromSeed(Seed(1)));
  Chunker b(algorithm, kSmall, GearTable::FromSeed(Seed(2)));
  std::vector<size_t> cuts_a = CutOffsets(ChunkLengths(a, data));
  std::vector<size_t> cuts_b = CutOffsets(ChunkLengths(b, data));
  std::vector<size_t> common;
  std::set_intersection(cuts_a.begin(), cuts_a.end(), cuts_b.begin(), cuts_b.end(),
                        std::back_inserter(common));
  // Only the final cut (end of data) and chance coincidences may agree.
  CHECK(common.size() <= 3);
  CHECK(cuts_a != cuts_b);
}

TEST_CASE("all-zero input is cut into max-size chunks") {
  FOR_EACH_ALGORITHM(algorithm);
  Chunker chunker(algorithm, kSmall, GearTable::FromSeed(Seed(6)));
  Bytes zeros(10 * kSmall.max_size + 100, 0);
  std::vector<size_t> lengths = ChunkLengths(chunker, zeros);
  REQUIRE(lengths.size() == 11);
  for (size_t i = 0; i < 10; ++i) CHECK(lengths[i] == kSmall.max_size);
  CHECK(lengths.back() == 100);
}

TEST_CASE("next chunk length asks for more data until it can decide") {
  FOR_EACH_ALGORITHM(algorithm);
  Chunker chunker(algorithm, kSmall, GearTable::FromSeed(Seed(6)));
  SECTION("less than min_size") {
    Bytes data = PseudoRandomBytes(kSmall.min_size - 1, 1);
    CHECK(chunker.NextChunkLength(data, false) == 0);
    CHECK(chunker.NextChunkLength(data, true) == data.size());
  }
  SECTION("no cut point yet and less than max_size") {
    Bytes zeros(kSmall.max_size - 1, 0);
    CHECK(chunker.NextChunkLength(zeros, false) == 0);
    CHECK(chunker.NextChunkLength(zeros, true) == zeros.size());
  }
  SECTION("max_size bytes without a cut point are one chunk") {
    Bytes zeros(kSmall.max_size + 10, 0);
    CHECK(chunker.NextChunkLength(zeros, false) == kSmall.max_size);
    CHECK(chunker.NextChunkLength(ByteView(zeros).first(kSmall.max_size), false) ==
          kSmall.max_size);
  }
  SECTION("empty input") {
    CHECK(chunker.NextChunkLength(ByteView(), false) == 0);
    CHECK(chunker.NextChunkLength(ByteView(), true) == 0);
  }
}

TEST_CASE("feeding data in small pieces gives the same cut points as one buffer") {
  FOR_EACH_ALGORITHM(algorithm);
  Chunker chunker(algorithm, kSmall, GearTable::FromSeed(Seed(8)));
  Bytes data = PseudoRandomBytes(2 << 20, 31337);
  const std::vector<size_t> whole = ChunkLengths(chunker, data);

  std::vector<size_t> streamed;
  size_t start = 0;  // start of the pending chunk
  size_t have = 0;   // bytes received so far
  const size_t piece = 3001;
  while (start < data.size()) {
    const bool eof = have == data.size();
    size_t len = chunker.NextChunkLength(ByteView(data).subspan(start, have - start), eof);
    if (len == 0) {
      REQUIRE_FALSE(eof);
      have = std::min(data.size(), have + piece);
      continue;
    }
    streamed.push_back(len);
    start += len;
  }
  CHECK(streamed == whole);
}

TEST_CASE("a cut found in less than max_size bytes is the cut more data gives") {
  // The backup reads a maximal chunk plus a little at a time and cuts as soon
  // as a cut point shows up in what it holds; that is only right when a cut
  // never depends on the bytes after it, on every algorithm and path.
  FOR_EACH_ALGORITHM(algorithm);
  const ChunkerPath path = GENERATE(ChunkerPath::kScalar, ChunkerPath::kAvx2, ChunkerPath::kAvx512);
  if (!ChunkerPathSupported(path)) return;  // the CPU cannot run it
  INFO("path " << std::string(ChunkerPathName(path)));
  Chunker chunker(algorithm, kSmall, GearTable::FromSeed(Seed(12)), path);
  Bytes data = PseudoRandomBytes(1 << 20, 13);
  ByteView rest = data;
  int checked = 0;
  while (rest.size() >= kSmall.max_size) {
    const size_t len = chunker.NextChunkLength(rest, false);
    REQUIRE(len > 0);
    if (len < kSmall.max_size) {
      for (size_t prefix : {len, len + 1, len + 33, (len + kSmall.max_size) / 2, size_t{kSmall.max_size} - 1}) {
        if (prefix < len || prefix >= kSmall.max_size) continue;
        REQUIRE(chunker.NextChunkLength(rest.first(prefix), false) == len);
      }
      // Short of the cut there is nothing to decide yet.
      REQUIRE(chunker.NextChunkLength(rest.first(len - 1), false) == 0);
      ++checked;
    }
    rest = rest.subspan(len);
  }
  CHECK(checked > 20);
}
