// The local store: one file per object under a root directory.
//
// Invariants:
// - An object's file appears under its final name only complete and fsynced:
//   it is written to ".tmp-<random>" in the same directory, fsynced, then
//   renamed (Put) or renamed without replacing / hard-linked (PutIfAbsent)
//   into place, and the directory is fsynced so the new entry survives a crash.
// - Deferred writes (packs) are written to a temporary file at once; the
//   store's completer thread then fsyncs it, moves it into place and fsyncs
//   its directory. WaitDeferred waits for that; callers name such an object
//   (in an index object) only after it.
// - ".tmp-*" entries are never objects: ValidateObjectName rejects such
//   components, and List skips them, so a crash's leftovers stay invisible.
// - Files and directories are created owner-only (0600 / 0700, like restic):
//   a repository holds wrapped keys.
#include "store/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "base/status_macros.h"
#include "base/work_queue.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirMode = 0700;

std::string ErrnoText(int err) { return std::generic_category().message(err); }

absl::StatusCode CodeForErrno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::StatusCode::kNotFound;
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::StatusCode::kPermissionDenied;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::StatusCode::kResourceExhausted;
    case EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case ENAMETOOLONG:
      return absl::StatusCode::kInvalidArgument;
    case EISDIR:
    case ENOTEMPTY:
    case ELOOP:
      return absl::StatusCode::kFailedPrecondition;
    case EIO:
    case EAGAIN:
    case EBUSY:
    case EINTR:
    case ETIMEDOUT:
    case ESTALE:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  // Returns 0 or the errno of close(). EINTR counts as closed: on Linux the
  // descriptor is gone either way and retrying could close someone else's.
  int Close() {
    if (fd_ < 0) return 0;
    int rc = ::close(fd_);
    fd_ = -1;
    return rc != 0 && errno != EINTR ? errno : 0;
  }

 private:
  int fd_;
};

int OpenRetry(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do fd = ::open(path, flags, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

// Returns 0 or errno; handles short writes and EINTR.
int WriteAll(int fd, ByteView data) {
  const uint8_t* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, std::min<size_t>(left, size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

// Reads exactly out.size() bytes at `offset`. Returns 0, errno, or -1 when
// the file ends first.
int ReadAllAt(int fd, MutableByteView out, uint64_t offset) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, std::min<size_t>(out.size() - done, size_t{1} << 30),
                        static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return -1;
    done += static_cast<size_t>(n);
  }
  return 0;
}

int FsyncRetry(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

// Returns 0 or errno. Filesystems that cannot fsync a directory (EINVAL)
// give no stronger guarantee to ask for, so that is not an error.
int SyncDirectory(const std::string& dir) {
  Fd fd(OpenRetry(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno;
  int err = FsyncRetry(fd.get());
  return err == EINVAL ? 0 : err;
}

std::string_view ParentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {};
  return path.substr(0, slash == 0 ? 1 : slash);
}

// mkdir -p, fsyncing the parent of every directory it creates. Returns 0 or
// errno (ENOTDIR when something in the way is not a directory).
int MakeDirectories(const std::string& dir) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::mkdir(dir.c_str(), kDirMode) == 0) {
      std::string_view parent = ParentOf(dir);
      return parent.empty() ? SyncDirectory(".") : SyncDirectory(std::string(parent));
    }
    int err = errno;
    if (err == EEXIST) {
      struct stat st;
      if (::stat(dir.c_str(), &st) != 0) return errno;
      return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    }
    std::string_view parent = ParentOf(dir);
    if (err != ENOENT || parent.empty() || parent == dir) return err;
    if (int perr = MakeDirectories(std::string(parent)); perr != 0) return perr;
  }
  return ENOENT;  // The parent vanished again between mkdir calls.
}

std::string TempName() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng()));
  return StoreCat(kTempPrefix, hex);
}

std::string NormalizeRoot(const std::filesystem::path& root) {
  std::string s = root.empty() ? "." : root.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

class LocalStore final : public Store {
 public:
  explicit LocalStore(const std::filesystem::path& root)
      : root_(NormalizeRoot(root)),
        root_slash_(root_ == "/" ? root_ : root_ + "/"),
        description_("local store " + root_) {}

  absl::Status Put(std::string_view name, ByteView data) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    ForgetOpen(name);
    COFFER_ASSIGN_OR_RETURN(std::string temp, WriteTemp(name, data));
    std::string path = PathOf(name);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(temp.c_str());
      return Fail(err, name, "renaming into place", /*writing=*/true);
    }
    ForgetOpen(name);  // again: a concurrent read may have reopened the old file
    return SyncParent(name);
  }

  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    std::string path = PathOf(name);
    // A cheap early answer that spares writing the data; the atomic check
    // is the rename below.
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return AlreadyExists(name);
    COFFER_ASSIGN_OR_RETURN(std::string temp, WriteTemp(name, data));
    int err = MoveNoReplace(temp, path);
    ::unlink(temp.c_str());  // Already gone after a successful rename.
    if (err == EEXIST) return AlreadyExists(name);
    if (err != 0) return Fail(err, name, "moving into place", /*writing=*/true);
    return SyncParent(name);
  }

  // The data is written to a temporary file at once (so the caller may reuse
  // its buffer); the fsync, the move into place and the directory's fsync
  // are left to the store's completer thread. Those waits were the
  // backup's: the worker that filled a pack sat in fsync for about a tenth
  // of a first backup (4 MiB packs; the CPU work of the others went on, but
  // one core was idle meanwhile).
  absl::Status PutContentAddressedDeferred(std::string_view name, ByteView data) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    struct stat st;
    if (::stat(PathOf(name).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) == data.size())
      return absl::OkStatus();  // this object already (see Store)
    COFFER_ASSIGN_OR_RETURN(TempFile written, WriteTempUnsynced(name, data));
    // shared: a std::function must be copyable.
    auto temp = std::make_shared<TempFile>(std::move(written));
    uint64_t sequence;
    WorkQueue* completer;
    {
      std::lock_guard<std::mutex> guard(deferred_mu_);
      sequence = ++deferred_submitted_;
      if (!completer_) completer_ = std::make_unique<WorkQueue>(1, kDeferredQueued);
      completer = completer_.get();
    }
    completer->Submit([this, name = std::string(name), temp, size = data.size(), sequence] {
      absl::Status status = CompleteDeferred(name, *temp, size);
      {
        std::lock_guard<std::mutex> guard(deferred_mu_);
        if (!status.ok() && sequence > deferred_failed_) {
          deferred_failed_ = sequence;
          deferred_failure_ = std::move(status);
        }
        ++deferred_completed_;
      }
      deferred_done_.notify_all();
    });
    return absl::OkStatus();
  }

  uint64_t DeferredMark() override {
    std::lock_guard<std::mutex> guard(deferred_mu_);
    return deferred_submitted_ + 1;
  }

  absl::Status WaitDeferred(uint64_t since) override {
    std::unique_lock<std::mutex> lock(deferred_mu_);
    // Counting completions is enough: the one completer thread finishes
    // writes in the order they were queued, and a write numbered but not
    // yet queued at this point is queued behind every write that was.
    const uint64_t target = deferred_submitted_;
    deferred_done_.wait(lock, [&] { return deferred_completed_ >= target; });
    if (deferred_failed_ >= since && deferred_failed_ != 0) return deferred_failure_;
    return absl::OkStatus();
  }

  absl::StatusOr<Bytes> Get(std::string_view name) override {
    return Read(name, /*whole=*/true, 0, 0);
  }

  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    return Read(name, /*whole=*/false, offset, length);
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    struct stat st;
    if (::stat(PathOf(name).c_str(), &st) != 0) return Fail(errno, name);
    if (!S_ISREG(st.st_mode)) return NotAnObject(name);
    return ObjectInfo{std::string(name), static_cast<uint64_t>(st.st_size)};
  }

  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    // Only the directory named by the prefix's complete components can hold
    // matches; its last, partial component filters that directory's entries.
    size_t slash = prefix.rfind('/');
    std::string_view dir = slash == std::string_view::npos ? "" : prefix.substr(0, slash);
    std::string_view partial = slash == std::string_view::npos ? prefix : prefix.substr(slash + 1);
    // A prefix whose directory part no valid name can have matches nothing
    // (and must not make us look outside the root).
    if (slash != std::string_view::npos && !ValidateObjectName(dir).ok()) return absl::OkStatus();
    std::string rel = dir.empty() ? "" : StoreCat(dir, "/");
    std::vector<DirId> ancestors;
    return Walk(rel, partial, ancestors, fn);
  }

  absl::Status Delete(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    ForgetOpen(name);
    // No fsync of the directory: a deletion lost in a crash leaves an object
    // nothing references, which the next prune removes again.
    if (::unlink(PathOf(name).c_str()) != 0) {
      int err = errno;
      if (err == EISDIR) return NotAnObject(name);
      return Fail(err, name);
    }
    ForgetOpen(name);  // again: a concurrent read may have reopened it
    return absl::OkStatus();
  }

  std::string Describe() const override { return description_; }
  // One writer: each pack in flight is held in memory, and on a local
  // disk the copy into the page cache is CPU work that a second writer
  // would only take from compression.
  int ParallelWrites() const override { return 1; }

 private:
  std::string PathOf(std::string_view name) const { return StoreCat(root_slash_, name); }

  std::string DirectoryOf(std::string_view name) const {
    size_t slash = name.rfind('/');
    return slash == std::string_view::npos ? root_ : PathOf(name.substr(0, slash));
  }

  // A message that names the store and the object; `op` says which step
  // failed when it is not the obvious one.
  absl::Status Fail(int err, std::string_view name, std::string_view op = {},
                    bool writing = false) const {
    if (err == ENOTDIR) COFFER_RETURN_IF_ERROR(CheckRoot());
    absl::StatusCode code = CodeForErrno(err);
    // Writing, a file or directory in the way is a conflict, not a missing object.
    if (writing && (err == ENOTDIR || err == EISDIR)) code = absl::StatusCode::kFailedPrecondition;
    std::string what = op.empty() ? ErrnoText(err) : StoreCat(op, ": ", ErrnoText(err));
    return ObjectError(code, description_, name, what);
  }

  absl::Status AlreadyExists(std::string_view name) const {
    return ObjectError(absl::StatusCode::kAlreadyExists, description_, name, "already exists");
  }

  absl::Status NotAnObject(std::string_view name) const {
    return ObjectError(absl::StatusCode::kNotFound, description_, name,
                       "not found (the path is a directory or special file)");
  }

  absl::Status CheckRoot() const {
    struct stat st;
    if (::stat(root_.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
      return absl::FailedPreconditionError(
          StoreCat(description_, ": ", root_, " exists but is not a directory"));
    return absl::OkStatus();
  }

  absl::Status SyncParent(std::string_view name) const {
    if (int err = SyncDirectory(DirectoryOf(name)); err != 0)
      return Fail(err, name, "syncing its directory");
    return absl::OkStatus();
  }

  // A temporary file next to an object's final place, written, still open.
  struct TempFile {
    std::string path;
    Fd fd;
  };

  // Writes `data` to a new temporary file next to `name`'s final place,
  // creating directories as needed; not yet fsynced. Leaves nothing behind on
  // failure.
  absl::StatusOr<TempFile> WriteTempUnsynced(std::string_view name, ByteView data) {
    std::string dir = DirectoryOf(name);
    TempFile temp;
    for (int attempt = 0;; ++attempt) {
      temp.path = StoreCat(dir, "/", TempName());
      temp.fd.Reset(OpenRetry(temp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode));
      if (temp.fd.get() >= 0) break;
      int err = errno;
      if (attempt >= 3) return Fail(err, name, "creating a temporary file", true);
      if (err == EEXIST) continue;  // A name collision; draw another.
      if (err != ENOENT) return Fail(err, name, "creating a temporary file", true);
      if (int derr = MakeDirectories(dir); derr != 0)
        return Fail(derr, name, StoreCat("creating directory ", dir), true);
    }
    if (int err = WriteAll(temp.fd.get(), data); err != 0) {
      temp.fd.Close();
      ::unlink(temp.path.c_str());
      return Fail(err, name, "writing", true);
    }
    return temp;
  }

  // Fsyncs and closes a written temporary file; removes it on failure.
  absl::Status SyncTemp(std::string_view name, TempFile& temp) const {
    const char* op = "fsync";
    int err = FsyncRetry(temp.fd.get());
    if (err == 0) {
      op = "closing";
      err = temp.fd.Close();
    }
    if (err != 0) {
      temp.fd.Close();
      ::unlink(temp.path.c_str());
      return Fail(err, name, op, true);
    }
    return absl::OkStatus();
  }

  // Writes and fsyncs a temporary file next to `name`'s final place, creating
  // directories as needed. Returns its path; leaves nothing behind on failure.
  absl::StatusOr<std::string> WriteTemp(std::string_view name, ByteView data) {
    COFFER_ASSIGN_OR_RETURN(TempFile temp, WriteTempUnsynced(name, data));
    COFFER_RETURN_IF_ERROR(SyncTemp(name, temp));
    return std::move(temp.path);
  }

  // Moves `temp` to `path` unless `path` exists (EEXIST), atomically.
  // Returns 0 or errno. After link() the temporary name remains: the caller
  // removes it.
  static int MoveNoReplace(const std::string& temp, const std::string& path) {
    // Both renameat2(RENAME_NOREPLACE) and link() fail with EEXIST,
    // atomically, when the name exists; link() serves filesystems without
    // the former.
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return 0;
    int err = errno;
    if (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP)
      err = ::link(temp.c_str(), path.c_str()) == 0 ? 0 : errno;
    return err;
  }

  // The second half of PutContentAddressedDeferred, on the completer thread.
  absl::Status CompleteDeferred(const std::string& name, TempFile& temp, uint64_t size) {
    COFFER_RETURN_IF_ERROR(SyncTemp(name, temp));
    std::string path = PathOf(name);
    int err = MoveNoReplace(temp.path, path);
    if (err == EEXIST) {
      struct stat st;
      err = 0;
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != size) {
        // A torn leftover: only these bytes may live under this name.
        ForgetOpen(name);
        if (::rename(temp.path.c_str(), path.c_str()) != 0) err = errno;
        ForgetOpen(name);
      }
    }
    ::unlink(temp.path.c_str());  // Already gone after a rename.
    if (err != 0) return Fail(err, name, "moving into place", /*writing=*/true);
    return SyncParent(name);
  }

  // An object opened for reading, with its size.
  struct OpenObject {
    std::string name;
    std::shared_ptr<Fd> fd;  // shared: an eviction must not close it under a reader
    uint64_t size = 0;
  };

  absl::StatusOr<OpenObject> OpenForRead(std::string_view name) {
    // O_NONBLOCK: a FIFO in the tree must not hang a reader; no effect on files.
    int raw = OpenRetry(PathOf(name).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (raw < 0) return Fail(errno, name);  // before any allocation can change errno
    auto fd = std::make_shared<Fd>(raw);
    struct stat st;
    if (::fstat(fd->get(), &st) != 0) return Fail(errno, name, "fstat");
    if (!S_ISREG(st.st_mode)) return NotAnObject(name);
    return OpenObject{std::string(name), std::move(fd), static_cast<uint64_t>(st.st_size)};
  }

  // Ranged reads come in runs against a few packs (restore, check): the
  // last kOpenPacks packs read stay open, which spares an open, a path
  // lookup and a close per blob. Only packs: their bytes never change under
  // their name (content addressed); a write or delete of a name drops it.
  absl::StatusOr<OpenObject> OpenPackCached(std::string_view name) {
    std::optional<OpenObject> hit;
    {
      std::lock_guard<std::mutex> guard(open_mu_);
      for (size_t i = 0; i < open_packs_.size(); ++i) {
        if (open_packs_[i].name != name) continue;
        // Without its name (the reader needs none): no allocation here.
        hit = OpenObject{{}, open_packs_[i].fd, open_packs_[i].size};
        std::rotate(open_packs_.begin(), open_packs_.begin() + static_cast<ptrdiff_t>(i),
                    open_packs_.begin() + static_cast<ptrdiff_t>(i) + 1);
        break;
      }
    }
    if (hit) {
      // Deleted or replaced since it was opened (by this process or by
      // another, such as a prune): no longer what the name holds. Asked
      // outside the lock: restore workers read blobs from the same few packs
      // at once, and a system call under the lock made them queue.
      struct stat st;
      if (::fstat(hit->fd->get(), &st) == 0 && st.st_nlink > 0) return *std::move(hit);
      std::lock_guard<std::mutex> guard(open_mu_);
      std::erase_if(open_packs_, [&](const OpenObject& o) { return o.fd == hit->fd; });
    }
    COFFER_ASSIGN_OR_RETURN(OpenObject opened, OpenForRead(name));
    std::lock_guard<std::mutex> guard(open_mu_);
    // Another reader may have opened it meanwhile: one entry per name.
    std::erase_if(open_packs_, [&](const OpenObject& o) { return o.name == name; });
    open_packs_.insert(open_packs_.begin(), opened);
    if (open_packs_.size() > kOpenPacks) open_packs_.pop_back();
    return opened;
  }

  void ForgetOpen(std::string_view name) {
    std::lock_guard<std::mutex> guard(open_mu_);
    std::erase_if(open_packs_, [&](const OpenObject& o) { return o.name == name; });
  }

  absl::StatusOr<Bytes> Read(std::string_view name, bool whole, uint64_t offset, uint64_t length) {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    const bool pack = !whole && name.starts_with("data/");
    COFFER_ASSIGN_OR_RETURN(OpenObject object, pack ? OpenPackCached(name) : OpenForRead(name));
    const Fd& fd = *object.fd;
    uint64_t size = object.size;
    if (whole) {
      offset = 0;
      length = size;
    }
    COFFER_RETURN_IF_ERROR(CheckObjectRange(description_, name, size, offset, length));
    Bytes out(length);
    int err = ReadAllAt(fd.get(), out, offset);
    if (err < 0)
      return ObjectError(absl::StatusCode::kDataLoss, description_, name,
                         StoreCat("file ended before its size of ", size, " bytes"));
    if (err != 0) return Fail(err, name, "reading");
    return out;
  }

  using DirId = std::pair<dev_t, ino_t>;

  struct DirectoryEntries {
    DirId id{};
    std::vector<std::string> names;  // Sorted; without "." and "..".
  };

  // Lists the directory `rel` (relative to the root, "" or ending in '/'):
  // its entries starting with `partial`, and everything below them.
  // `ancestors` holds the directories being walked, so a symlink loop is
  // skipped rather than followed forever.
  absl::Status Walk(const std::string& rel, std::string_view partial, std::vector<DirId>& ancestors,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) {
    std::string path =
        rel.empty() ? root_ : PathOf(std::string_view(rel).substr(0, rel.size() - 1));
    COFFER_ASSIGN_OR_RETURN(DirectoryEntries dir, ReadDirectory(path, rel));
    ancestors.push_back(dir.id);
    absl::Status status = WalkEntries(rel, partial, dir.names, ancestors, fn);
    ancestors.pop_back();
    return status;
  }

  absl::Status WalkEntries(const std::string& rel, std::string_view partial,
                           const std::vector<std::string>& entries, std::vector<DirId>& ancestors,
                           const std::function<absl::Status(const ObjectInfo&)>& fn) {
    for (const std::string& entry : entries) {
      if (!entry.starts_with(partial) || entry.starts_with(kTempPrefix)) continue;
      std::string name = StoreCat(rel, entry);
      struct stat st;
      // stat, not lstat: a symlinked directory (data/ on another disk) is
      // followed, as Get and Stat follow it.
      if (::stat(PathOf(name).c_str(), &st) != 0) {
        int err = errno;
        if (err == ENOENT) continue;  // Deleted while we list, or a dangling link.
        return ListError(err, name);
      }
      if (S_ISREG(st.st_mode)) {
        COFFER_RETURN_IF_ERROR(fn(ObjectInfo{name, static_cast<uint64_t>(st.st_size)}));
      } else if (S_ISDIR(st.st_mode)) {
        DirId id{st.st_dev, st.st_ino};
        if (std::find(ancestors.begin(), ancestors.end(), id) != ancestors.end()) continue;
        COFFER_RETURN_IF_ERROR(Walk(StoreCat(name, "/"), "", ancestors, fn));
      }
    }
    return absl::OkStatus();
  }

  // A directory's entries; none when it does not exist.
  absl::StatusOr<DirectoryEntries> ReadDirectory(const std::string& path, std::string_view rel) {
    DirectoryEntries out;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      int err = errno;
      if (err == ENOTDIR) COFFER_RETURN_IF_ERROR(CheckRoot());
      // A missing root is an empty store; a missing or non-directory
      // component of the prefix simply matches nothing.
      if (err == ENOENT || err == ENOTDIR) return out;
      return ListError(err, rel);
    }
    struct stat st;
    if (::fstat(::dirfd(dir), &st) == 0) out.id = {st.st_dev, st.st_ino};
    int err = 0;
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(dir);
      if (e == nullptr) {
        err = errno;
        break;
      }
      std::string_view entry = e->d_name;
      if (entry != "." && entry != "..") out.names.emplace_back(entry);
    }
    ::closedir(dir);
    if (err != 0) return ListError(err, rel);
    std::sort(out.names.begin(), out.names.end());
    return out;
  }

  absl::Status ListError(int err, std::string_view rel) const {
    return absl::Status(
        CodeForErrno(err),
        StoreCat(description_, ": listing ", rel.empty() ? root_ : rel, ": ", ErrnoText(err)));
  }

  // Deferred writes queued for their fsync: each holds a descriptor and a
  // temporary file, no memory; a full queue makes the writer wait. A crash
  // leaves the temporary files of these, of the one being completed and of
  // the writes under way (invisible to List; see FORMAT.md).
  static constexpr size_t kDeferredQueued = 8;
  static constexpr size_t kOpenPacks = 8;
  std::mutex open_mu_;
  std::vector<OpenObject> open_packs_;  // most recently used first
  const std::string root_;        // Normalized, no trailing '/' (unless "/").
  const std::string root_slash_;  // root_ with one trailing '/'.
  const std::string description_;
  std::mutex deferred_mu_;  // guards the deferred_ members and completer_
  std::condition_variable deferred_done_;
  uint64_t deferred_submitted_ = 0;  // deferred writes numbered 1, 2, ...
  uint64_t deferred_completed_ = 0;  // how many of them are done
  uint64_t deferred_failed_ = 0;     // the highest-numbered one that failed
  absl::Status deferred_failure_;    // and its error
  // Last member: destroyed first, so deferred writes still queued complete
  // while the members they use exist. Made on the first deferred write.
  std::unique_ptr<WorkQueue> completer_;
};

}  // namespace

std::unique_ptr<Store> NewLocalStore(const std::filesystem::path& root) {
  return std::make_unique<LocalStore>(root);
}

}  // namespace coffer
