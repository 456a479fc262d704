// The local index cache: a repository's decoded index in one local file,
// <cache dir>/<repo id>/index, so that opening a repository reads one file
// instead of fetching, decrypting and parsing every index object.
//
// The file is encrypted and authenticated with a key derived from the index
// key (AES-256-GCM, a fresh subkey per file), so it neither reveals more than
// the store's index objects nor lets anyone without the key plant blob
// locations. It records which index objects it was built from; the caller
// compares that list with the store (Repository::LoadIndex). Layout and
// reasoning: docs/FORMAT.md, "Local index cache".
#pragma once

#include <filesystem>
#include <vector>

#include "absl/status/statusor.h"
#include "base/id.h"
#include "crypto/secret.h"
#include "repo/index.h"

namespace coffer {

std::filesystem::path IndexCachePath(const std::filesystem::path& cache_dir, const Id& repo_id);

// A cache file whose header (object list and sizes) has been authenticated.
class IndexCacheFile {
 public:
  // NotFound when there is no cache file; DataLoss when it is damaged, was
  // written under another key, for another repository or in another format.
  static absl::StatusOr<IndexCacheFile> Open(const std::filesystem::path& file, const Id& repo_id,
                                             const Key32& index_key);
  ~IndexCacheFile();
  IndexCacheFile(IndexCacheFile&& other) noexcept;
  IndexCacheFile& operator=(IndexCacheFile&& other) noexcept;

  // The ids of the index objects (index/<id>) the cached index holds, ascending.
  const std::vector<Id>& objects() const { return objects_; }
  size_t blob_count() const { return shape_.entries; }
  // Reads, decrypts and checks the index: DataLoss when any of it is damaged.
  absl::StatusOr<Index> ReadIndex();

 private:
  IndexCacheFile() = default;
  int fd_ = -1;
  Key32 key_;
  Id header_hash_;
  IndexTable::Shape shape_;
  uint64_t body_offset_ = 0;
  std::vector<Id> objects_;
};

// Replaces the cache file (a temporary file renamed over it) with `index`,
// built from exactly the index objects `objects` (ascending).
// REQUIRES: index.compact().
absl::Status WriteIndexCache(const std::filesystem::path& file, const Id& repo_id, const Key32& index_key,
                             const std::vector<Id>& objects, const Index& index);

}  // namespace coffer
