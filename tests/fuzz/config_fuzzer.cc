// ParseConfig on arbitrary plaintext: never crashes; a config it accepts
// survives EncryptConfig/DecryptConfig unchanged.
#include "fuzz_support.h"
#include "repo/config.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = ParseConfig(ByteView(data, size));
  if (!config.ok()) return 0;
  const Key32& key = fuzz::FixedKeys().index_key;
  auto again = DecryptConfig(EncryptConfig(*config, key), key);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->version == config->version && again->repo_id == config->repo_id &&
             again->chunker.min_size == config->chunker.min_size &&
             again->chunker.avg_size == config->chunker.avg_size &&
             again->chunker.max_size == config->chunker.max_size &&
             again->data_cipher == config->data_cipher &&
             again->compression.codec == config->compression.codec &&
             again->compression.level == config->compression.level &&
             again->pack_size == config->pack_size && again->created_unix == config->created_unix);
  return 0;
}
