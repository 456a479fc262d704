// DecryptIndexObject with the fixed index key: a stored object as is, or a
// payload (codec byte, raw length, data) sealed first (fuzz_support.h
// explains the modes).
#include "base/byte_io.h"
#include "crypto/aead.h"
#include "fuzz_support.h"
#include "repo/index.h"
#include "repo/object_kind.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [plaintext, rest] = fuzz::SplitMode(data, size);
  const Key32& key = fuzz::FixedKeys().index_key;
  if (plaintext) {
    // DecompressBlob allocates the declared raw length before decompressing
    // once it is within what the codec can expand the input to (32768-fold
    // for zstd); payloads declaring more than 4 MiB are skipped so the
    // allocations, not the parsing, do not dominate the run.
    ByteReader r(rest);
    (void)r.U8();
    auto raw = r.Varint();
    if (raw && *raw > (4u << 20)) return 0;
  }
  Bytes stored = plaintext ? Seal(Cipher::kXChaCha20Poly1305, key, rest, AsBytes(kIndexAad))
                           : Bytes(rest.begin(), rest.end());
  (void)DecryptIndexObject(stored, key);
  return 0;
}
