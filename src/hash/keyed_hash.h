// Hashes used for identity.
//
// Blob IDs are HMAC-SHA-256 of the plaintext keyed with the repository's
// 32-byte ID key, so the store never sees a plaintext hash (a plain hash would
// let anyone holding a candidate file confirm that it is in the repository).
// Object names are plain SHA-256 of the stored (already encrypted) bytes.
#pragma once

#include <memory>

#include "base/bytes.h"
#include "base/id.h"

namespace coffer {

class KeyedHasher {
 public:
  // REQUIRES: key.size() == 32.
  explicit KeyedHasher(ByteView key);
  ~KeyedHasher();
  KeyedHasher(const KeyedHasher&) = delete;
  KeyedHasher& operator=(const KeyedHasher&) = delete;

  // Thread-safe: may be called concurrently.
  Id Hash(ByteView data) const;

 private:
  // SHA-256 states after the key's inner and outer pad blocks.
  struct Pads;
  std::unique_ptr<Pads> pads_;
};

// SHA-256 of `data`.
Id Sha256(ByteView data);

}  // namespace coffer
