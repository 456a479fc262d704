// The repository config object: fixed at init, read by every open.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "base/id.h"
#include "chunk/chunker.h"
#include "compress/codec.h"
#include "crypto/aead.h"
#include "crypto/secret.h"
#include "store/store.h"
#include "store/object_lock.h"

namespace coffer {

inline constexpr uint32_t kFormatVersion = 1;
// Local disks; object stores choose their own (Store::DefaultPackSize).
inline constexpr uint32_t kDefaultPackSize = Store::kLocalDefaultPackSize;

struct RepoConfig {
  uint32_t version = kFormatVersion;
  Id repo_id;
  // A name ParseChunkerAlgorithm knows; new repositories get the default.
  std::string chunker_algorithm{ChunkerAlgorithmName(kDefaultChunkerAlgorithm)};
  ChunkerParams chunker;
  Cipher data_cipher = Cipher::kAes256Gcm;  // packs and snapshots
  Compression compression;                  // default for new blobs
  uint32_t pack_size = kDefaultPackSize;    // target size of a pack
  int64_t created_unix = 0;
  // Object lock: every object but locks is written with retention (store
  // support required); absent in repositories without it.
  std::optional<ObjectLockPolicy> object_lock;
};

// Checks ranges (chunker params, pack size 1 MiB..1 GiB, known version and
// algorithm): InvalidArgument / FailedPrecondition naming the field.
absl::Status ValidateConfig(const RepoConfig& config);

Bytes EncryptConfig(const RepoConfig& config, const Key32& index_key);
// DataLoss when the object does not decrypt or parse; FailedPrecondition for
// a newer format version than this library understands.
absl::StatusOr<RepoConfig> DecryptConfig(ByteView stored, const Key32& index_key);
// The parsing half of DecryptConfig: `json` is the decrypted document.
absl::StatusOr<RepoConfig> ParseConfig(ByteView json);

}  // namespace coffer
