// gear-simd-v1 scan with AVX-512 (F + BW), 64 positions per step.
//
// Built with -mavx512f -mavx512bw (CMakeLists.txt sets them for this file
// only) and called only when the CPU has both. Call no inline function from
// another header here (not even std::array::data): an out-of-line copy built
// with these flags could be the one the linker keeps for every caller.
//
// Layout. A step loads 64 bytes at s. Dword lane j (0..15) holds bytes
// s+4j .. s+4j+3, so "stream" r (0..3) — byte r of every lane — is the
// positions s+4j+r. With v_r = v(byte r of lane j) looked up by vpermd (it
// reads only an index's low 4 bits, so the nibble tables are one register
// each and no masking is needed):
//
//   L0 = v0, L1 = 2 L0 + v1, L2 = 2 L1 + v2, U = 2 L2 + v3
//        gear of the bytes of lane j up to byte r (U: all four)
//   X1 = U  + (U  one lane back) << 4     gear of the 8 bytes ending at s+4j+3
//   X2 = X1 + (X1 two lanes back) << 8    16 bytes
//   W3 = X2 + (X2 four lanes back) << 16  32 bytes: W(s+4j+3)
//   Wr = Lr + (W3 one lane back) << (r+1) W(s+4j+r), r = 0..2
//
// "Lanes back" continue into the previous step's vectors (valignd), which
// start as zero: a window that reaches before the first byte read sums only
// what was read, and such positions are never reported (the scan starts 31
// bytes before `begin`). Terms shifted past bit 31 vanish, which is exactly
// the 32-byte window.
#include "chunk/gear_simd.h"

#if defined(__x86_64__)

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_epi32() as the unused
// merge source, which -Wmaybe-uninitialized reports at every use (GCC bug
// 105593, fixed in GCC 13). The pragma must precede the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
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

}  // namespace

size_t GearSimdScanAvx512(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                          const GearSimdKey& key) {
  if (begin >= end) return end;
  const __m512i low = _mm512_loadu_si512(&key.low);
  const __m512i high = _mm512_loadu_si512(&key.high);
  const __m512i lim = _mm512_set1_epi32(static_cast<int>(limit));
  __m512i prev_u = _mm512_setzero_si512();
  __m512i prev_x1 = prev_u, prev_x2 = prev_u, prev_w3 = prev_u;

  for (size_t s = begin - 31; s < end; s += 64) {
    const size_t avail = end - s;
    const __m512i x = avail >= 64 ? _mm512_loadu_si512(data + s)
                                  : _mm512_maskz_loadu_epi8(~0ull >> (64 - avail), data + s);
    const __m512i v0 = _mm512_xor_si512(_mm512_permutexvar_epi32(x, low),
                                        _mm512_permutexvar_epi32(_mm512_srli_epi32(x, 4), high));
    const __m512i v1 = _mm512_xor_si512(_mm512_permutexvar_epi32(_mm512_srli_epi32(x, 8), low),
                                        _mm512_permutexvar_epi32(_mm512_srli_epi32(x, 12), high));
    const __m512i v2 = _mm512_xor_si512(_mm512_permutexvar_epi32(_mm512_srli_epi32(x, 16), low),
                                        _mm512_permutexvar_epi32(_mm512_srli_epi32(x, 20), high));
    const __m512i v3 = _mm512_xor_si512(_mm512_permutexvar_epi32(_mm512_srli_epi32(x, 24), low),
                                        _mm512_permutexvar_epi32(_mm512_srli_epi32(x, 28), high));

    const __m512i l1 = _mm512_add_epi32(_mm512_add_epi32(v0, v0), v1);
    const __m512i l2 = _mm512_add_epi32(_mm512_add_epi32(l1, l1), v2);
    const __m512i u = _mm512_add_epi32(_mm512_add_epi32(l2, l2), v3);
    const __m512i x1 =
        _mm512_add_epi32(u, _mm512_slli_epi32(_mm512_alignr_epi32(u, prev_u, 15), 4));
    const __m512i x2 =
        _mm512_add_epi32(x1, _mm512_slli_epi32(_mm512_alignr_epi32(x1, prev_x1, 14), 8));
    const __m512i w3 =
        _mm512_add_epi32(x2, _mm512_slli_epi32(_mm512_alignr_epi32(x2, prev_x2, 12), 16));
    const __m512i before = _mm512_alignr_epi32(w3, prev_w3, 15);
    const __m512i w0 = _mm512_add_epi32(v0, _mm512_slli_epi32(before, 1));
    const __m512i w1 = _mm512_add_epi32(l1, _mm512_slli_epi32(before, 2));
    const __m512i w2 = _mm512_add_epi32(l2, _mm512_slli_epi32(before, 3));
    prev_u = u;
    prev_x1 = x1;
    prev_x2 = x2;
    prev_w3 = w3;

    const __mmask16 k0 = _mm512_cmplt_epu32_mask(w0, lim);
    const __mmask16 k1 = _mm512_cmplt_epu32_mask(w1, lim);
    const __mmask16 k2 = _mm512_cmplt_epu32_mask(w2, lim);
    const __mmask16 k3 = _mm512_cmplt_epu32_mask(w3, lim);
    if (__builtin_expect((k0 | k1 | k2 | k3) != 0, 0)) {
      uint64_t hits = SpreadBy4(k0) | SpreadBy4(k1) << 1 | SpreadBy4(k2) << 2 | SpreadBy4(k3) << 3;
      if (s < begin) hits &= ~0ull << (begin - s);
      if (avail < 64) hits &= ~0ull >> (64 - avail);
      if (hits != 0) return s + static_cast<size_t>(__builtin_ctzll(hits));
    }
  }
  return end;
}

}  // namespace coffer

#else  // not x86-64: never selected (ChunkerPathSupported is false).

namespace coffer {
size_t GearSimdScanAvx512(const uint8_t* data, size_t begin, size_t end, uint32_t limit,
                          const GearSimdKey& key) {
  return GearSimdScanScalar(data, begin, end, limit, key);
}
}  // namespace coffer

#endif
