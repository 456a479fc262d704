#include "hash/keyed_hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace coffer {
namespace {

// An empty span may carry a null pointer; OpenSSL wants a valid one.
const uint8_t* NonNull(ByteView data) {
  static const uint8_t kEmpty = 0;
  return data.empty() ? &kEmpty : data.data();
}

}  // namespace

KeyedHasher::KeyedHasher(ByteView key) {
  std::memset(key_, 0, sizeof(key_));
  std::copy_n(key.begin(), std::min(key.size(), sizeof(key_)), key_);
}

KeyedHasher::~KeyedHasher() { OPENSSL_cleanse(key_, sizeof(key_)); }

Id KeyedHasher::Hash(ByteView data) const {
  // HMAC() with an output buffer keeps all state local to this call, so
  // concurrent calls share nothing mutable. Its fixed cost (~1 us here) is
  // small next to hashing a chunk.
  Id id;
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key_, sizeof(key_), NonNull(data), data.size(), id.bytes.data(),
           &len) == nullptr ||
      len != Id::kSize) {
    // Only an allocation failure inside OpenSSL gets here. A wrong ID would
    // silently corrupt deduplication, so stopping is the only safe choice.
    std::abort();
  }
  return id;
}

Id Sha256(ByteView data) {
  Id id;
  SHA256(NonNull(data), data.size(), id.bytes.data());
  return id;
}

}  // namespace coffer
