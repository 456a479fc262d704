// The two documents of a key slot, on arbitrary plaintext: the slot itself
// (ParseKeySlot, ReadKeySlotInfo) and the decrypted keys (ParseKeySlotKeys).
#include "fuzz_support.h"
#include "repo/key_slot.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  auto slot = ParseKeySlot(input);
  auto info = ReadKeySlotInfo(input);
  FUZZ_CHECK(slot.ok() == info.ok());
  if (slot.ok()) FUZZ_CHECK(ValidateKdfParams(slot->kdf).ok());
  auto keys = ParseKeySlotKeys(input);
  if (keys.ok() && keys->secret_key)
    FUZZ_CHECK(KeyPair::FromSecret(*keys->secret_key).public_key == keys->public_key);
  return 0;
}
