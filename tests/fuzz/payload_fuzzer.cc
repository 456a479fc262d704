// DecompressBlob (the blob payload of every blob and index object) on
// arbitrary input, with a 16 MiB bound: never crashes, never returns other
// than the declared length, and what it returns compresses and decompresses
// back to itself.
#include "base/byte_io.h"
#include "compress/codec.h"
#include "fuzz_support.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kBound = 16u << 20;
  auto raw = DecompressBlob(ByteView(data, size), kBound);
  if (!raw.ok()) return 0;
  ByteReader r(ByteView(data, size));
  (void)r.U8();
  FUZZ_CHECK(raw->size() == *r.Varint());
  for (Codec codec : {Codec::kLz4, Codec::kZstd}) {
    Bytes again = CompressBlob(*raw, Compression{codec, 0});
    auto back = DecompressBlob(again, raw->size());
    FUZZ_CHECK(back.ok() && *back == *raw);
  }
  return 0;
}
