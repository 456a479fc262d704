#include "engine/backup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/buffer_pool.h"
#include "base/status_macros.h"
#include "base/work_queue.h"
#include "engine/files_cache.h"
#include "engine/node_metadata.h"
#include "engine/pattern.h"
#include "engine/directory_prefetcher.h"
#include "engine/source_scanner.h"
#include "repo/blob_writer.h"
#include "repo/host_info.h"
#include "repo/lock.h"

namespace coffer {
namespace {

using Clock = std::chrono::steady_clock;

// One regular file (or stream) being chunked. Workers fill in blob ids of
// its parts; `outstanding` counts chunks not yet stored.
struct FileJob {
  std::string path;
  // A list: workers hold pointers into it, and most files have one part,
  // which costs one small node here where a deque allocated over 500 bytes
  // up front (per file, on every re-backup too).
  std::list<ContentPart> parts;
  std::atomic<int> outstanding{0};
  bool failed = false;
  uint64_t size = 0;
  std::optional<FileFingerprint> fingerprint;  // set: record in the files cache
  bool no_xattrs = false;  // read, and it has none (the files cache keeps this)
  // Unchanged, its parts taken from the files cache straight into the
  // entry's node, and the cache entry seen as it was: nothing to record.
  bool as_cached = false;
};

struct DirJob;
struct Entry {
  Node node;
  std::shared_ptr<FileJob> file;
  std::unique_ptr<DirJob> dir;
};
struct DirJob {
  std::vector<Entry> entries;
  std::optional<Id> tree;  // set once finished
};

// Source paths arranged as the directories that lead to them.
struct PathTrie {
  std::map<std::string, PathTrie> children;
  std::string full_path;
  bool is_source = false;
  const StreamSource* stream = nullptr;
};

std::string ErrnoText(int error = errno) { return strerror(error); }

// The sources in the order ProcessTrie visits them (map order at each level,
// which is not the order of the sorted full paths: "/a-x" < "/a/b").
void CollectSources(const PathTrie& trie, std::vector<std::string>& out) {
  for (const auto& [name, child] : trie.children) {
    if (child.stream) continue;
    if (child.is_source) {
      out.push_back(child.full_path);
    } else {
      CollectSources(child, out);
    }
  }
}

// What to pass to an *at() call: `name` inside the open directory `dir_fd`,
// or the whole `path` when there is none (AT_FDCWD).
const char* AtPath(int dir_fd, const std::string& path, const std::string& name) {
  return dir_fd == AT_FDCWD ? path.c_str() : name.c_str();
}

// The directory whose entries are being added, as the base of *at() calls:
// its descriptor, or AT_FDCWD (full paths). A read-ahead listing's
// directory is opened only when a file in it has to be read (see
// Backup::DirFd): an unchanged re-backup then opens no directory at all.
struct DirBase {
  int fd = AT_FDCWD;
  const std::string* open_later = nullptr;  // its path, until DirFd opens it
};

// Chunk copies in flight are bounded by the worker queue (one task per
// worker: a deeper queue only held more chunks in memory, for the same
// time) plus one per running worker and the batch being filled; idle ones
// beyond this are freed, and so are buffers grown past a few average chunks
// by a rare large one, so the pool does not keep the worst case resident.
size_t MaxIdleChunkBuffers(int threads) { return 2 * static_cast<size_t>(threads) + 2; }
constexpr size_t kMaxPooledChunkBuffer = size_t{2} << 20;
// Chunks are handed to the workers in batches of up to this many bytes or
// chunks; a chunk of average size (1 MiB) goes alone, as before.
constexpr size_t kBatchBytes = size_t{512} << 10;
constexpr size_t kBatchChunks = 64;
constexpr size_t kSmallChunk = size_t{256} << 10;  // copied into an exact-size buffer
// The read buffer holds a maximal chunk plus this much.
constexpr size_t kReadSize = size_t{1} << 20;
// Directory descriptors held by the walk at once (the default limit on open
// files is 1024, and restore targets or libraries may hold others).
constexpr int kMaxOpenDirs = 128;

class Backup {
 public:
  Backup(Repository& repo, const BackupOptions& options)
      : repo_(repo),
        options_(options),
        // One thread asked for means one writer too: the order of writes is
        // then the same every run (tests that fail "put k" rely on it).
        writer_(repo, options.threads == 1 ? 1 : 0),
        threads_(std::clamp(options.threads > 0 ? options.threads
                                                : static_cast<int>(std::thread::hardware_concurrency()),
                            1, 64)),
        chunk_buffers_(MaxIdleChunkBuffers(threads_), kMaxPooledChunkBuffer),
        start_(Clock::now()),
        start_unix_ns_(absl::ToUnixNanos(absl::Now())) {}

  absl::StatusOr<BackupResult> Run();

 private:
  absl::Status BuildTrie(PathTrie& root, std::vector<std::string>& paths);
  void ProcessTrie(const PathTrie& trie, DirJob& dir);
  // `base`: the parent directory, so `name` is looked up in it rather
  // than walking the whole `path` again (full paths at AT_FDCWD).
  // `prefetched`: its lstat result from the prefetcher, instead of a call.
  void AddEntry(const std::string& path, const std::string& name, DirJob& parent, dev_t root_device,
                DirBase& base, const PrefetchedEntry* prefetched = nullptr);
  // `base`'s descriptor, opening a listed directory on first use (within
  // kMaxOpenDirs; AT_FDCWD past it or when it cannot be opened).
  int DirFd(DirBase& base);
  // Both also read the directory's own extended attributes into `dir_node`
  // (through its descriptor where there is one).
  void WalkDir(const std::string& path, DirJob& dir, dev_t root_device, Node& dir_node);
  void WalkListing(const DirectoryListing& listing, DirJob& dir, dev_t root_device, Node& dir_node);
  // A directory that could not be opened (errno `error`): kept, empty, with
  // an error in the snapshot.
  void DirectoryUnreadable(const std::string& path, Node& dir_node, int error);
  // `listed_earlier`: `st` came from the prefetcher, so the file opened
  // must be checked to be the one it describes.
  void ProcessFile(const std::string& path, const std::string& name, DirBase& base, Entry& entry,
                   const struct stat& st, bool listed_earlier);
  // By path, or through `fd` when it is open (>= 0). False: warned.
  bool ReadXattrs(const std::string& path, Node& node, int fd = -1);
  // Sets `node`'s attributes as read, or warns. False: warned.
  bool SetXattrs(const std::string& path, Node& node, absl::StatusOr<std::vector<Xattr>> xattrs);
  void ProcessStream(const StreamSource& stream, const std::string& name, DirJob& parent);
  absl::Status ChunkInto(const std::function<absl::StatusOr<size_t>(MutableByteView)>& read,
                         const std::shared_ptr<FileJob>& job);
  void SubmitChunk(const std::shared_ptr<FileJob>& job, ByteView data);
  void SubmitBatch();
  void Enqueue(DirJob* dir);
  void FinishReadyDirs(bool block);
  absl::Status FinishDir(DirJob& dir);
  void Warn(const std::string& path, const std::string& message, bool is_error);
  void Report(bool force);
  bool Stopped() const { return cancelled_ || !Fatal().ok(); }
  absl::Status Fatal() const {
    std::lock_guard<std::mutex> guard(fatal_mu_);
    return fatal_;
  }
  void SetFatal(absl::Status s) {
    std::lock_guard<std::mutex> guard(fatal_mu_);
    if (fatal_.ok()) fatal_ = std::move(s);
  }

  Repository& repo_;
  const BackupOptions& options_;
  BlobWriter writer_;
  const int threads_;  // workers hashing and compressing
  // Declared before workers_ so that it outlives the tasks that give back.
  BufferPool chunk_buffers_;
  std::unique_ptr<WorkQueue> workers_;
  std::unique_ptr<FilesCache> cache_;
  std::unique_ptr<SourceScanner> scanner_;
  std::unique_ptr<DirectoryPrefetcher> prefetcher_;  // a re-backup's directories, read ahead
  // Totals of the parent snapshot, the progress estimate of a re-backup
  // (instead of a second walk of the whole tree by the scanner).
  uint64_t estimated_files_ = 0, estimated_bytes_ = 0;
  bool totals_known_ = false;  // the walk is over: done counts are the totals
  // The read buffer: allocated on first use and not zero-filled, so only the
  // pages reads reach become resident (small files touch a few).
  std::unique_ptr<uint8_t[]> buffer_;
  size_t buffer_size_ = 0;
  std::deque<DirJob*> unfinished_;  // post-order: children before parents
  // Chunks not yet handed to the workers. Small files' chunks go in batches:
  // one task per chunk cost more in thread wake-ups than the chunk's own
  // hashing and compression (a sixth of a 200k-small-file backup).
  struct ChunkTask {
    std::shared_ptr<FileJob> job;
    ContentPart* part;
    Bytes chunk;
  };
  std::vector<ChunkTask> batch_;
  // ProcessFile's files-cache answer, kept to reuse their storage.
  std::vector<ContentPart> cached_parts_;
  std::vector<Id> cached_blobs_;
  size_t batch_bytes_ = 0;
  Clock::time_point start_, last_report_{};
  int64_t start_unix_ns_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex fatal_mu_;
  absl::Status fatal_;
  SnapshotSummary summary_;
  std::vector<SnapshotError> errors_;
  std::string current_path_;
  std::atomic<uint64_t> bytes_done_{0};
  uint64_t files_done_ = 0;
  int open_dirs_ = 0;  // directories WalkDir holds open (one per level)
  uint64_t dirs_read_ahead_ = 0;
};

absl::Status Backup::BuildTrie(PathTrie& root, std::vector<std::string>& paths) {
  for (const std::string& raw : options_.paths) {
    if (raw.empty()) return absl::InvalidArgumentError("an empty path was given to back up");
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(raw, ec).lexically_normal();
    std::string p = abs.string();
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    struct stat st;
    if (lstat(p.c_str(), &st) != 0)
      return absl::NotFoundError(absl::StrCat("cannot back up ", raw, ": ", ErrnoText()));
    paths.push_back(p);
  }
  for (const StreamSource& s : options_.streams) {
    if (s.path.empty() || s.path[0] != '/' || s.path.back() == '/')
      return absl::InvalidArgumentError(
          absl::StrCat("stream path \"", s.path, "\" must be an absolute file path such as /db/dump.sql"));
    paths.push_back(s.path);
  }
  if (paths.empty()) return absl::InvalidArgumentError("nothing to back up: give at least one path or stream");
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  for (const std::string& p : paths) {
    PathTrie* node = &root;
    std::string so_far;
    size_t start = 1;
    bool covered = false;
    while (start <= p.size() && !covered) {
      size_t end = p.find('/', start);
      if (end == std::string::npos) end = p.size();
      std::string name = p.substr(start, end - start);
      so_far += "/" + name;
      node = &node->children[name];
      node->full_path = so_far;
      covered = node->is_source || node->stream;  // already inside another source
      start = end + 1;
    }
    if (covered || p == "/") continue;
    node->is_source = true;
    for (const StreamSource& s : options_.streams)
      if (s.path == p) node->stream = &s, node->is_source = false;
  }
  return absl::OkStatus();
}

void Backup::ProcessTrie(const PathTrie& trie, DirJob& dir) {
  for (const auto& [name, child] : trie.children) {
    if (Stopped()) return;
    if (child.stream) {
      ProcessStream(*child.stream, name, dir);
    } else if (child.is_source) {
      struct stat st;
      dev_t device = lstat(child.full_path.c_str(), &st) == 0 ? st.st_dev : 0;
      DirBase full_paths;
      AddEntry(child.full_path, name, dir, device, full_paths);
    } else {
      // A directory on the way to a source: its own metadata, and only the
      // children that lead to sources.
      Entry e;
      struct stat st;
      if (lstat(child.full_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        e.node = *NodeFromStat(name, st);
      } else {
        e.node.name = name;
        e.node.type = NodeType::kDir;
        e.node.mode = 0755;
      }
      e.dir = std::make_unique<DirJob>();
      ProcessTrie(child, *e.dir);
      Enqueue(e.dir.get());
      dir.entries.push_back(std::move(e));
    }
  }
}

void Backup::AddEntry(const std::string& path, const std::string& name, DirJob& parent, dev_t root_device,
                      DirBase& base, const PrefetchedEntry* prefetched) {
  if (Stopped()) return;
  if (MatchesAny(options_.excludes, path)) return;
  current_path_ = path;
  struct stat st;
  if (prefetched) {
    if (prefetched->stat_errno != 0) {
      Warn(path, absl::StrCat("cannot stat: ", ErrnoText(prefetched->stat_errno)), true);
      return;
    }
    st = prefetched->st;
  } else if (int dir_fd = DirFd(base); fstatat(dir_fd, AtPath(dir_fd, path, name), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    Warn(path, absl::StrCat("cannot stat: ", ErrnoText()), true);
    return;
  }
  auto node = NodeFromStat(name, st);
  if (absl::IsUnimplemented(node.status())) {
    Warn(path, std::string(node.status().message()), false);
    return;
  }
  if (node->type != NodeType::kDir && !options_.includes.empty() && !MatchesAny(options_.includes, path))
    return;
  Entry e;
  e.node = std::move(*node);
  // A regular file's attributes are read by ProcessFile, which can skip
  // them for a file the files cache knows; a directory's by WalkDir.
  if (e.node.type != NodeType::kFile && e.node.type != NodeType::kDir) ReadXattrs(path, e.node);
  switch (e.node.type) {
    case NodeType::kDir:
      e.dir = std::make_unique<DirJob>();
      if (options_.one_file_system && st.st_dev != root_device) {
        ReadXattrs(path, e.node);
        Warn(path, "not descending into another file system", false);
      } else {
        WalkDir(path, *e.dir, root_device, e.node);
      }
      // With includes, a directory stays only on the way to something included.
      if (!options_.includes.empty() && e.dir->entries.empty() && !MatchesAny(options_.includes, path))
        return;
      Enqueue(e.dir.get());
      summary_.dirs++;
      break;
    case NodeType::kSymlink: {
      std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 256) + 1, '\0');
      ssize_t n = readlink(path.c_str(), target.data(), target.size());
      if (n < 0) {
        Warn(path, absl::StrCat("cannot read symlink: ", ErrnoText()), true);
        return;
      }
      target.resize(static_cast<size_t>(n));
      e.node.link_target = std::move(target);
      summary_.other_entries++;
      break;
    }
    case NodeType::kFile:
      ProcessFile(path, name, base, e, st, prefetched != nullptr);
      if (e.file->failed) return;
      break;
    case NodeType::kFifo:
      summary_.other_entries++;
      break;
  }
  parent.entries.push_back(std::move(e));
  Report(false);
}

bool Backup::ReadXattrs(const std::string& path, Node& node, int fd) {
  return SetXattrs(path, node, fd >= 0 ? ReadUserXattrs(fd, path) : ReadUserXattrs(path));
}

bool Backup::SetXattrs(const std::string& path, Node& node, absl::StatusOr<std::vector<Xattr>> xattrs) {
  if (!xattrs.ok()) {
    Warn(path, std::string(xattrs.status().message()), false);
    return false;
  }
  node.xattrs = std::move(*xattrs);
  return true;
}

void Backup::WalkDir(const std::string& path, DirJob& dir, dev_t root_device, Node& dir_node) {
  if (prefetcher_) {
    if (std::optional<DirectoryListing> listing = prefetcher_->Next(path)) {
      dirs_read_ahead_++;
      WalkListing(*listing, dir, root_device, dir_node);
      return;
    }
    prefetcher_.reset();  // out of step: this walk's own calls for every directory after
  }
  DIR* d = opendir(path.c_str());
  if (!d) {
    DirectoryUnreadable(path, dir_node, errno);
    return;
  }
  ReadXattrs(path, dir_node, dirfd(d));
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* ent = readdir(d)) {
    std::string_view n = ent->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  if (errno != 0) Warn(path, absl::StrCat("error while reading directory: ", ErrnoText()), true);
  // The directory stays open while its entries are looked up in it (one
  // path component each instead of the whole path: a fifth of an unchanged
  // re-backup's time went to walking paths). Each level of a deep tree
  // holds one descriptor, up to a bound; deeper, full paths are used.
  DirBase base;
  if (open_dirs_ < kMaxOpenDirs) {
    base.fd = dirfd(d);
    ++open_dirs_;
  } else {
    closedir(d);
    d = nullptr;
  }
  std::sort(names.begin(), names.end());
  std::string prefix = path == "/" ? "/" : path + "/";
  for (const std::string& name : names) {
    if (Stopped()) break;
    AddEntry(prefix + name, name, dir, root_device, base);
  }
  if (d) {
    closedir(d);
    --open_dirs_;
  }
}

void Backup::DirectoryUnreadable(const std::string& path, Node& dir_node, int error) {
  // Its attributes by path: there is no descriptor to read them through.
  ReadXattrs(path, dir_node);
  Warn(path, absl::StrCat("cannot read directory: ", ErrnoText(error)), true);
}

// As WalkDir's own reading, with the prefetcher's results. The directory is
// opened again when a file in it needs a read, so that the file is opened
// inside it, as WalkDir does (ProcessFile checks it is still the file listed).
void Backup::WalkListing(const DirectoryListing& listing, DirJob& dir, dev_t root_device, Node& dir_node) {
  const std::string& path = listing.path;
  if (listing.open_errno != 0) {
    DirectoryUnreadable(path, dir_node, listing.open_errno);
    return;
  }
  SetXattrs(path, dir_node, listing.xattrs);
  if (listing.read_errno != 0)
    Warn(path, absl::StrCat("error while reading directory: ", ErrnoText(listing.read_errno)), true);
  DirBase base{AT_FDCWD, &path};
  std::string prefix = path == "/" ? "/" : path + "/";
  for (const PrefetchedEntry& entry : listing.entries) {
    if (Stopped()) break;
    AddEntry(prefix + entry.name, entry.name, dir, root_device, base, &entry);
  }
  if (base.fd != AT_FDCWD) {
    close(base.fd);
    --open_dirs_;
  }
}

int Backup::DirFd(DirBase& base) {
  if (const std::string* path = base.open_later) {
    base.open_later = nullptr;
    if (open_dirs_ < kMaxOpenDirs) {
      int fd = open(path->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (fd >= 0) {
        base.fd = fd;
        ++open_dirs_;
      }
    }
  }
  return base.fd;
}

void Backup::ProcessFile(const std::string& path, const std::string& name, DirBase& base, Entry& entry,
                         const struct stat& st, bool listed_earlier) {
  auto job = std::make_shared<FileJob>();
  job->path = path;
  entry.file = job;
  FileFingerprint fp{static_cast<uint64_t>(st.st_size), TimespecToNs(st.st_mtim), TimespecToNs(st.st_ctim),
                     st.st_ino};
  FilesCache::Lookup lookup = FilesCache::Lookup::kNew;
  bool cached_no_xattrs = false;
  if (cache_) {
    // Reused from file to file (this runs on the walking thread only).
    std::vector<ContentPart>& cached = cached_parts_;
    std::vector<Id>& blobs = cached_blobs_;
    cached.clear();
    blobs.clear();
    FilesCache::Found found;
    lookup = cache_->Find(path, fp, &cached, &cached_no_xattrs, &found);
    if (lookup == FilesCache::Lookup::kUnchanged)
      for (const ContentPart& p : cached)
        if (!p.is_hole()) blobs.push_back(p.blob);
    if (lookup == FilesCache::Lookup::kUnchanged && writer_.KnownAll(blobs)) {
      // Setting or removing an extended attribute changes the ctime, so a
      // file with the same fingerprint that had none still has none.
      job->no_xattrs = cached_no_xattrs || (ReadXattrs(path, entry.node) && entry.node.xattrs.empty());
      entry.node.content.assign(cached.begin(), cached.end());
      job->size = fp.size;
      job->fingerprint = fp;
      // Seen as it was; only a newly known absence of attributes still
      // needs recording (at the end of its directory).
      job->as_cached = job->no_xattrs == cached_no_xattrs;
      if (job->as_cached) cache_->MarkSeen(found);
      summary_.files_unchanged++;
      summary_.bytes_total += fp.size;
      bytes_done_ += fp.size;
      files_done_++;
      return;
    }
  }

  // Opened in its directory (one path component), and the attributes
  // read through the descriptor: no further path lookups for this file.
  const int dir_fd = DirFd(base);
  const char* relative = AtPath(dir_fd, path, name);
  int fd = openat(dir_fd, relative, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = openat(dir_fd, relative, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    job->failed = true;
    Warn(path, absl::StrCat("cannot open: ", ErrnoText()), true);
    return;
  }
  if (listed_earlier) {
    // The listing may be thousands of entries old: the name can now lead
    // to another file (replaced, or a directory above it swapped for a
    // symlink). Only the file the recorded metadata describes is read.
    struct stat now;
    if (fstat(fd, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
      close(fd);
      job->failed = true;
      Warn(path, "replaced while the backup ran; not backed up (the next backup reads it)", true);
      return;
    }
  }
  job->no_xattrs = ReadXattrs(path, entry.node, fd) && entry.node.xattrs.empty();
  absl::Status status;
  // A file with fewer allocated blocks than its size has holes: read only its
  // data regions and record the holes, so it restores sparse.
  bool sparse = st.st_blocks * 512 < st.st_size;
  off_t pos = 0;
  auto read_range = [&](off_t end) {
    return [&, end](MutableByteView buf) -> absl::StatusOr<size_t> {
      size_t want = end < 0 ? buf.size() : std::min<size_t>(buf.size(), static_cast<size_t>(end - pos));
      if (want == 0) return size_t{0};
      for (;;) {
        ssize_t n = pread(fd, buf.data(), want, pos);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return absl::DataLossError(absl::StrCat("read error: ", ErrnoText()));
        pos += n;
        return static_cast<size_t>(n);
      }
    };
  };
  if (sparse) {
    off_t size = st.st_size;
    while (status.ok() && pos < size) {
      off_t data = lseek(fd, pos, SEEK_DATA);
      if (data < 0) data = size;  // ENXIO: only a hole remains
      if (data > pos) {
        job->parts.push_back(ContentPart{Id{}, static_cast<uint64_t>(data - pos)});
        job->size += static_cast<uint64_t>(data - pos);
        pos = data;
      }
      if (pos >= size) break;
      off_t hole = lseek(fd, pos, SEEK_HOLE);
      if (hole < 0 || hole > size) hole = size;
      uint64_t before = pos;
      status = ChunkInto(read_range(hole), job);
      if (static_cast<uint64_t>(pos) == before) break;  // file shrank
    }
  } else {
    // Read up to the size lstat gave (what the files cache fingerprint
    // records), which also spares small files a second read() to find the
    // end; a file reporting size 0 (as some virtual files do) is read to
    // its end.
    status = ChunkInto(read_range(st.st_size > 0 ? st.st_size : -1), job);
  }
  close(fd);
  if (absl::IsCancelled(status)) {
    job->failed = true;
    return;
  }
  if (!status.ok()) {
    job->failed = true;
    Warn(path, std::string(status.message()), true);
    return;
  }
  job->fingerprint = fp;
  (lookup == FilesCache::Lookup::kChanged ? summary_.files_changed : summary_.files_new)++;
  summary_.bytes_total += job->size;
  files_done_++;
  entry.node.size = job->size;
}

void Backup::ProcessStream(const StreamSource& stream, const std::string& name, DirJob& parent) {
  Entry e;
  e.node.name = name;
  e.node.type = NodeType::kFile;
  e.node.mode = stream.mode & 07777;
  e.node.uid = geteuid();
  e.node.gid = getegid();
  e.node.mtime_ns = e.node.atime_ns = e.node.ctime_ns = absl::ToUnixNanos(absl::Now());
  auto job = std::make_shared<FileJob>();
  job->path = stream.path;
  e.file = job;
  current_path_ = stream.path;
  absl::Status s = ChunkInto(stream.read, job);
  if (absl::IsCancelled(s)) return;
  if (!s.ok()) {
    Warn(stream.path, absl::StrCat("stream failed: ", s.message()), true);
    return;
  }
  summary_.files_new++;
  summary_.bytes_total += job->size;
  files_done_++;
  e.node.size = job->size;
  parent.entries.push_back(std::move(e));
}

absl::Status Backup::ChunkInto(const std::function<absl::StatusOr<size_t>(MutableByteView)>& read,
                               const std::shared_ptr<FileJob>& job) {
  const Chunker& chunker = repo_.chunker();
  const size_t max = chunker.params().max_size;
  // Allocated on first use: a re-backup that reads nothing never touches it.
  // One maximal chunk plus a read's worth: the buffer is refilled only when
  // the chunker finds no cut in what is left, and what is left then (the
  // start of one chunk) is moved to the front.
  if (!buffer_) {
    buffer_size_ = max + kReadSize;
    buffer_.reset(new uint8_t[buffer_size_]);  // default-initialized: no zero-fill
  }
  size_t begin = 0, end = 0;
  bool eof = false;
  for (;;) {
    if (Stopped()) return absl::CancelledError("backup stopped");
    // 0: no cut in [begin, end) and fewer than `max` bytes there before EOF.
    size_t len = begin == end ? 0 : chunker.NextChunkLength(ByteView(buffer_.get() + begin, end - begin), eof);
    if (len == 0) {
      if (eof) return absl::OkStatus();  // with EOF a non-empty rest is a chunk
      if (begin > 0) {
        std::memmove(buffer_.get(), buffer_.get() + begin, end - begin);
        end -= begin;
        begin = 0;
      }
      while (!eof && end < buffer_size_) {
        COFFER_ASSIGN_OR_RETURN(size_t n, read(MutableByteView(buffer_.get() + end, buffer_size_ - end)));
        if (n == 0) eof = true;
        end += n;
      }
      continue;
    }
    SubmitChunk(job, ByteView(buffer_.get() + begin, len));
    begin += len;
    job->size += len;
    summary_.bytes_read += len;
    bytes_done_ += len;
    Report(false);
  }
}

void Backup::SubmitChunk(const std::shared_ptr<FileJob>& job, ByteView data) {
  job->parts.emplace_back();
  ContentPart* part = &job->parts.back();
  job->outstanding++;
  // The chunk is copied out of the read buffer (which moves on). A large
  // one goes into a recycled buffer (no page faults or zero-fill per
  // chunk); a small one into a buffer of its size, since a batch of small
  // ones would otherwise each hold a megabyte-sized recycled buffer.
  Bytes chunk = data.size() >= kSmallChunk ? chunk_buffers_.Take() : Bytes();
  chunk.assign(data.begin(), data.end());
  batch_bytes_ += data.size();
  batch_.push_back(ChunkTask{job, part, std::move(chunk)});
  if (batch_bytes_ >= kBatchBytes || batch_.size() >= kBatchChunks) SubmitBatch();
}

void Backup::SubmitBatch() {
  if (batch_.empty()) return;
  workers_->Submit([this, batch = std::move(batch_)]() mutable {
    for (ChunkTask& task : batch) {
      if (Stopped()) {  // failed or cancelled: the rest would be wasted work
        task.job->outstanding--;
        continue;
      }
      Id id = repo_.hasher().Hash(task.chunk);
      auto saved = writer_.Save(BlobType::kData, id, task.chunk);
      if (!saved.ok()) SetFatal(saved.status());
      task.part->blob = id;
      if (task.chunk.capacity() >= kSmallChunk) chunk_buffers_.Give(std::move(task.chunk));
      task.job->outstanding--;
    }
  });
  batch_.clear();
  batch_bytes_ = 0;
}

void Backup::Enqueue(DirJob* dir) {
  unfinished_.push_back(dir);
  FinishReadyDirs(false);
}

void Backup::FinishReadyDirs(bool block) {
  if (block) SubmitBatch();  // what is waited for must be on its way
  while (!unfinished_.empty() && Fatal().ok()) {
    DirJob* dir = unfinished_.front();
    bool ready = std::all_of(dir->entries.begin(), dir->entries.end(),
                             [](const Entry& e) { return !e.file || e.file->outstanding == 0; });
    if (!ready) {
      if (!block) return;
      workers_->WaitFor(100);
      Report(false);
      continue;
    }
    absl::Status s = FinishDir(*dir);
    if (!s.ok()) SetFatal(s);
    unfinished_.pop_front();
  }
}

absl::Status Backup::FinishDir(DirJob& dir) {
  Tree tree;
  tree.nodes.reserve(dir.entries.size());
  for (Entry& e : dir.entries) {
    if (e.file) {
      // An unchanged file's parts were set from the files cache already.
      if (e.node.content.empty()) e.node.content.assign(e.file->parts.begin(), e.file->parts.end());
      if (cache_ && e.file->fingerprint && !e.file->as_cached)
        cache_->Record(e.file->path, *e.file->fingerprint, e.node.content, e.file->no_xattrs);
      e.file.reset();
    }
    if (e.dir) {
      e.node.subtree = e.dir->tree;
      e.dir.reset();  // its tree is stored: free the memory
    }
    tree.nodes.push_back(std::move(e.node));
  }
  dir.entries.clear();
  std::sort(tree.nodes.begin(), tree.nodes.end(), [](const Node& a, const Node& b) { return a.name < b.name; });
  Bytes encoded = EncodeTree(tree);
  Id id = repo_.hasher().Hash(encoded);
  COFFER_RETURN_IF_ERROR(writer_.Save(BlobType::kTree, id, encoded).status());
  dir.tree = id;
  return absl::OkStatus();
}

void Backup::Warn(const std::string& path, const std::string& message, bool is_error) {
  if (is_error) {
    summary_.errors++;
    errors_.push_back({path, message});
  }
  if (options_.warning) options_.warning(path, message);
}

void Backup::Report(bool force) {
  auto now = Clock::now();
  if (!force && now - last_report_ < std::chrono::milliseconds(100)) return;
  last_report_ = now;
  if (!options_.progress) return;
  Progress p;
  p.phase = Phase::kBackup;
  p.files_done = files_done_;
  p.bytes_done = bytes_done_;
  if (totals_known_) {
    p.files_total = p.files_done;
    p.bytes_total = p.bytes_done;
    p.totals_final = true;
  } else if (scanner_) {
    p.files_total = std::max(scanner_->files(), p.files_done);
    p.bytes_total = std::max(scanner_->bytes(), p.bytes_done);
    p.totals_final = scanner_->done();
  } else {
    p.files_total = std::max(estimated_files_, p.files_done);
    p.bytes_total = std::max(estimated_bytes_, p.bytes_done);
  }
  p.errors = summary_.errors;
  p.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
  p.current_path = current_path_;
  if (!options_.progress(p)) cancelled_ = true;
}

absl::StatusOr<BackupResult> Backup::Run() {
  COFFER_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo_.store(), repo_.keys().index_key, false,
                                                       repo_.lock_wait_seconds()));
  if (options_.cache_dir) repo_.set_cache_dir(*options_.cache_dir);
  PathTrie trie;
  std::vector<std::string> paths;
  COFFER_RETURN_IF_ERROR(BuildTrie(trie, paths));

  std::optional<Id> parent;
  const SnapshotSummary* parent_summary = nullptr;
  std::string host = options_.host.empty() ? CurrentHostName() : options_.host;
  std::vector<SnapshotEntry> previous;
  if (repo_.keys().can_read()) {
    auto listed = repo_.ListSnapshots();
    if (listed.ok()) previous = std::move(*listed);
    for (const auto& e : previous)
      if (e.snapshot.host == host && e.snapshot.paths == paths) {
        parent = e.id;
        parent_summary = &e.snapshot.summary;
      }
  }
  std::vector<std::string> scan_paths;
  for (const auto& p : paths)
    if (std::none_of(options_.streams.begin(), options_.streams.end(),
                     [&](const StreamSource& s) { return s.path == p; }))
      scan_paths.push_back(p);
  // A first backup counts ahead on a thread of its own; a re-backup of the
  // same paths takes its parent's totals as the estimate, since a second
  // walk of the tree costs about as much as the re-backup itself. A
  // re-backup, mostly looking at metadata, has that thread read its
  // directories ahead instead (a first backup's second core is busy
  // compressing).
  if (parent_summary) {
    estimated_files_ = parent_summary->files_new + parent_summary->files_changed + parent_summary->files_unchanged;
    estimated_bytes_ = parent_summary->bytes_total;
    std::vector<std::string> roots;
    CollectSources(trie, roots);
    prefetcher_ = std::make_unique<DirectoryPrefetcher>(std::move(roots), options_.excludes,
                                                        options_.one_file_system);
  } else {
    scanner_ = std::make_unique<SourceScanner>(scan_paths, options_.excludes, options_.one_file_system);
  }
  // Loaded after that thread has started, which reads meanwhile (the walk
  // of a re-backup mostly waits for its listings otherwise).
  COFFER_RETURN_IF_ERROR(repo_.LoadIndex());
  if (options_.use_files_cache) {
    std::filesystem::path dir = options_.cache_dir.value_or(DefaultCacheDir());
    cache_ = std::make_unique<FilesCache>(FilesCache::Load(dir / repo_.config().repo_id.Hex() / "files"));
  }

  workers_ = std::make_unique<WorkQueue>(threads_, static_cast<size_t>(threads_));

  DirJob root;
  ProcessTrie(trie, root);
  Enqueue(&root);
  FinishReadyDirs(true);
  workers_->Wait();
  if (scanner_) scanner_->Stop();
  prefetcher_.reset();
  if (cancelled_) {
    (void)writer_.Flush();  // keep what was uploaded reusable
    return absl::CancelledError("backup cancelled; no snapshot was written");
  }
  COFFER_RETURN_IF_ERROR(Fatal());
  totals_known_ = true;
  Report(true);
  if (cancelled_) {
    (void)writer_.Flush();
    return absl::CancelledError("backup cancelled; no snapshot was written");
  }
  // Nothing more is read: give the read buffer and the recycled chunk
  // storage back before the index grows and the files cache is written, so
  // they do not add up to the backup's peak memory (Flush frees the packs').
  buffer_.reset();
  buffer_size_ = 0;
  chunk_buffers_.Clear();
  COFFER_RETURN_IF_ERROR(writer_.Flush());

  BlobWriterStats stats = writer_.stats();
  Snapshot snap;
  snap.time_ns = start_unix_ns_;
  snap.host = host;
  snap.user = CurrentUserName();
  snap.paths = paths;
  snap.tags = options_.tags;
  snap.parent = parent;
  snap.tree = *root.tree;
  snap.partial = !errors_.empty();
  snap.errors = errors_;
  snap.program_version = COFFER_VERSION_FROM_BUILD;
  summary_.blobs_added = stats.blobs_added;
  summary_.bytes_added = stats.bytes_added;
  summary_.bytes_added_stored = stats.bytes_added_stored;
  summary_.duration_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  snap.summary = summary_;
  COFFER_RETURN_IF_ERROR(lock->Check());  // a prune may have run if our lock went stale
  COFFER_ASSIGN_OR_RETURN(Id id, repo_.SaveSnapshot(snap));
  if (cache_) {
    absl::Status s = cache_->Save();
    if (!s.ok()) Warn("", absl::StrCat("files cache not saved: ", s.message()), false);
    cache_.reset();  // before the index cache may be written: not both in memory
  }
  repo_.UpdateIndexCache();
  return BackupResult{id, std::move(snap), dirs_read_ahead_};
}

}  // namespace

absl::StatusOr<BackupResult> RunBackup(Repository& repo, const BackupOptions& options) {
  Backup backup(repo, options);
  return backup.Run();
}

}  // namespace coffer
