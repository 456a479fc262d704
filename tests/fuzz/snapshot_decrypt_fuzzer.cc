// DecryptSnapshot with the fixed key pair: a stored object as is, or a JSON
// plaintext sealed under a fresh data key first (fuzz_support.h explains the
// modes).
#include "crypto/aead.h"
#include "fuzz_support.h"
#include "repo/object_kind.h"
#include "repo/snapshot.h"

using namespace coffer;

namespace {

Bytes SnapshotAround(ByteView json) {
  Key32 data_key = fuzz::FixedKey(6);
  Bytes out = {'C', 'F', 'S', 'N', 1};
  Bytes sealed = SealKeyTo(fuzz::FixedKeys().public_key, data_key);
  out.insert(out.end(), sealed.begin(), sealed.end());
  SealAppend(Cipher::kAes256Gcm, data_key, json, AsBytes(kSnapshotAad), out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [plaintext, rest] = fuzz::SplitMode(data, size);
  Bytes stored = plaintext ? SnapshotAround(rest) : Bytes(rest.begin(), rest.end());
  (void)DecryptSnapshot(stored, fuzz::FixedPair());
  return 0;
}
