// Inputs and helpers shared by the chunker tests.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "chunk/chunker.h"

namespace coffer::testing {

// Small parameters keep the tests fast while exercising every phase.
inline constexpr ChunkerParams kSmall{.min_size = 2048, .avg_size = 8192, .max_size = 65536};

// SplitMix64: a fixed, portable pseudo-random generator for test data.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n > 0; the tiny modulo bias does not matter here).
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

inline Bytes PseudoRandomBytes(size_t n, uint64_t state) {
  Bytes out(n);
  SplitMix64 rng(state);
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t z = rng.Next();
    for (size_t b = 0; b < 8 && i + b < n; ++b) out[i + b] = static_cast<uint8_t>(z >> (8 * b));
  }
  return out;
}

// English-like text: words from a small vocabulary, spaces, punctuation and
// line breaks. Low entropy per byte, many repeated substrings.
inline Bytes TextLikeBytes(size_t n, uint64_t state) {
  static const char* const kWords[] = {
      "the",   "backup", "of",       "a",     "repository", "chunk", "and",    "data",
      "is",    "stored", "once",     "in",    "pack",       "with",  "index",  "key",
      "to",    "file",   "snapshot", "tree",  "restore",    "prune", "lock",   "for",
      "every", "host",   "agent",    "store", "object",     "cloud", "bucket", "policy"};
  SplitMix64 rng(state);
  Bytes out;
  out.reserve(n + 16);
  while (out.size() < n) {
    const std::string word = kWords[rng.Below(std::size(kWords))];
    out.insert(out.end(), word.begin(), word.end());
    const size_t r = rng.Below(20);
    out.push_back(r == 0 ? '.' : r == 1 ? ',' : r == 2 ? '\n' : ' ');
  }
  out.resize(n);
  return out;
}

// Fixed-size records with a counter, a few random fields and padding, like a
// database or log file: structure that repeats with a short period.
inline Bytes RecordLikeBytes(size_t n, uint64_t state) {
  SplitMix64 rng(state);
  Bytes out;
  out.reserve(n + 64);
  for (uint64_t id = 0; out.size() < n; ++id) {
    uint8_t record[48] = {};
    for (int b = 0; b < 8; ++b) record[b] = static_cast<uint8_t>(id >> (8 * b));
    const uint64_t field = rng.Next();
    for (int b = 0; b < 6; ++b) record[8 + b] = static_cast<uint8_t>(field >> (8 * b));
    record[20] = static_cast<uint8_t>(rng.Below(4));
    record[47] = '\n';
    out.insert(out.end(), record, record + sizeof(record));
  }
  out.resize(n);
  return out;
}

inline Bytes Seed(uint8_t first) {
  Bytes seed(32);
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
  return seed;
}

// The chunk lengths of `data`, asking with at_eof throughout.
inline std::vector<size_t> ChunkLengths(const Chunker& chunker, ByteView data) {
  std::vector<size_t> lengths;
  while (!data.empty()) {
    const size_t len = chunker.NextChunkLength(data, /*at_eof=*/true);
    REQUIRE(len > 0);
    REQUIRE(len <= data.size());
    lengths.push_back(len);
    data = data.subspan(len);
  }
  return lengths;
}

// The end offset of every chunk.
inline std::vector<size_t> CutOffsets(const std::vector<size_t>& lengths) {
  std::vector<size_t> offsets;
  size_t pos = 0;
  for (size_t len : lengths) offsets.push_back(pos += len);
  return offsets;
}

}  // namespace coffer::testing
