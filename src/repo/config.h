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
#include "store/object_lock.h"

namespace coffer {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr std::string_view kChunkerAlgorithm = "fastcdc-gear-v1";
inline constexpr uint32_t kDefaultPackSize = 16u << 20;

struct RepoConfig {
  uint32_t version = kFormatVersion;
  Id repo_id;
  std::string chunker_algorithm{kChunkerAlgorithm};
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
