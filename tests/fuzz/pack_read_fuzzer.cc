// A whole pack with the fixed keys: ReadPackHeader, then every blob it lists
// is opened and decompressed (fuzz_support.h explains the modes; in the
// plaintext mode the input is a header, put into a pack with no blobs).
#include "base/byte_io.h"
#include "compress/codec.h"
#include "crypto/aead.h"
#include "fuzz_support.h"
#include "repo/object_kind.h"
#include "repo/pack.h"

using namespace coffer;

namespace {

// Blobs larger than this are not decompressed: DecompressBlob allocates the
// declared raw length up front (up to 4 GiB - 1 for a blob), so larger
// ones would test the allocator, not the parser.
constexpr uint32_t kMaxRaw = 4u << 20;

Bytes PackAround(ByteView header) {
  Key32 data_key = fuzz::FixedKey(4);
  Bytes pack = {'C', 'F', 'P', 'K', 1};
  Bytes sealed = SealKeyTo(fuzz::FixedKeys().public_key, data_key);
  pack.insert(pack.end(), sealed.begin(), sealed.end());
  size_t before = pack.size();
  SealAppend(Cipher::kXChaCha20Poly1305, data_key, header, AsBytes(kPackHeaderAad), pack);
  ByteWriter trailer;
  trailer.U32(static_cast<uint32_t>(pack.size() - before));
  pack.insert(pack.end(), trailer.bytes().begin(), trailer.bytes().end());
  return pack;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [plaintext, rest] = fuzz::SplitMode(data, size);
  Bytes pack = plaintext ? PackAround(rest) : Bytes(rest.begin(), rest.end());
  KeyPair pair = fuzz::FixedPair();
  auto blobs = ReadPackHeader(pack, pair);
  if (!blobs.ok()) return 0;
  auto key = OpenPackDataKey(ByteView(pack).first(kPackPrefixSize), pair);
  FUZZ_CHECK(key.ok());
  for (const PackedBlob& b : *blobs) {
    FUZZ_CHECK(uint64_t{b.offset} + b.length <= pack.size());
    auto payload = OpenPackedBlob(*key, b.id, ByteView(pack).subspan(b.offset, b.length));
    if (payload.ok() && b.raw_length <= kMaxRaw) (void)DecompressBlob(*payload, b.raw_length);
  }
  return 0;
}
