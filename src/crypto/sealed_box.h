// Public-key sealing (X25519 + XSalsa20-Poly1305, libsodium crypto_box_seal).
// Each pack and snapshot gets a fresh data key sealed to the repository's
// public key, so a writer holding only the public key can add data it cannot
// read back.
#pragma once

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "crypto/secret.h"

namespace coffer {

struct KeyPair {
  Key32 public_key;
  Key32 secret_key;
  static KeyPair Generate();
  // Derives the public half from a secret key.
  static KeyPair FromSecret(const Key32& secret_key);
};

// Size of a sealed 32-byte key: 32 + crypto_box_SEALBYTES (48) = 80.
constexpr size_t kSealedKeySize = 80;

// Returns kSealedKeySize bytes, or an empty result when `public_key` is not
// usable (a low-order X25519 point, e.g. all zeros).
Bytes SealKeyTo(const Key32& public_key, const Key32& key_to_seal);
// DataLoss when the sealed bytes are malformed or not sealed to this pair.
absl::StatusOr<Key32> OpenSealedKey(const KeyPair& pair, ByteView sealed);

}  // namespace coffer
