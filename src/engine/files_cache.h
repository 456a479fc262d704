// The local files cache: for each file backed up before, its metadata
// (size, mtime, ctime, inode) and content parts. A file whose metadata is
// unchanged and whose blobs are all still indexed is not read again.
//
// One file per repository: <cache dir>/<repo id>/files. It is replaced
// atomically after a snapshot is written, so it never names blobs of a
// backup that did not finish. Entries not seen for kMaxAge backups expire.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "base/cache_dir.h"
#include "base/id.h"
#include "repo/tree.h"

namespace coffer {

struct FileFingerprint {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  bool operator==(const FileFingerprint&) const = default;
};

class FilesCache {
 public:
  static constexpr uint32_t kMaxAge = 10;

  // A missing or unreadable cache file is an empty cache (the cache only
  // saves work; it never decides correctness).
  static FilesCache Load(const std::filesystem::path& file);

  enum class Lookup { kNew, kChanged, kUnchanged };
  // kUnchanged fills `content` from the cache, and `no_xattrs` with whether
  // the file was known to have no extended attributes (then, as its ctime
  // is unchanged, it still has none and they need not be read).
  Lookup Find(const std::string& path, const FileFingerprint& fp, std::vector<ContentPart>* content,
              bool* no_xattrs = nullptr) const;
  // Thread-compatible: call from one thread. `no_xattrs`: the file's
  // attributes were read and there were none.
  void Record(const std::string& path, const FileFingerprint& fp, std::vector<ContentPart> content,
              bool no_xattrs = false);
  absl::Status Save() const;

 private:
  struct Entry {
    FileFingerprint fp;
    std::vector<ContentPart> content;
    uint32_t age = 0;  // backups since last seen
    bool seen = false;
    bool no_xattrs = false;
  };
  std::filesystem::path file_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace coffer
