#include "repo/object_kind.h"

namespace coffer {

std::string PackName(const Id& id) {
  std::string hex = id.Hex();
  return std::string(kDataPrefix) + hex.substr(0, 2) + "/" + hex;
}
std::string IndexName(const Id& id) { return std::string(kIndexPrefix) + id.Hex(); }
std::string SnapshotName(const Id& id) { return std::string(kSnapshotsPrefix) + id.Hex(); }
std::string KeySlotName(const Id& id) { return std::string(kKeysPrefix) + id.Hex(); }
std::string LockName(const Id& id) { return std::string(kLocksPrefix) + id.Hex(); }

std::optional<Id> IdFromObjectName(std::string_view name) {
  size_t slash = name.rfind('/');
  std::string_view last = slash == std::string_view::npos ? name : name.substr(slash + 1);
  return Id::FromHex(last);
}

}  // namespace coffer
