// The repository's keys, split by purpose (see docs/FORMAT.md, "Keys"):
//   id_key     keyed hash behind blob IDs, and the seed of the chunker's table
//   index_key  encrypts config, index and lock objects (reveals no content)
//   data pair  X25519: packs and snapshots are sealed to public_key; only a
//              holder of secret_key can read file data, trees and snapshots.
// A write-only key slot holds everything but secret_key.
#pragma once

#include <optional>

#include "base/bytes.h"
#include "crypto/sealed_box.h"
#include "crypto/secret.h"

namespace coffer {

struct MasterKeys {
  Key32 id_key;
  Key32 index_key;
  Key32 public_key;
  std::optional<Key32> secret_key;  // absent in a write-only slot

  static MasterKeys Generate();
  bool can_read() const { return secret_key.has_value(); }
  // REQUIRES: can_read().
  KeyPair data_key_pair() const { return KeyPair{public_key, *secret_key}; }
  // The seed for the chunker's gear table, derived from id_key so cut points
  // are secret and identical for every holder of the repository's keys.
  Key32 ChunkerSeed() const;
};

}  // namespace coffer
