// Authenticated encryption envelope used for every object on the store.
//
//   [format: u8 = 1][cipher: u8][nonce][ciphertext || 16-byte tag]
//
// The nonce is random for every call (24 bytes for XChaCha20-Poly1305, 12 for
// AES-256-GCM). AES-256-GCM is used only under keys that encrypt a bounded
// number of messages (a fresh data key per pack), so random 96-bit nonces are
// safe; XChaCha20-Poly1305 serves long-lived keys. `aad` binds an envelope to
// its context (e.g. the object kind) so envelopes cannot be swapped.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "crypto/secret.h"

namespace coffer {

enum class Cipher : uint8_t { kXChaCha20Poly1305 = 1, kAes256Gcm = 2 };

std::string_view CipherName(Cipher cipher);  // "xchacha20-poly1305", "aes-256-gcm"
std::optional<Cipher> ParseCipherName(std::string_view name);
// True when this CPU runs AES-256-GCM in hardware (AES-NI + CLMUL).
bool AesGcmIsFast();

// Bytes added by Seal for `cipher`: 2 + nonce + 16.
size_t EnvelopeOverhead(Cipher cipher);

Bytes Seal(Cipher cipher, const Key32& key, ByteView plaintext, ByteView aad = {});
// Appends the envelope to `out` (avoids a copy when building packs).
void SealAppend(Cipher cipher, const Key32& key, ByteView plaintext, ByteView aad, Bytes& out);

// DataLoss when the envelope is malformed, truncated, uses an unknown cipher
// or format, or fails authentication (wrong key, flipped bit, wrong aad).
absl::StatusOr<Bytes> Open(const Key32& key, ByteView envelope, ByteView aad = {});

}  // namespace coffer
