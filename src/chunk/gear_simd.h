// gear-simd-v1: the window hash and the scans that find where it is small
// enough to cut. Used by Chunker (chunker.h); exposed for tests and benchmarks.
//
// Hash (docs/FORMAT.md §8): every byte b maps to a 32-bit value
//   v(b) = low[b & 15] XOR high[b >> 4]   (two keyed 16-entry tables),
// and the hash at position p is the 32-bit gear over the 32 bytes ending there:
//   W(p) = sum_{k=0..31} v(data[p - k]) << k   (mod 2^32)
// i.e. h <- 2h + v(byte) once 32 bytes have passed. Because W(p) depends on a
// fixed window, SIMD code computes 16 (AVX-512) or 8 (AVX2) positions per
// vector; the nibble tables fit one vector register each (vpermd / vpshufb),
// so no gathers are needed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chunk/gear_table.h"

namespace coffer {

// How gear-simd-v1 is computed. Every path returns the same cut points; the
// choice only changes speed.
enum class ChunkerPath { kScalar, kAvx2, kAvx512 };

std::string_view ChunkerPathName(ChunkerPath path);
// Whether this CPU (and OS) can run the path. Scalar always can.
bool ChunkerPathSupported(ChunkerPath path);
// `path` if supported, else the fastest supported path below it.
ChunkerPath SupportedChunkerPath(ChunkerPath path);
// The fastest supported path, unless the environment variable
// COFFER_CHUNKER_PATH is scalar, avx2 or avx512: then SupportedChunkerPath of
// that one. Other values are ignored. Read once per process.
ChunkerPath DefaultChunkerPath();

struct GearSimdKey {
  std::array<uint32_t, 16> low{};    // indexed by the byte's low nibble
  std::array<uint32_t, 16> high{};   // indexed by the byte's high nibble
  std::array<uint32_t, 256> byte{};  // v(b) = low[b & 15] ^ high[b >> 4]
  // low = keystream words 0..15, high = words 16..31: the table's values
  // 0..15 split into little-endian 32-bit halves.
  static GearSimdKey FromTable(const GearTable& table);
};

// Returns the first position p in [begin, end) with W(p) < limit, or `end`
// when there is none (or begin >= end).
// REQUIRES: begin >= 31 and data[begin - 31 .. end - 1] readable; nothing
// outside that range is read.
using GearSimdScan = size_t (*)(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                                const GearSimdKey& key);

size_t GearSimdScanScalar(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                          const GearSimdKey& key);
// Only call these when ChunkerPathSupported says so (they are built with
// -mavx2 / -mavx512bw and would fault on an older CPU).
size_t GearSimdScanAvx2(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                        const GearSimdKey& key);
size_t GearSimdScanAvx512(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                          const GearSimdKey& key);

// The scan for a path. REQUIRES: ChunkerPathSupported(path).
GearSimdScan GearSimdScanFor(ChunkerPath path);

}  // namespace coffer
