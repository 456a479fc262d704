// ParseIndexObject on arbitrary plaintext (decrypted and decompressed): never
// crashes; an object it accepts survives EncryptIndexObject and
// DecryptIndexObject unchanged and merges into an Index.
#include "fuzz_support.h"
#include "repo/index.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto object = ParseIndexObject(ByteView(data, size));
  if (!object.ok()) return 0;
  const Key32& key = fuzz::FixedKeys().index_key;
  auto again = DecryptIndexObject(EncryptIndexObject(*object, key), key);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->supersedes == object->supersedes);
  FUZZ_CHECK(again->packs.size() == object->packs.size());
  size_t blobs = 0;
  for (size_t i = 0; i < object->packs.size(); ++i) {
    FUZZ_CHECK(again->packs[i].pack == object->packs[i].pack);
    FUZZ_CHECK(again->packs[i].blobs.size() == object->packs[i].blobs.size());
    blobs += object->packs[i].blobs.size();
  }
  Index index;
  index.Merge(*object);
  FUZZ_CHECK(index.blob_count() <= blobs);
  index.ForEach([&](const BlobRef& ref) { FUZZ_CHECK(index.Find(ref.blob.id).has_value()); });
  return 0;
}
