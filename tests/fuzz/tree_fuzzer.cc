// DecodeTree on arbitrary plaintext: never crashes; a tree it accepts
// encodes to a document that decodes to the same tree (same bytes again).
#include "fuzz_support.h"
#include "repo/tree.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tree = DecodeTree(ByteView(data, size));
  if (!tree.ok()) return 0;
  Bytes encoded = EncodeTree(*tree);
  auto again = DecodeTree(encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->nodes.size() == tree->nodes.size());
  FUZZ_CHECK(EncodeTree(*again) == encoded);
  return 0;
}
