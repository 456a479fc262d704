// ParsePackHeader on arbitrary plaintext. Input: the header's start in the
// pack (u32 LE), then the decrypted header. Every blob it accepts lies
// between the pack's prefix and the header.
#include "base/byte_io.h"
#include "fuzz_support.h"
#include "repo/pack.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader r(ByteView(data, size));
  auto header_start = r.U32();
  if (!header_start) return 0;
  auto blobs = ParsePackHeader(ByteView(data, size).subspan(4), *header_start);
  if (!blobs.ok()) return 0;
  for (const PackedBlob& b : *blobs) {
    FUZZ_CHECK(b.offset >= kPackPrefixSize);
    FUZZ_CHECK(uint64_t{b.offset} + b.length <= *header_start);
    FUZZ_CHECK(b.type == BlobType::kData || b.type == BlobType::kTree);
  }
  return 0;
}
