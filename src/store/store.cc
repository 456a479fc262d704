#include "store/store.h"

#include "base/status_macros.h"

namespace coffer {

absl::Status PutContentAddressed(Store& store, std::string_view name, ByteView data) {
  absl::Status s = store.PutIfAbsent(name, data);
  if (!absl::IsAlreadyExists(s)) return s;
  // The name is the hash of the bytes, so an object already there holds
  // these bytes, unless it is a damaged leftover (a torn write on a store
  // without atomic puts). Its size tells them apart cheaply; a damaged one
  // is replaced, which is safe since only these bytes may live there.
  COFFER_ASSIGN_OR_RETURN(ObjectInfo existing, store.Stat(name));
  if (existing.size != data.size()) COFFER_RETURN_IF_ERROR(store.Put(name, data));
  return absl::OkStatus();
}

absl::Status Store::PutContentAddressedDeferred(std::string_view name, ByteView data) {
  return PutContentAddressed(*this, name, data);
}

}  // namespace coffer
