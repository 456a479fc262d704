#include "crypto/secret.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/sodium_init.h"

namespace coffer {

Key32::~Key32() { sodium_memzero(bytes_.data(), bytes_.size()); }

Key32 Key32::FromBytes(ByteView b) {
  Key32 key;
  std::copy_n(b.begin(), std::min(b.size(), kSize), key.bytes_.begin());
  return key;
}

Key32 Key32::Random() {
  Key32 key;
  RandomFill(key.bytes_);
  return key;
}

bool Key32::operator==(const Key32& o) const {
  return sodium_memcmp(bytes_.data(), o.bytes_.data(), kSize) == 0;
}

void RandomFill(MutableByteView out) {
  if (out.empty()) return;
  crypto_internal::EnsureSodiumInitialized();
  randombytes_buf(out.data(), out.size());
}

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  RandomFill(out);
  return out;
}

}  // namespace coffer
