// The local files cache: for each file backed up before, its metadata
// (size, mtime, ctime, inode) and content parts. A file whose metadata is
// unchanged and whose blobs are all still indexed is not read again.
//
// One file per repository: <cache dir>/<repo id>/files. It is replaced
// atomically after a snapshot is written, so it never names blobs of a
// backup that did not finish. Entries not seen for kMaxAge backups expire.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "base/cache_dir.h"
#include "base/id.h"
#include "base/bytes.h"
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

  FilesCache() = default;
  // Movable, not copyable: entries point into data_ and added_keys_, whose
  // storage a move keeps in place and a copy would not.
  FilesCache(FilesCache&&) = default;
  FilesCache& operator=(FilesCache&&) = default;
  FilesCache(const FilesCache&) = delete;
  FilesCache& operator=(const FilesCache&) = delete;

  // A missing or unreadable cache file is an empty cache (the cache only
  // saves work; it never decides correctness).
  static FilesCache Load(const std::filesystem::path& file);

  enum class Lookup { kNew, kChanged, kUnchanged };

 private:
  struct Entry;

 public:
  // What Find found, for MarkSeen: valid until the next Record (which may
  // move entries).
  struct Found {
    Entry* entry = nullptr;
  };
  // kUnchanged fills `content` from the cache, `no_xattrs` with whether the
  // file was known to have no extended attributes (then, as its ctime is
  // unchanged, it still has none and they need not be read), and `found`.
  // Call from one thread, like Record.
  Lookup Find(const std::string& path, const FileFingerprint& fp, std::vector<ContentPart>* content,
              bool* no_xattrs = nullptr, Found* found = nullptr);
  // Counts the entry of a kUnchanged Find as seen again as it was, as
  // Record with what Find gave would, without looking it up again. Only once
  // the file was taken as unchanged: an entry found but not used must age.
  // REQUIRES: no Record since that Find.
  void MarkSeen(Found found);
  // Thread-compatible: call from one thread. `no_xattrs`: the file's
  // attributes were read and there were none.
  void Record(const std::string& path, const FileFingerprint& fp, const std::vector<ContentPart>& content,
              bool no_xattrs = false);
  // Writes the cache unless it would say what the file already says (every
  // entry seen again, unchanged, none aging): an unchanged re-backup then
  // writes nothing here.
  absl::Status Save() const;
  // True when Save would write (for tests).
  bool NeedsSave() const;

 private:
  struct Entry {
    FileFingerprint fp;
    // Parts as loaded: a view into data_ holding `loaded_parts` encoded
    // parts; decoded only when asked for. loaded_parts 0: `content` holds
    // the parts (Record replaced them, or there are none).
    ByteView loaded;
    uint32_t loaded_parts = 0;
    std::vector<ContentPart> content;  // parts given to Record
    uint32_t age = 0;  // backups since last seen
    bool seen = false;
    bool no_xattrs = false;
  };
  static bool DecodeParts(ByteView encoded, uint32_t count, std::vector<ContentPart>* out);
  static bool SameParts(const Entry& e, const std::vector<ContentPart>& content);

  std::filesystem::path file_;
  // The loaded file: loaded keys and parts point into it, so loading a cache
  // of many files allocates nothing per file.
  std::string data_;
  std::deque<std::string> added_keys_;  // keys of entries new this run
  absl::flat_hash_map<std::string_view, Entry> entries_;
  bool changed_ = false;        // Record added or altered an entry
  bool loaded_aged_ = false;    // some loaded entry had age > 0
};

}  // namespace coffer
