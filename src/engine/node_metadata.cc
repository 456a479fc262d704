#include "engine/node_metadata.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace coffer {
namespace {

// getpwuid/getgrgid are slow (NSS) and not thread-safe: cache their answers.
std::string CachedName(bool group, uint32_t id) {
  static std::mutex mu;
  static absl::flat_hash_map<uint64_t, std::string> cache;
  uint64_t key = (uint64_t{group} << 32) | id;
  std::lock_guard<std::mutex> guard(mu);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::string name;
  if (group) {
    if (struct group* g = getgrgid(id)) name = g->gr_name;
  } else {
    if (struct passwd* p = getpwuid(id)) name = p->pw_name;
  }
  cache.emplace(key, name);
  return name;
}

absl::Status ErrnoStatus(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

}  // namespace

int64_t TimespecToNs(const struct timespec& ts) { return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec; }

struct timespec NsToTimespec(int64_t ns) {
  struct timespec ts;
  ts.tv_sec = ns / 1000000000;
  ts.tv_nsec = ns % 1000000000;
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000;
    ts.tv_sec -= 1;
  }
  return ts;
}

absl::StatusOr<Node> NodeFromStat(const std::string& name, const struct stat& st) {
  Node n;
  n.name = name;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: n.type = NodeType::kFile; break;
    case S_IFDIR: n.type = NodeType::kDir; break;
    case S_IFLNK: n.type = NodeType::kSymlink; break;
    case S_IFIFO: n.type = NodeType::kFifo; break;
    case S_IFSOCK: return absl::UnimplementedError("skipped a socket");
    case S_IFCHR: return absl::UnimplementedError("skipped a character device");
    case S_IFBLK: return absl::UnimplementedError("skipped a block device");
    default: return absl::UnimplementedError("skipped a file of unknown type");
  }
  n.mode = st.st_mode & 07777;
  n.uid = st.st_uid;
  n.gid = st.st_gid;
  n.user = CachedName(false, st.st_uid);
  n.group = CachedName(true, st.st_gid);
  n.mtime_ns = TimespecToNs(st.st_mtim);
  // Reading a directory (listing) or a symlink (readlink) updates its atime,
  // and this backup does both: recording it would make every backup store
  // new trees. File contents are read with O_NOATIME.
  n.atime_ns = n.type == NodeType::kDir || n.type == NodeType::kSymlink ? 0 : TimespecToNs(st.st_atim);
  n.ctime_ns = TimespecToNs(st.st_ctim);
  if (n.type == NodeType::kFile) n.size = static_cast<uint64_t>(st.st_size);
  n.inode = st.st_ino;
  n.device = st.st_dev;
  n.links = st.st_nlink;
  return n;
}

namespace {
// `list(buffer, size)` and `get(name, buffer, size)` behave as llistxattr
// and lgetxattr on one file, by path or by descriptor.
template <typename List, typename Get>
absl::StatusOr<std::vector<Xattr>> ReadUserXattrsWith(const std::string& path, List list, Get get) {
  std::vector<Xattr> out;
  ssize_t size = list(nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP || errno == ENODATA) return out;
    return ErrnoStatus("listing extended attributes of", path);
  }
  if (size == 0) return out;  // most files: one system call, not two
  std::string names(static_cast<size_t>(size), '\0');
  size = list(names.data(), names.size());
  if (size < 0) return ErrnoStatus("listing extended attributes of", path);
  for (size_t pos = 0; pos < static_cast<size_t>(size);) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.rfind("user.", 0) != 0) continue;
    ssize_t len = get(name.c_str(), nullptr, 0);
    if (len < 0) continue;  // removed meanwhile
    Bytes value(static_cast<size_t>(len));
    len = get(name.c_str(), value.data(), value.size());
    if (len < 0) continue;
    value.resize(static_cast<size_t>(len));
    out.push_back({name, std::move(value)});
  }
  std::sort(out.begin(), out.end(), [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  return out;
}
}  // namespace

absl::StatusOr<std::vector<Xattr>> ReadUserXattrs(const std::string& path) {
  return ReadUserXattrsWith(
      path, [&](char* buf, size_t size) { return llistxattr(path.c_str(), buf, size); },
      [&](const char* name, void* buf, size_t size) { return lgetxattr(path.c_str(), name, buf, size); });
}

absl::StatusOr<std::vector<Xattr>> ReadUserXattrs(int fd, const std::string& path) {
  return ReadUserXattrsWith(
      path, [&](char* buf, size_t size) { return flistxattr(fd, buf, size); },
      [&](const char* name, void* buf, size_t size) { return fgetxattr(fd, name, buf, size); });
}

namespace {
bool RunningAsRoot() {
  static const bool root = geteuid() == 0;
  return root;
}

struct timespec* TimesOf(const Node& node, struct timespec (&times)[2]) {
  times[0] = NsToTimespec(node.atime_ns);
  times[1] = NsToTimespec(node.mtime_ns);
  if (node.atime_ns == 0) times[0].tv_nsec = UTIME_OMIT;  // not recorded
  return times;
}
}  // namespace

absl::Status ApplyMetadata(const std::string& path, const Node& node, const ApplyMetadataOptions& options) {
  absl::Status first;
  auto note = [&](absl::Status s) {
    if (first.ok() && !s.ok()) first = s;
  };
  bool is_link = node.type == NodeType::kSymlink;
  if (!is_link) {
    for (const Xattr& x : node.xattrs) {
      if (lsetxattr(path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0) != 0)
        note(ErrnoStatus(absl::StrCat("setting extended attribute ", x.name, " on"), path));
    }
  }
  if (options.restore_owner && RunningAsRoot()) {
    if (lchown(path.c_str(), node.uid, node.gid) != 0) note(ErrnoStatus("changing owner of", path));
  }
  if (!is_link && chmod(path.c_str(), node.mode) != 0) note(ErrnoStatus("changing mode of", path));
  struct timespec times[2];
  if (utimensat(AT_FDCWD, path.c_str(), TimesOf(node, times), AT_SYMLINK_NOFOLLOW) != 0)
    note(ErrnoStatus("setting times of", path));
  return first;
}

absl::Status ApplyMetadataToOpenFile(int fd, const std::string& path, const Node& node,
                                     const ApplyMetadataOptions& options) {
  absl::Status first;
  auto note = [&](absl::Status s) {
    if (first.ok() && !s.ok()) first = s;
  };
  for (const Xattr& x : node.xattrs) {
    if (fsetxattr(fd, x.name.c_str(), x.value.data(), x.value.size(), 0) != 0)
      note(ErrnoStatus(absl::StrCat("setting extended attribute ", x.name, " on"), path));
  }
  if (options.restore_owner && RunningAsRoot()) {
    if (fchown(fd, node.uid, node.gid) != 0) note(ErrnoStatus("changing owner of", path));
  }
  // After the owner: chown clears set-user-ID and set-group-ID bits.
  if (fchmod(fd, node.mode) != 0) note(ErrnoStatus("changing mode of", path));
  struct timespec times[2];
  if (futimens(fd, TimesOf(node, times)) != 0) note(ErrnoStatus("setting times of", path));
  return first;
}

}  // namespace coffer
