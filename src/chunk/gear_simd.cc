// gear-simd-v1: the keyed byte map, the scalar reference scan and the choice
// of path. The vector scans are in gear_simd_avx2.cc and gear_simd_avx512.cc,
// the only files built with vector instruction flags.
#include "chunk/gear_simd.h"

#include <cstdlib>
#include <string_view>

namespace coffer {
namespace {

// The 32-bit keystream word w (0 .. 511) of the table's expansion.
uint32_t KeystreamWord(const GearTable& table, size_t w) {
  return static_cast<uint32_t>(table.values[w / 2] >> (32 * (w % 2)));
}

bool CpuHas(ChunkerPath path) {
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_supports also checks that the OS saves the vector state.
  // The init call makes it safe even before libgcc's own constructor ran
  // (a Chunker built during static initialization).
  __builtin_cpu_init();
  switch (path) {
    case ChunkerPath::kScalar:
      return true;
    case ChunkerPath::kAvx2:
      return __builtin_cpu_supports("avx2");
    case ChunkerPath::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  }
  return false;
#else
  return path == ChunkerPath::kScalar;
#endif
}

ChunkerPath PathFromEnvironment() {
  const char* forced = std::getenv("COFFER_CHUNKER_PATH");
  const std::string_view name = forced != nullptr ? forced : "";
  for (ChunkerPath path : {ChunkerPath::kScalar, ChunkerPath::kAvx2, ChunkerPath::kAvx512}) {
    if (name == ChunkerPathName(path)) return SupportedChunkerPath(path);
  }
  return SupportedChunkerPath(ChunkerPath::kAvx512);
}

}  // namespace

std::string_view ChunkerPathName(ChunkerPath path) {
  switch (path) {
    case ChunkerPath::kScalar:
      return "scalar";
    case ChunkerPath::kAvx2:
      return "avx2";
    case ChunkerPath::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool ChunkerPathSupported(ChunkerPath path) {
  static const bool avx2 = CpuHas(ChunkerPath::kAvx2);
  static const bool avx512 = CpuHas(ChunkerPath::kAvx512);
  switch (path) {
    case ChunkerPath::kScalar:
      return true;
    case ChunkerPath::kAvx2:
      return avx2;
    case ChunkerPath::kAvx512:
      return avx512;
  }
  return false;
}

ChunkerPath SupportedChunkerPath(ChunkerPath path) {
  if (path == ChunkerPath::kAvx512 && !ChunkerPathSupported(path)) path = ChunkerPath::kAvx2;
  if (path == ChunkerPath::kAvx2 && !ChunkerPathSupported(path)) path = ChunkerPath::kScalar;
  return path;
}

ChunkerPath DefaultChunkerPath() {
  static const ChunkerPath path = PathFromEnvironment();
  return path;
}

GearSimdKey GearSimdKey::FromTable(const GearTable& table) {
  GearSimdKey key;
  for (size_t i = 0; i < 16; ++i) {
    key.low[i] = KeystreamWord(table, i);
    key.high[i] = KeystreamWord(table, 16 + i);
  }
  for (size_t b = 0; b < 256; ++b) key.byte[b] = key.low[b & 15] ^ key.high[b >> 4];
  return key;
}

size_t GearSimdScanScalar(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                          const GearSimdKey& key) {
  if (begin >= end) return end;
  const uint32_t* v = key.byte.data();
  // 31 bytes of warm-up: after them every older byte has been shifted out,
  // so h equals the window hash at each position from `begin` on.
  uint32_t h = 0;
  for (size_t p = begin - 31; p < begin; ++p) h = 2 * h + v[data[p]];
  size_t p = begin;
  // Unrolled by 8: the hash is a serial chain, so the win is fewer loop
  // branches and address updates, not parallelism.
  for (; p + 8 <= end; p += 8) {
#define COFFER_GEAR_SIMD_STEP(k) \
  h = 2 * h + v[data[p + k]];    \
  if (h < limit) return p + k;
    COFFER_GEAR_SIMD_STEP(0)
    COFFER_GEAR_SIMD_STEP(1)
    COFFER_GEAR_SIMD_STEP(2)
    COFFER_GEAR_SIMD_STEP(3)
    COFFER_GEAR_SIMD_STEP(4)
    COFFER_GEAR_SIMD_STEP(5)
    COFFER_GEAR_SIMD_STEP(6)
    COFFER_GEAR_SIMD_STEP(7)
#undef COFFER_GEAR_SIMD_STEP
  }
  for (; p < end; ++p) {
    h = 2 * h + v[data[p]];
    if (h < limit) return p;
  }
  return end;
}

GearSimdScan GearSimdScanFor(ChunkerPath path) {
  switch (path) {
    case ChunkerPath::kScalar:
      return &GearSimdScanScalar;
    case ChunkerPath::kAvx2:
      return &GearSimdScanAvx2;
    case ChunkerPath::kAvx512:
      return &GearSimdScanAvx512;
  }
  return &GearSimdScanScalar;
}

}  // namespace coffer
