// OpenKeySlot with the fixed password: a stored slot as is, or a keys
// plaintext wrapped into a slot first (fuzz_support.h explains the modes).
// Slots asking for more than 64 KiB or 2 passes of Argon2id are skipped: the
// KDF bounds (up to 4 GiB, 16 passes) are by design, checked by
// ValidateKdfParams, and would only make the fuzzer slow.
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "crypto/aead.h"
#include "fuzz_support.h"
#include "repo/key_slot.h"
#include "repo/object_kind.h"

using namespace coffer;

namespace {

const Key32& WrapKey() {
  static const Key32 key = *DeriveKeyFromPassword(fuzz::kFixedPassword, fuzz::CheapKdf());
  return key;
}

Bytes SlotAround(ByteView keys_plaintext) {
  KdfParams kdf = fuzz::CheapKdf();
  Bytes envelope = Seal(Cipher::kXChaCha20Poly1305, WrapKey(), keys_plaintext, AsBytes(kKeySlotAad));
  nlohmann::json slot = {{"coffer_key_slot", 1},
                         {"kdf", {{"algorithm", "argon2id"}, {"ops", kdf.ops_limit}, {"mem", kdf.mem_limit},
                                  {"salt", Base64Encode(kdf.salt)}}},
                         {"keys", Base64Encode(envelope)}};
  return ToBytes(slot.dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [plaintext, rest] = fuzz::SplitMode(data, size);
  Bytes stored = plaintext ? SlotAround(rest) : Bytes(rest.begin(), rest.end());
  auto slot = ParseKeySlot(stored);
  if (!slot.ok() || slot->kdf.mem_limit > 64 * 1024 || slot->kdf.ops_limit > 2) return 0;
  auto keys = OpenKeySlot(stored, fuzz::kFixedPassword);
  if (keys.ok() && keys->secret_key)
    FUZZ_CHECK(KeyPair::FromSecret(*keys->secret_key).public_key == keys->public_key);
  return 0;
}
