// Expansion of a seed into the chunker's gear table.
//
// The table is the first 2048 bytes of the ChaCha20 (IETF, 96-bit nonce)
// keystream under key = seed and an all-zero nonce, read as 256 little-endian
// u64 values. The seed is a per-repository secret, and the zero nonce is safe
// because this key never encrypts anything: the keystream is only a PRF output.
// Changing this expansion changes every cut point of every repository, so it
// is part of the on-store format.
#include "chunk/gear_table.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

namespace coffer {
namespace {

void EnsureSodiumInitialized() {
  // sodium_init() picks the fastest implementations for this CPU; it is
  // idempotent, and the static makes the first call race-free.
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

}  // namespace

GearTable GearTable::FromSeed(ByteView seed) {
  EnsureSodiumInitialized();
  // The documented input is a 32-byte seed. Any other length is first hashed
  // to 32 bytes (BLAKE2b-256), so the table is still a deterministic function
  // of every seed byte rather than of a silently truncated or padded key.
  uint8_t key[crypto_stream_chacha20_ietf_KEYBYTES];
  static_assert(sizeof(key) == 32);
  if (seed.size() == sizeof(key)) {
    std::copy(seed.begin(), seed.end(), key);
  } else {
    static const uint8_t kEmpty = 0;
    const uint8_t* in = seed.empty() ? &kEmpty : seed.data();
    crypto_generichash(key, sizeof(key), in, seed.size(), nullptr, 0);
  }
  const uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};

  uint8_t stream[256 * 8];
  crypto_stream_chacha20_ietf(stream, sizeof(stream), nonce, key);

  GearTable table;
  for (size_t i = 0; i < table.values.size(); ++i) {
    uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | stream[i * 8 + b];
    table.values[i] = v;
  }
  sodium_memzero(key, sizeof(key));
  sodium_memzero(stream, sizeof(stream));
  return table;
}

}  // namespace coffer
