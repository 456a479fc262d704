// Reading and applying file metadata (the POSIX side of a tree Node).
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "repo/tree.h"

namespace coffer {

// Fills type, mode, owner (ids and names), times, size and hardlink identity
// from `st`. NotFound-free: the caller has already lstat'ed. Returns
// Unimplemented for sockets and devices, which backups skip.
absl::StatusOr<Node> NodeFromStat(const std::string& name, const struct stat& st);

// user.* extended attributes of `path` (not following symlinks), sorted.
absl::StatusOr<std::vector<Xattr>> ReadUserXattrs(const std::string& path);
// The same for a file open as `fd` (`path` names it in messages): no path
// lookup.
absl::StatusOr<std::vector<Xattr>> ReadUserXattrs(int fd, const std::string& path);

struct ApplyMetadataOptions {
  bool restore_owner = true;
};

// Sets xattrs, owner, mode and times of an existing entry at `path` (in that
// order: chown clears setuid bits, and anything but times changes ctime).
// Returns the first failure but tries every step.
absl::Status ApplyMetadata(const std::string& path, const Node& node, const ApplyMetadataOptions& options);
// The same for a regular file open for writing as `fd` (no path lookups;
// `path` only names the file in errors). Call after the last write: a
// write would move the modification time again.
absl::Status ApplyMetadataToOpenFile(int fd, const std::string& path, const Node& node,
                                     const ApplyMetadataOptions& options);

int64_t TimespecToNs(const struct timespec& ts);
struct timespec NsToTimespec(int64_t ns);

}  // namespace coffer
