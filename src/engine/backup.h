// Backup: walks files and streams, chunks, deduplicates, packs and writes a
// snapshot. Write order pack → index → snapshot: the snapshot is written only
// after everything it references is durable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace coffer {

// Bytes from a reader, stored as a regular file. `read` fills the buffer and
// returns how many bytes it wrote (0 at end of stream) or an error.
struct StreamSource {
  std::string path;  // where the file appears in the snapshot, e.g. "/db/dump.sql"
  std::function<absl::StatusOr<size_t>(MutableByteView buffer)> read;
  uint32_t mode = 0644;
};

struct BackupOptions {
  std::vector<std::string> paths;     // files or directories (made absolute)
  std::vector<StreamSource> streams;
  // Patterns (engine/pattern.h). With includes, only non-directories that
  // match one are backed up, with the directories leading to them; excludes
  // win over includes.
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::string host;                   // default: this machine's host name
  // Local caches: file metadata → content, so unchanged files are not read
  // again, and (when set) the repository's index cache for this and later
  // loads through the same Repository. Default: $XDG_CACHE_HOME/coffer or
  // ~/.cache/coffer for the files cache; the index cache as the Repository
  // has it (Repository::set_cache_dir).
  std::optional<std::filesystem::path> cache_dir;
  bool use_files_cache = true;
  bool one_file_system = false;       // do not cross mount points
  int threads = 0;                    // workers; 0: one per core; 1: also one pack writer
  ProgressFn progress;
  WarningFn warning;
};

struct BackupResult {
  Id snapshot_id;
  Snapshot snapshot;  // summary, partial flag and errors included
  // Directories whose listing and lstat results were read ahead on another
  // thread (a re-backup's walk); not part of the snapshot.
  uint64_t dirs_read_ahead = 0;
};

// Unreadable or vanished files are warnings (recorded in the snapshot, which
// is then marked partial), not failures. Fails with the store's error when
// the repository cannot be written; the repository then holds no new
// snapshot and only unreferenced data.
absl::StatusOr<BackupResult> RunBackup(Repository& repo, const BackupOptions& options);

}  // namespace coffer
