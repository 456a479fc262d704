// Lock objects as every locking operation reads them (ListLocks on a memory
// store, fixed index key): a stored object as is, or a JSON plaintext sealed
// first (fuzz_support.h explains the modes). A lock that does not decrypt or
// parse is listed as unreadable, never an error or a crash.
#include "crypto/aead.h"
#include "fuzz_support.h"
#include "repo/lock.h"
#include "repo/object_kind.h"
#include "store/memory_store.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [plaintext, rest] = fuzz::SplitMode(data, size);
  const Key32& key = fuzz::FixedKeys().index_key;
  Bytes stored = plaintext ? Seal(Cipher::kXChaCha20Poly1305, key, rest, AsBytes(kLockAad))
                           : Bytes(rest.begin(), rest.end());
  auto store = NewMemoryStore();
  Id id = Id::FromBytes(fuzz::FixedKey(7).view());
  FUZZ_CHECK(store->Put(LockName(id), stored).ok());
  auto locks = ListLocks(*store, key);
  if (locks.ok()) {
    FUZZ_CHECK(locks->size() == 1);
    (void)DescribeLock((*locks)[0]);
    (void)IsLockStale((*locks)[0], 1767225600);
  }
  return 0;
}
