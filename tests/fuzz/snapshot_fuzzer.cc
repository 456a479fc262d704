// ParseSnapshot on arbitrary plaintext: never crashes; a snapshot it accepts
// survives EncryptSnapshot and DecryptSnapshot (strings that are not UTF-8
// are replaced on write, so only the structure is compared).
#include "fuzz_support.h"
#include "repo/snapshot.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto snapshot = ParseSnapshot(ByteView(data, size));
  if (!snapshot.ok()) return 0;
  auto again = DecryptSnapshot(
      EncryptSnapshot(*snapshot, Cipher::kXChaCha20Poly1305, fuzz::FixedKeys().public_key), fuzz::FixedPair());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->time_ns == snapshot->time_ns && again->tree == snapshot->tree &&
             again->parent == snapshot->parent && again->partial == snapshot->partial);
  FUZZ_CHECK(again->paths.size() == snapshot->paths.size() && again->tags.size() == snapshot->tags.size() &&
             again->errors.size() == snapshot->errors.size());
  return 0;
}
