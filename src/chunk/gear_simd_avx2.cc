// gear-simd-v1 scan with AVX2, 32 positions per step.
//
// Built with -mavx2 (CMakeLists.txt sets it for this file only) and called
// only when the CPU has AVX2. Call no inline function from another header
// here (not even std::array::data): an out-of-line copy built with -mavx2
// could be the one the linker keeps for every caller.
//
// Same recurrences as gear_simd_avx512.cc (read that first), with 8 dword
// lanes: lane j holds bytes s+4j .. s+4j+3 and stream r is positions s+4j+r.
// AVX2's vpermd indexes only 8 entries, so the lookups use vpshufb instead:
// each of the 4 bytes of v(b) is low_p[b & 15] ^ high_p[b >> 4] with 16-byte
// tables low_p, high_p (byte p of every entry). The bytes are first reordered
// so that vpshufb's results, interleaved by vpunpck, come out as the dwords
// v0..v3 of the four streams.
#include "chunk/gear_simd.h"

#if defined(__x86_64__)

#include <immintrin.h>

namespace coffer {
namespace {

// Bit i of k moves to bit 4i.
inline uint64_t SpreadBy4(uint64_t x) {
  x = (x | x << 24) & 0x000000ff000000ffull;
  x = (x | x << 12) & 0x000f000f000f000full;
  x = (x | x << 6) & 0x0303030303030303ull;
  x = (x | x << 3) & 0x1111111111111111ull;
  return x;
}

// Lane j of the result is lane j - n of the 16-lane sequence (prev, cur).
inline __m256i Back1(__m256i cur, __m256i prev) {
  return _mm256_alignr_epi8(cur, _mm256_permute2x128_si256(prev, cur, 0x21), 12);
}
inline __m256i Back2(__m256i cur, __m256i prev) {
  return _mm256_alignr_epi8(cur, _mm256_permute2x128_si256(prev, cur, 0x21), 8);
}
inline __m256i Back4(__m256i cur, __m256i prev) {
  return _mm256_permute2x128_si256(prev, cur, 0x21);
}

// A 16-byte table in both 128-bit lanes: byte `plane` of each entry.
inline __m256i PlaneTable(const uint32_t* entries, int plane) {
  alignas(32) uint8_t bytes[32];
  for (int i = 0; i < 16; ++i) {
    bytes[i] = bytes[16 + i] = static_cast<uint8_t>(entries[i] >> (8 * plane));
  }
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(bytes));
}

// The lanes where w < limit as a bit mask (bit j = lane j).
inline uint32_t Below(__m256i w, __m256i limit_minus_1) {
  const __m256i hit = _mm256_cmpeq_epi32(_mm256_min_epu32(w, limit_minus_1), w);
  return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(hit)));
}

}  // namespace

size_t GearSimdScanAvx2(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                        const GearSimdKey& key) {
  if (begin >= end) return end;
  const uint32_t* low = reinterpret_cast<const uint32_t*>(&key.low);
  const uint32_t* high = reinterpret_cast<const uint32_t*>(&key.high);
  const __m256i low0 = PlaneTable(low, 0), low1 = PlaneTable(low, 1);
  const __m256i low2 = PlaneTable(low, 2), low3 = PlaneTable(low, 3);
  const __m256i high0 = PlaneTable(high, 0), high1 = PlaneTable(high, 1);
  const __m256i high2 = PlaneTable(high, 2), high3 = PlaneTable(high, 3);
  // Within each 128-bit lane, byte 4r + j takes byte 4j + r.
  const __m256i by_stream = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                             0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i lim1 = _mm256_set1_epi32(static_cast<int>(limit - 1));
  __m256i prev_u = _mm256_setzero_si256();
  __m256i prev_x1 = prev_u, prev_x2 = prev_u, prev_w3 = prev_u;

  for (size_t s = begin - 31; s < end; s += 32) {
    const size_t avail = end - s;
    __m256i x;
    if (avail >= 32) {
      x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + s));
    } else {
      alignas(32) uint8_t tail[32] = {};
      for (size_t i = 0; i < avail; ++i) tail[i] = data[s + i];
      x = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
    }
    x = _mm256_shuffle_epi8(x, by_stream);
    const __m256i lo = _mm256_and_si256(x, nibble);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble);
    const __m256i p0 =
        _mm256_xor_si256(_mm256_shuffle_epi8(low0, lo), _mm256_shuffle_epi8(high0, hi));
    const __m256i p1 =
        _mm256_xor_si256(_mm256_shuffle_epi8(low1, lo), _mm256_shuffle_epi8(high1, hi));
    const __m256i p2 =
        _mm256_xor_si256(_mm256_shuffle_epi8(low2, lo), _mm256_shuffle_epi8(high2, hi));
    const __m256i p3 =
        _mm256_xor_si256(_mm256_shuffle_epi8(low3, lo), _mm256_shuffle_epi8(high3, hi));
    const __m256i p01_lo = _mm256_unpacklo_epi8(p0, p1), p01_hi = _mm256_unpackhi_epi8(p0, p1);
    const __m256i p23_lo = _mm256_unpacklo_epi8(p2, p3), p23_hi = _mm256_unpackhi_epi8(p2, p3);
    const __m256i v0 = _mm256_unpacklo_epi16(p01_lo, p23_lo);
    const __m256i v1 = _mm256_unpackhi_epi16(p01_lo, p23_lo);
    const __m256i v2 = _mm256_unpacklo_epi16(p01_hi, p23_hi);
    const __m256i v3 = _mm256_unpackhi_epi16(p01_hi, p23_hi);

    const __m256i l1 = _mm256_add_epi32(_mm256_add_epi32(v0, v0), v1);
    const __m256i l2 = _mm256_add_epi32(_mm256_add_epi32(l1, l1), v2);
    const __m256i u = _mm256_add_epi32(_mm256_add_epi32(l2, l2), v3);
    const __m256i x1 = _mm256_add_epi32(u, _mm256_slli_epi32(Back1(u, prev_u), 4));
    const __m256i x2 = _mm256_add_epi32(x1, _mm256_slli_epi32(Back2(x1, prev_x1), 8));
    const __m256i w3 = _mm256_add_epi32(x2, _mm256_slli_epi32(Back4(x2, prev_x2), 16));
    const __m256i before = Back1(w3, prev_w3);
    const __m256i w0 = _mm256_add_epi32(v0, _mm256_slli_epi32(before, 1));
    const __m256i w1 = _mm256_add_epi32(l1, _mm256_slli_epi32(before, 2));
    const __m256i w2 = _mm256_add_epi32(l2, _mm256_slli_epi32(before, 3));
    prev_u = u;
    prev_x1 = x1;
    prev_x2 = x2;
    prev_w3 = w3;

    const __m256i least = _mm256_min_epu32(_mm256_min_epu32(w0, w1), _mm256_min_epu32(w2, w3));
    if (__builtin_expect(Below(least, lim1) != 0, 0)) {
      uint64_t hits = SpreadBy4(Below(w0, lim1)) | SpreadBy4(Below(w1, lim1)) << 1 |
                      SpreadBy4(Below(w2, lim1)) << 2 | SpreadBy4(Below(w3, lim1)) << 3;
      if (s < begin) hits &= ~0ull << (begin - s);
      if (avail < 32) hits &= ~0ull >> (64 - avail);
      if (hits != 0) return s + static_cast<size_t>(__builtin_ctzll(hits));
    }
  }
  return end;
}

}  // namespace coffer

#else  // not x86-64: never selected (ChunkerPathSupported is false).

namespace coffer {
size_t GearSimdScanAvx2(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                        const GearSimdKey& key) {
  return GearSimdScanScalar(data, begin, end, limit, key);
}
}  // namespace coffer

#endif
