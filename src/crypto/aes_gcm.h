// AES-256-GCM over caller buffers with caller-chosen nonces, for large local
// files (the index cache) that are encrypted in segments and decrypted in
// place, where the Seal/Open envelope's copy would double peak memory.
// Everything on the store uses Seal/Open (crypto/aead.h) instead.
//
// The caller must never use one nonce twice under one key (e.g. a fresh key
// per file and a counter as nonce).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "base/bytes.h"
#include "crypto/secret.h"

namespace coffer {

inline constexpr size_t kAesGcmNonceSize = 12;
inline constexpr size_t kAesGcmTagSize = 16;

// Encrypts `in` into `out` (in.size() bytes; may be in.data()) and writes
// the tag.
void AesGcmEncrypt(const Key32& key, const uint8_t (&nonce)[kAesGcmNonceSize], ByteView aad, ByteView in,
                   uint8_t* out, uint8_t (&tag)[kAesGcmTagSize]);

// Decrypts `data` in place. DataLoss when the tag does not match (wrong key,
// nonce, aad or any changed byte); `data` is then unspecified.
absl::Status AesGcmDecryptInPlace(const Key32& key, const uint8_t (&nonce)[kAesGcmNonceSize], ByteView aad,
                                  MutableByteView data, const uint8_t (&tag)[kAesGcmTagSize]);

}  // namespace coffer
