#include "hash/keyed_hash.h"

// SHA256_CTX and its functions are deprecated in OpenSSL 3 in favour of
// EVP, but they are the only interface whose state is a plain struct that
// can be copied; see KeyedHasher::Hash.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
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

constexpr size_t kBlockSize = 64;  // SHA-256's

}  // namespace

struct KeyedHasher::Pads {
  SHA256_CTX inner, outer;
};

// HMAC (RFC 2104) = H((K ^ opad) || H((K ^ ipad) || data)), K zero-padded to
// the block size. Both pad blocks are hashed once here; every Hash continues
// from copies of those two states. The one-shot HMAC() keyed OpenSSL's
// provider again on every call (~2.4 us, as long as hashing 2 KiB), which
// mattered for the many small blobs: trees, small files.
KeyedHasher::KeyedHasher(ByteView key) : pads_(std::make_unique<Pads>()) {
  uint8_t inner_pad[kBlockSize] = {}, outer_pad[kBlockSize] = {};
  std::copy_n(key.begin(), std::min<size_t>(key.size(), 32), inner_pad);
  std::copy_n(key.begin(), std::min<size_t>(key.size(), 32), outer_pad);
  for (size_t i = 0; i < kBlockSize; ++i) {
    inner_pad[i] ^= 0x36;
    outer_pad[i] ^= 0x5c;
  }
  if (SHA256_Init(&pads_->inner) != 1 || SHA256_Update(&pads_->inner, inner_pad, kBlockSize) != 1 ||
      SHA256_Init(&pads_->outer) != 1 || SHA256_Update(&pads_->outer, outer_pad, kBlockSize) != 1)
    std::abort();  // cannot fail for SHA-256; a wrong ID would corrupt deduplication
  OPENSSL_cleanse(inner_pad, sizeof(inner_pad));
  OPENSSL_cleanse(outer_pad, sizeof(outer_pad));
}

// The pad states are as good as the key: wiped, as are the copies below.
KeyedHasher::~KeyedHasher() { OPENSSL_cleanse(pads_.get(), sizeof(Pads)); }

Id KeyedHasher::Hash(ByteView data) const {
  // Copies on the stack: concurrent calls share nothing mutable.
  SHA256_CTX ctx = pads_->inner;
  uint8_t inner_digest[SHA256_DIGEST_LENGTH];
  Id id;
  static_assert(Id::kSize == SHA256_DIGEST_LENGTH);
  if (SHA256_Update(&ctx, NonNull(data), data.size()) != 1 || SHA256_Final(inner_digest, &ctx) != 1)
    std::abort();
  ctx = pads_->outer;
  if (SHA256_Update(&ctx, inner_digest, sizeof(inner_digest)) != 1 || SHA256_Final(id.bytes.data(), &ctx) != 1)
    std::abort();
  OPENSSL_cleanse(&ctx, sizeof(ctx));
  return id;
}

Id Sha256(ByteView data) {
  Id id;
  SHA256(NonNull(data), data.size(), id.bytes.data());
  return id;
}

}  // namespace coffer
