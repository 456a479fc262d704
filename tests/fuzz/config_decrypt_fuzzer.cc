// DecryptConfig with the fixed index key: a stored object as is, or a
// plaintext sealed first (fuzz_support.h explains the modes).
#include "crypto/aead.h"
#include "fuzz_support.h"
#include "repo/config.h"
#include "repo/object_kind.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [plaintext, rest] = fuzz::SplitMode(data, size);
  const Key32& key = fuzz::FixedKeys().index_key;
  Bytes stored = plaintext ? Seal(Cipher::kXChaCha20Poly1305, key, rest, AsBytes(kConfigAad))
                           : Bytes(rest.begin(), rest.end());
  (void)DecryptConfig(stored, key);
  return 0;
}
