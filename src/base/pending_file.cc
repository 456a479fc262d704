#include "base/pending_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"

namespace coffer {
namespace {

constexpr int kUnnamedFlags = O_TMPFILE | O_WRONLY | O_CLOEXEC;
constexpr int kNamedFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Gives the unnamed file `fd` the name `path` (which must not exist).
int LinkUnnamed(int fd, const std::string& path, FileNaming naming) {
  if (naming == FileNaming::kLinkEmptyPath) return linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH);
  std::string proc = absl::StrCat("/proc/self/fd/", fd);
  return linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
}

std::string ErrorText(int err) { return std::strerror(err); }

// `prefix` + "-" + 16 random hex digits in `dest`'s directory: unique in
// practice (callers still use O_EXCL / linkat's EEXIST and try again), and
// short whatever the length of `dest`'s own name.
std::string TemporaryName(const std::string& dest, const std::string& prefix) {
  thread_local std::mt19937_64 random(std::random_device{}());
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(random()));
  return DirectoryOf(dest) + "/" + prefix + "-" + hex;
}

constexpr int kNameAttempts = 8;

}  // namespace

FileNaming ProbeFileNaming(const std::string& dir) {
  int fd = open(dir.c_str(), kUnnamedFlags, 0600);
  if (fd < 0) return FileNaming::kTemporaryName;
  static std::atomic<uint64_t> probes{0};
  std::string probe = absl::StrCat(dir, "/.coffer-naming-probe-", getpid(), "-", probes++);
  FileNaming found = FileNaming::kTemporaryName;
  for (FileNaming naming : {FileNaming::kLinkEmptyPath, FileNaming::kLinkProcFd}) {
    if (LinkUnnamed(fd, probe, naming) == 0) {
      found = naming;
      unlink(probe.c_str());
      break;
    }
  }
  close(fd);
  return found;
}

absl::StatusOr<PendingFile> PendingFile::Create(const std::string& dest, FileNaming naming,
                                                const std::string& temporary_prefix) {
  if (naming != FileNaming::kTemporaryName) {
    int fd = open(DirectoryOf(dest).c_str(), kUnnamedFlags, 0600);
    if (fd >= 0) return PendingFile(dest, temporary_prefix, naming, fd);
    // Not on this directory's filesystem (it may differ from the probed
    // one): a temporary name works anywhere, and fails with a clear error.
  }
  std::string temporary;
  int fd = -1;
  for (int attempt = 0; attempt < kNameAttempts && fd < 0; ++attempt) {
    temporary = TemporaryName(dest, temporary_prefix);
    fd = open(temporary.c_str(), kNamedFlags, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", temporary, ": ", ErrorText(errno)));
  PendingFile file(dest, temporary_prefix, FileNaming::kTemporaryName, fd);
  file.temporary_ = std::move(temporary);
  return file;
}

PendingFile::PendingFile(std::string dest, std::string temporary_prefix, FileNaming naming, int fd)
    : dest_(std::move(dest)), prefix_(std::move(temporary_prefix)), naming_(naming), fd_(fd) {}

PendingFile::PendingFile(PendingFile&& other) noexcept
    : dest_(std::move(other.dest_)),
      prefix_(std::move(other.prefix_)),
      temporary_(std::exchange(other.temporary_, {})),
      naming_(other.naming_),
      fd_(std::exchange(other.fd_, -1)) {}

PendingFile::~PendingFile() { Discard(); }

void PendingFile::Discard() {
  if (fd_ >= 0) close(std::exchange(fd_, -1));
  if (!temporary_.empty()) unlink(std::exchange(temporary_, {}).c_str());
}

absl::Status PendingFile::Commit() {
  if (temporary_.empty()) {
    if (LinkUnnamed(fd_, dest_, naming_) == 0) {
      if (close(std::exchange(fd_, -1)) != 0) {
        int err = errno;
        unlink(dest_.c_str());
        return absl::ResourceExhaustedError(absl::StrCat("cannot write ", dest_, ": ", ErrorText(err)));
      }
      return absl::OkStatus();
    }
    int err = errno;
    if (err != EEXIST) {
      Discard();
      return absl::InternalError(absl::StrCat("cannot name ", dest_, ": ", ErrorText(err)));
    }
    // Replacing a file: linkat will not, rename does in one step. Named
    // under a temporary name first, then renamed over it as below.
    std::string temporary;
    int linked = -1;
    for (int attempt = 0; attempt < kNameAttempts && linked != 0; ++attempt) {
      temporary = TemporaryName(dest_, prefix_);
      linked = LinkUnnamed(fd_, temporary, naming_);
      if (linked != 0 && errno != EEXIST) break;
    }
    if (linked != 0) {
      err = errno;
      Discard();
      return absl::InternalError(absl::StrCat("cannot create ", temporary, ": ", ErrorText(err)));
    }
    temporary_ = std::move(temporary);
  }
  if (close(std::exchange(fd_, -1)) != 0) {
    int err = errno;
    Discard();
    return absl::ResourceExhaustedError(absl::StrCat("cannot write ", dest_, ": ", ErrorText(err)));
  }
  if (rename(temporary_.c_str(), dest_.c_str()) != 0) {
    int err = errno;
    Discard();
    return absl::InternalError(absl::StrCat("cannot rename into ", dest_, ": ", ErrorText(err)));
  }
  temporary_.clear();
  return absl::OkStatus();
}

}  // namespace coffer
