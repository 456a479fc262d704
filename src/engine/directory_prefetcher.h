// Reads a re-backup's directories ahead of its walk, on a thread of its own:
// each directory's entry names, sorted, with their lstat results, in the
// order the backup walks them (depth first, names sorted, the same exclude
// and one-file-system rules). The walking thread then finds them ready
// instead of spending about half of an unchanged re-backup in getdents and
// fstatat, while the second core was idle.
//
// A listing is only ever handed out for the directory it was made for: the
// walk names each directory it enters, and when that is not the next one
// listed (a source root changed between the two looks, or the read-ahead
// ended at a directory too large) the prefetcher stops for good and the walk
// lists every directory after that itself. Changes made to the tree after a
// directory was listed are seen by the next backup, as changes made after
// the walk passed are; a file that needs reading is checked to be the one
// its listing describes (the backup's ProcessFile).
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "repo/tree.h"

namespace coffer {

struct PrefetchedEntry {
  std::string name;
  int stat_errno = 0;  // non-zero: lstat failed with this error
  struct stat st {};
};

struct DirectoryListing {
  std::string path;
  int open_errno = 0;  // non-zero: the directory could not be opened
  int read_errno = 0;  // non-zero: reading its entries stopped with this error
  std::vector<PrefetchedEntry> entries;  // sorted by name; excluded ones left out
  // The directory's own user.* extended attributes, read through its
  // descriptor (when it could be opened).
  absl::StatusOr<std::vector<Xattr>> xattrs = std::vector<Xattr>{};
};

class DirectoryPrefetcher {
 public:
  // Entries queued before the thread waits for the walk to catch up (about
  // 180 bytes each). A directory with more entries than this ends the
  // read-ahead: the walk reads it, and what follows, itself.
  static constexpr size_t kDefaultMaxQueuedEntries = 16384;

  // `roots`: the source paths in the order the walk visits them.
  DirectoryPrefetcher(std::vector<std::string> roots, std::vector<std::string> excludes,
                      bool one_file_system, size_t max_queued_entries = kDefaultMaxQueuedEntries);
  ~DirectoryPrefetcher();  // stops and joins
  DirectoryPrefetcher(const DirectoryPrefetcher&) = delete;
  DirectoryPrefetcher& operator=(const DirectoryPrefetcher&) = delete;

  // The listing of `path`, the next directory the walk enters, waiting for
  // it if need be. nullopt when the prefetcher has none for it (it ended, or
  // the walk and it disagree); from then on it is stopped and answers nullopt.
  std::optional<DirectoryListing> Next(const std::string& path);

  // Whether the walk asked for a directory the prefetcher had not listed next
  // (the tree changed, or the read-ahead ended at a directory too large).
  bool out_of_step() const;

 private:
  void Run();
  // Lists `path` and, depth first, the directories below it. `parent_fd`:
  // the open directory holding it as `name` (opened by one path component
  // then), or -1 (by its whole path). `depth`: directories held open above.
  void Walk(const std::string& path, int parent_fd, const std::string& name, dev_t root_device, int depth);
  // False: stopped while waiting for room.
  bool Push(DirectoryListing listing);

  const std::vector<std::string> roots_, excludes_;
  const bool one_file_system_;
  const size_t max_queued_entries_;
  bool gave_up_ = false;  // the prefetcher's thread only: a directory was too large
  std::vector<char> dirents_;  // the thread's getdents64 buffer
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<DirectoryListing> queue_;
  size_t queued_entries_ = 0;
  bool done_ = false, out_of_step_ = false;
  // Also read without the lock by the thread's loops, so a cancelled backup
  // does not wait for a large directory to be read to its end.
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace coffer
