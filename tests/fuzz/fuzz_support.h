// Shared by the fuzz targets and the seed generator: fixed keys, so seeds
// written once decrypt in every later fuzzing run, and the two input modes of
// the targets that go through a whole decrypt path.
//
// A "decrypt" target reads its first byte as the mode:
//   even: the rest is a stored object, given to the decrypt function as is
//         (the envelope and framing are fuzzed; the AEAD check stops most
//         mutations before the parser);
//   odd:  the rest is a plaintext, which the target encrypts with the fixed
//         keys and then decrypts through the same path (so the parser behind
//         a valid envelope is fuzzed too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "base/bytes.h"
#include "crypto/sealed_box.h"
#include "crypto/secret.h"
#include "crypto/password_kdf.h"
#include "repo/master_keys.h"

// An invariant the parser must keep; a violation is reported like a crash.
#define FUZZ_CHECK(cond)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                             \
    }                                                                           \
  } while (0)

namespace coffer::fuzz {

inline Key32 FixedKey(uint8_t tag) {
  uint8_t bytes[Key32::kSize];
  for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<uint8_t>(tag * 31 + i * 7 + 1);
  return Key32::FromBytes(ByteView(bytes, sizeof bytes));
}

inline const MasterKeys& FixedKeys() {
  static const MasterKeys keys = [] {
    MasterKeys k;
    k.id_key = FixedKey(1);
    k.index_key = FixedKey(2);
    KeyPair pair = KeyPair::FromSecret(FixedKey(3));
    k.public_key = pair.public_key;
    k.secret_key = pair.secret_key;
    return k;
  }();
  return keys;
}

inline KeyPair FixedPair() { return FixedKeys().data_key_pair(); }

// The password of the fixed key slot seeds, and cheap KDF parameters.
inline constexpr char kFixedPassword[] = "fuzz";
inline KdfParams CheapKdf() {
  KdfParams kdf;
  kdf.ops_limit = 1;
  kdf.mem_limit = 8 * 1024;
  kdf.salt = Bytes(16, 0x5a);
  return kdf;
}

struct ModeInput {
  bool plaintext;
  ByteView rest;
};
inline ModeInput SplitMode(const uint8_t* data, size_t size) {
  if (size == 0) return {false, {}};
  return {(data[0] & 1) != 0, ByteView(data + 1, size - 1)};
}

}  // namespace coffer::fuzz
