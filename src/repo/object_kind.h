// Object kinds and where they live on the store. Every stored object except
// key slots is named by the SHA-256 of its stored bytes (so `check` can verify
// a store without keys); packs are fanned out over 256 folders.
#pragma once

#include <string>
#include <string_view>

#include "base/id.h"

namespace coffer {

inline constexpr std::string_view kConfigName = "config";
inline constexpr std::string_view kKeysPrefix = "keys/";
inline constexpr std::string_view kDataPrefix = "data/";
inline constexpr std::string_view kIndexPrefix = "index/";
inline constexpr std::string_view kSnapshotsPrefix = "snapshots/";
inline constexpr std::string_view kLocksPrefix = "locks/";

std::string PackName(const Id& id);      // data/<first two hex digits>/<hex>
std::string IndexName(const Id& id);     // index/<hex>
std::string SnapshotName(const Id& id);  // snapshots/<hex>
std::string KeySlotName(const Id& id);   // keys/<hex>
std::string LockName(const Id& id);      // locks/<hex>

// The id at the end of an object name ("index/ab…" → ab…), if well-formed.
std::optional<Id> IdFromObjectName(std::string_view name);

// Associated data that binds each encrypted object to its kind, so an object
// of one kind can never be substituted for another.
inline constexpr std::string_view kConfigAad = "coffer/v1/config";
inline constexpr std::string_view kKeySlotAad = "coffer/v1/key";
inline constexpr std::string_view kIndexAad = "coffer/v1/index";
inline constexpr std::string_view kSnapshotAad = "coffer/v1/snapshot";
inline constexpr std::string_view kLockAad = "coffer/v1/lock";
inline constexpr std::string_view kPackHeaderAad = "coffer/v1/pack-header";

}  // namespace coffer
