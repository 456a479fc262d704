// Key slots: the master keys wrapped by a key derived from a password with
// Argon2id. A repository has one or more slots (keys/<sha256 of the object>);
// any slot's password opens the repository. Adding, removing or changing a
// password touches only slots, never data.
//
// A slot is a JSON document whose "keys" field is an AEAD envelope
// (XChaCha20-Poly1305 under the password-derived key) of the key material.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "crypto/password_kdf.h"
#include "repo/master_keys.h"

namespace coffer {

// Cleartext facts about a slot, readable without its password.
struct KeySlotInfo {
  std::string host;
  std::string user;
  std::string label;
  int64_t created_unix = 0;
  bool write_only = false;
};

// Serialises a new slot. With info.write_only the secret data key is left out.
absl::StatusOr<Bytes> CreateKeySlot(const MasterKeys& keys, std::string_view password,
                                    const KdfParams& kdf, const KeySlotInfo& info);

// DataLoss when the slot is malformed.
absl::StatusOr<KeySlotInfo> ReadKeySlotInfo(ByteView stored);

// Unauthenticated when the password does not open the slot; DataLoss when
// the slot is malformed.
absl::StatusOr<MasterKeys> OpenKeySlot(ByteView stored, std::string_view password);

// The parsing halves of OpenKeySlot. ParseKeySlot reads the slot document
// (the KDF parameters are validated; `envelope` is the still encrypted
// "keys" field); ParseKeySlotKeys reads the decrypted keys document.
struct ParsedKeySlot {
  KdfParams kdf;
  KeySlotInfo info;
  Bytes envelope;
};
absl::StatusOr<ParsedKeySlot> ParseKeySlot(ByteView stored);
absl::StatusOr<MasterKeys> ParseKeySlotKeys(ByteView plain);

}  // namespace coffer
