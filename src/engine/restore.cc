#include "engine/restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/work_queue.h"
#include "engine/node_metadata.h"
#include "engine/pattern.h"
#include "repo/lock.h"

namespace coffer {
namespace {

using Clock = std::chrono::steady_clock;

struct PlannedEntry {
  std::string path;  // inside the snapshot: "/home/ann/x"
  Node node;
};

bool IsAtOrBelow(std::string_view path, std::string_view base) {
  if (base == "/") return true;
  return path == base || (path.size() > base.size() && path.substr(0, base.size()) == base && path[base.size()] == '/');
}

std::string NormalizeInclude(std::string p) {
  if (p.empty() || p[0] != '/') p = "/" + p;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

class Restore {
 public:
  Restore(Repository& repo, const RestoreOptions& options) : repo_(repo), options_(options), start_(Clock::now()) {
    for (const auto& inc : options.includes) includes_.push_back(NormalizeInclude(inc));
  }
  absl::StatusOr<RestoreResult> Run();

 private:
  enum class Selection { kNo, kPathTo, kYes };
  Selection Select(const std::string& path) const;
  absl::Status Plan(const Id& tree, const std::string& base);
  absl::Status CheckConflicts();
  std::string Target(const std::string& path) const { return options_.target.string() + path; }
  absl::Status RestoreFile(const PlannedEntry& e);
  // Writes `node`'s content and then its metadata into a new file `dest`
  // (metadata after close: measured faster here than setting it through
  // the descriptor); warnings name the snapshot path `shown_path`.
  absl::Status WriteContent(const std::string& dest, const Node& node, const std::string& shown_path);
  void Warn(const std::string& path, const std::string& message);
  void Report(bool force);

  Repository& repo_;
  const RestoreOptions& options_;
  std::vector<std::string> includes_;
  std::vector<PlannedEntry> plan_;  // depth-first, parents before children
  Clock::time_point start_, last_report_{};
  std::atomic<uint64_t> bytes_done_{0}, files_done_{0}, warnings_{0};
  uint64_t bytes_total_ = 0, files_total_ = 0;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;  // guards errors_ and warning callbacks
  std::vector<std::string> errors_;
  // The code of the first failure, so a dead store stays Unavailable (and a
  // wrong credential Unauthenticated) instead of turning into data loss.
  absl::StatusCode first_error_code_ = absl::StatusCode::kOk;
};

Restore::Selection Restore::Select(const std::string& path) const {
  if (MatchesAny(options_.excludes, path)) return Selection::kNo;
  if (includes_.empty()) return Selection::kYes;
  for (const auto& inc : includes_) {
    if (IsAtOrBelow(path, inc)) return Selection::kYes;
  }
  for (const auto& inc : includes_) {
    if (IsAtOrBelow(inc, path)) return Selection::kPathTo;
  }
  return Selection::kNo;
}

absl::Status Restore::Plan(const Id& tree_id, const std::string& base) {
  COFFER_ASSIGN_OR_RETURN(Tree tree, repo_.ReadTree(tree_id));
  for (Node& node : tree.nodes) {
    if (node.name.find('/') != std::string::npos || node.name == "." || node.name == "..")
      return absl::DataLossError(absl::StrCat("tree ", tree_id.ShortHex(), " holds an invalid name \"", node.name, "\""));
    std::string path = base == "/" ? "/" + node.name : base + "/" + node.name;
    Selection sel = Select(path);
    if (sel == Selection::kNo) continue;
    if (sel == Selection::kPathTo && node.type != NodeType::kDir) continue;
    std::optional<Id> subtree = node.subtree;
    if (node.type == NodeType::kFile) {
      files_total_++;
      bytes_total_ += node.size;
    }
    plan_.push_back({path, std::move(node)});
    if (subtree) COFFER_RETURN_IF_ERROR(Plan(*subtree, path));
  }
  return absl::OkStatus();
}

absl::Status Restore::CheckConflicts() {
  std::vector<std::string> conflicts;
  for (const PlannedEntry& e : plan_) {
    struct stat st;
    if (lstat(Target(e.path).c_str(), &st) != 0) continue;
    if (e.node.type == NodeType::kDir && S_ISDIR(st.st_mode)) continue;  // merging into a directory is fine
    conflicts.push_back(Target(e.path));
  }
  if (conflicts.empty()) return absl::OkStatus();
  std::string shown = absl::StrJoin(conflicts.begin(), conflicts.begin() + std::min<size_t>(conflicts.size(), 3), ", ");
  return absl::AlreadyExistsError(absl::StrCat(
      "restore would overwrite ", conflicts.size(), " existing file(s) (", shown,
      conflicts.size() > 3 ? ", ..." : "", "); nothing was written; restore elsewhere or allow overwriting"));
}

absl::Status Restore::WriteContent(const std::string& dest, const Node& node, const std::string& shown_path) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
  int fd = open(dest.c_str(), kFlags, 0600);
  if (fd < 0 && errno == EEXIST) {
    // Left by an interrupted restore (only then: the name is ours).
    unlink(dest.c_str());
    fd = open(dest.c_str(), kFlags, 0600);
  }
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", dest, ": ", strerror(errno)));
  uint64_t offset = 0, written_end = 0;
  absl::Status status;
  for (const ContentPart& part : node.content) {
    if (cancelled_) {
      status = absl::CancelledError("restore cancelled");
      break;
    }
    if (part.is_hole()) {
      offset += part.hole;  // left unwritten: stays a hole
      bytes_done_ += part.hole;
      continue;
    }
    auto data = repo_.ReadBlob(part.blob);
    if (!data.ok()) {
      status = data.status();
      break;
    }
    size_t done = 0;
    while (done < data->size()) {
      ssize_t n = pwrite(fd, data->data() + done, data->size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status = absl::ResourceExhaustedError(absl::StrCat("cannot write ", dest, ": ", strerror(errno)));
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (!status.ok()) break;
    offset += data->size();
    written_end = offset;
    bytes_done_ += data->size();
  }
  // A trailing hole is the only part the writes did not reach.
  if (status.ok() && offset != written_end && ftruncate(fd, static_cast<off_t>(offset)) != 0)
    status = absl::InternalError(absl::StrCat("cannot set size of ", dest, ": ", strerror(errno)));
  if (status.ok() && offset != node.size)
    status = absl::DataLossError(absl::StrCat("restored ", offset, " bytes but the snapshot says ", node.size));
  close(fd);
  // Metadata that cannot be set (e.g. an owner as non-root) is a warning.
  if (status.ok()) {
    if (absl::Status m = ApplyMetadata(dest, node, {options_.restore_owner}); !m.ok())
      Warn(shown_path, std::string(m.message()));
  }
  return status;
}

absl::Status Restore::RestoreFile(const PlannedEntry& e) {
  std::string dest = Target(e.path);
  // Write under a temporary name and rename: an interrupted restore never
  // leaves a truncated file under the real name, and overwriting is atomic.
  std::string tmp = dest + ".coffer-restore-tmp";
  absl::Status s = WriteContent(tmp, e.node, e.path);
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  if (rename(tmp.c_str(), dest.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename into ", dest, ": ", strerror(errno)));
  }
  files_done_++;
  return absl::OkStatus();
}

void Restore::Warn(const std::string& path, const std::string& message) {
  warnings_++;
  std::lock_guard<std::mutex> guard(mu_);
  if (options_.warning) options_.warning(path, message);
}

void Restore::Report(bool force) {
  auto now = Clock::now();
  if (!force && now - last_report_ < std::chrono::milliseconds(100)) return;
  last_report_ = now;
  if (!options_.progress) return;
  Progress p;
  p.phase = Phase::kRestore;
  p.files_done = files_done_;
  p.files_total = files_total_;
  p.bytes_done = bytes_done_;
  p.bytes_total = bytes_total_;
  p.totals_final = true;
  p.errors = warnings_;
  p.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
  if (!options_.progress(p)) cancelled_ = true;
}

absl::StatusOr<RestoreResult> Restore::Run() {
  if (options_.target.empty()) return absl::InvalidArgumentError("no restore target directory was given");
  COFFER_RETURN_IF_ERROR(repo_.RequireReadAccess("restore"));
  COFFER_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo_.store(), repo_.keys().index_key, false,
                                                       repo_.lock_wait_seconds()));
  COFFER_RETURN_IF_ERROR(repo_.LoadIndex());
  COFFER_ASSIGN_OR_RETURN(SnapshotEntry snap, repo_.FindSnapshot(options_.snapshot));
  COFFER_RETURN_IF_ERROR(Plan(snap.snapshot.tree, "/"));
  if (!includes_.empty()) {
    for (const auto& inc : includes_) {
      bool found = std::any_of(plan_.begin(), plan_.end(), [&](const PlannedEntry& e) { return e.path == inc; });
      if (!found)
        return absl::NotFoundError(absl::StrCat("snapshot ", snap.id.ShortHex(), " has no path ", inc));
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.target, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create target ", options_.target.string(), ": ", ec.message()));
  if (!options_.overwrite) COFFER_RETURN_IF_ERROR(CheckConflicts());

  RestoreResult result;
  result.snapshot = snap.id;
  // Directories and links first (on this thread), file contents in parallel.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, std::string> hardlinks;  // (device, inode) → first path
  std::vector<const PlannedEntry*> files, dirs, links_later;
  for (const PlannedEntry& e : plan_) {
    std::string dest = Target(e.path);
    switch (e.node.type) {
      case NodeType::kDir: {
        struct stat st;
        if (lstat(dest.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) unlink(dest.c_str());
        if (mkdir(dest.c_str(), 0700) != 0 && errno != EEXIST)
          return absl::InternalError(absl::StrCat("cannot create directory ", dest, ": ", strerror(errno)));
        dirs.push_back(&e);
        result.dirs++;
        break;
      }
      case NodeType::kFile:
        if (e.node.links > 1) {
          auto [it, first] = hardlinks.try_emplace({e.node.device, e.node.inode}, e.path);
          if (!first) {
            links_later.push_back(&e);
            break;
          }
        }
        files.push_back(&e);
        result.files++;
        result.bytes += e.node.size;
        break;
      case NodeType::kSymlink:
      case NodeType::kFifo: {
        if (options_.overwrite) unlink(dest.c_str());
        int rc = e.node.type == NodeType::kSymlink ? symlink(e.node.link_target.c_str(), dest.c_str())
                                                     : mkfifo(dest.c_str(), 0600);
        if (rc != 0) return absl::InternalError(absl::StrCat("cannot create ", dest, ": ", strerror(errno)));
        if (absl::Status s = ApplyMetadata(dest, e.node, {options_.restore_owner}); !s.ok())
          Warn(e.path, std::string(s.message()));
        (e.node.type == NodeType::kSymlink ? result.symlinks : result.other)++;
        break;
      }
    }
  }

  int threads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 16);
  {
    WorkQueue workers(threads, static_cast<size_t>(threads) * 4);
    for (const PlannedEntry* e : files) {
      if (cancelled_) break;
      workers.Submit([this, e] {
        absl::Status s = RestoreFile(*e);
        if (!s.ok()) {
          std::lock_guard<std::mutex> guard(mu_);
          if (errors_.empty()) first_error_code_ = s.code();
          errors_.push_back(absl::StrCat(e->path, ": ", s.message()));
        }
      });
      Report(false);
    }
    while (!workers.WaitFor(100)) Report(false);
  }
  if (cancelled_) return absl::CancelledError("restore cancelled");
  for (const PlannedEntry* e : links_later) {
    std::string dest = Target(e->path);
    std::string first = Target(hardlinks.at({e->node.device, e->node.inode}));
    if (options_.overwrite) unlink(dest.c_str());
    if (link(first.c_str(), dest.c_str()) != 0) {
      if (errors_.empty())
        first_error_code_ = (errno == EACCES || errno == EPERM) ? absl::StatusCode::kPermissionDenied
                                                                : absl::StatusCode::kUnavailable;
      errors_.push_back(absl::StrCat(e->path, ": cannot create hard link: ", strerror(errno)));
      continue;
    }
    result.files++;
  }
  // Directory metadata last, deepest first, so adding entries does not
  // change a directory's restored mtime.
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    if (absl::Status s = ApplyMetadata(Target((*it)->path), (*it)->node, {options_.restore_owner}); !s.ok())
      Warn((*it)->path, std::string(s.message()));
  }
  Report(true);
  if (!errors_.empty()) {
    return absl::Status(first_error_code_, absl::StrCat(errors_.size(), " file(s) could not be restored: ",
                                            absl::StrJoin(errors_.begin(), errors_.begin() + std::min<size_t>(errors_.size(), 5), "; ")));
  }
  result.errors = warnings_;
  result.duration_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  return result;
}

}  // namespace

absl::StatusOr<RestoreResult> RunRestore(Repository& repo, const RestoreOptions& options) {
  Restore restore(repo, options);
  return restore.Run();
}

}  // namespace coffer
