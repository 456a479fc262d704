// A tree blob as restore reads it: blob envelope (fixed data key, fixed id
// as context) → payload → DecompressBlob → DecodeTree. A stored envelope as
// is, or a payload sealed first (fuzz_support.h explains the modes).
#include "compress/codec.h"
#include "crypto/aead.h"
#include "fuzz_support.h"
#include "repo/pack.h"
#include "repo/tree.h"

using namespace coffer;

namespace {
// The largest tree the target decompresses (restore's bound is the blob's
// raw length from the index).
constexpr size_t kMaxTree = 4u << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [plaintext, rest] = fuzz::SplitMode(data, size);
  Key32 data_key = fuzz::FixedKey(4);
  Id id = Id::FromBytes(fuzz::FixedKey(5).view());
  Bytes envelope = plaintext ? Seal(Cipher::kAes256Gcm, data_key, rest, id.bytes) : Bytes(rest.begin(), rest.end());
  auto payload = OpenPackedBlob(data_key, id, envelope);
  if (!payload.ok()) return 0;
  auto raw = DecompressBlob(*payload, kMaxTree);
  if (!raw.ok()) return 0;
  (void)DecodeTree(*raw);
  return 0;
}
