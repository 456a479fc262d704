#include "engine/restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <functional>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/pending_file.h"
#include "base/status_macros.h"
#include "base/sequential_writer.h"
#include "base/work_queue.h"
#include "engine/node_metadata.h"
#include "engine/pattern.h"
#include "repo/lock.h"

namespace coffer {
namespace {

using Clock = std::chrono::steady_clock;

// A worker's task: up to this many files or bytes, whichever comes first.
constexpr size_t kBatchFiles = 32;
constexpr uint64_t kBatchBytes = 4 << 20;

struct PlannedEntry {
  std::string path;  // inside the snapshot: "/home/ann/x"
  Node node;
};

bool IsAtOrBelow(std::string_view path, std::string_view base) {
  if (base == "/") return true;
  return path == base || (path.size() > base.size() && path.substr(0, base.size()) == base && path[base.size()] == '/');
}

// True when `dir` does not exist or is a directory with no entries: nothing
// restored into it can replace anything.
bool IsMissingOrEmptyDir(const std::filesystem::path& dir) {
  std::error_code ec;
  auto status = std::filesystem::symlink_status(dir, ec);
  if (ec) return ec == std::errc::no_such_file_or_directory;
  if (!std::filesystem::is_directory(status)) return false;
  return std::filesystem::is_empty(dir, ec) && !ec;
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
  // Writes `node`'s content and then its metadata into `fd`, a new empty
  // file that becomes `dest`; warnings name the snapshot path `shown_path`.
  absl::Status WriteContent(int fd, const std::string& dest, const Node& node, const std::string& shown_path);
  void Warn(const std::string& path, const std::string& message);
  void Report(bool force);

  Repository& repo_;
  const RestoreOptions& options_;
  std::vector<std::string> includes_;
  // Depth-first, parents before children. A deque: entries handed to
  // workers while planning goes on must keep their address.
  std::deque<PlannedEntry> plan_;
  // Set while planning feeds entries straight to Place (see Run).
  std::function<absl::Status(const PlannedEntry&)> on_planned_;
  std::atomic<bool> planning_{false};
  Clock::time_point start_, last_report_{};
  std::atomic<uint64_t> bytes_done_{0}, files_done_{0}, warnings_{0};
  uint64_t bytes_total_ = 0, files_total_ = 0;
  std::atomic<bool> cancelled_{false};
  FileNaming naming_ = FileNaming::kTemporaryName;  // how restored files get their names
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
    if (on_planned_) COFFER_RETURN_IF_ERROR(on_planned_(plan_.back()));
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

absl::Status Restore::WriteContent(int fd, const std::string& dest, const Node& node,
                                   const std::string& shown_path) {
  // Hole-free files of some size bypass the page cache (see
  // SequentialWriter); a hole needs an unwritten gap, so those go buffered.
  bool has_hole = std::any_of(node.content.begin(), node.content.end(),
                              [](const ContentPart& p) { return p.is_hole(); });
  SequentialWriter writer(fd, !has_hole && node.size >= SequentialWriter::kWorthwhileSize);
  auto write_error = [&](const absl::Status& s) {
    return absl::ResourceExhaustedError(absl::StrCat("cannot write ", dest, ": ", s.message()));
  };
  absl::Status status;
  for (const ContentPart& part : node.content) {
    if (cancelled_) {
      status = absl::CancelledError("restore cancelled");
      break;
    }
    if (part.is_hole()) {
      status = writer.Skip(part.hole);  // left unwritten: stays a hole
      if (!status.ok()) break;
      bytes_done_ += part.hole;
      continue;
    }
    auto data = repo_.ReadBlob(part.blob);
    if (!data.ok()) {
      status = data.status();
      break;
    }
    if (absl::Status s = writer.Append(*data); !s.ok()) {
      status = write_error(s);
      break;
    }
    bytes_done_ += data->size();
  }
  if (status.ok()) {
    if (absl::Status s = writer.Finish(); !s.ok()) status = write_error(s);
  }
  if (status.ok() && writer.size() != node.size)
    status = absl::DataLossError(absl::StrCat("restored ", writer.size(), " bytes but the snapshot says ", node.size));
  // Metadata that cannot be set (e.g. an owner as non-root) is a warning.
  // Through the descriptor: no path lookups (several per file otherwise).
  if (status.ok()) {
    if (absl::Status m = ApplyMetadataToOpenFile(fd, dest, node, {options_.restore_owner}); !m.ok())
      Warn(shown_path, std::string(m.message()));
  }
  return status;
}

absl::Status Restore::RestoreFile(const PlannedEntry& e) {
  std::string dest = Target(e.path);
  // Written unnamed (or under a temporary name) and named once complete: an
  // interrupted restore never leaves a truncated file under the real name,
  // and overwriting is atomic.
  COFFER_ASSIGN_OR_RETURN(PendingFile file, PendingFile::Create(dest, naming_, ".coffer-restore-tmp"));
  COFFER_RETURN_IF_ERROR(WriteContent(file.fd(), dest, e.node, e.path));
  COFFER_RETURN_IF_ERROR(file.Commit());
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
  p.totals_final = !planning_;
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
  // Planning (reading every tree) and restoring overlap unless something
  // must be known about the whole plan before the first write: that each
  // --include exists, or that no planned path is already in the target.
  // With --overwrite into a full target, planning first also keeps the
  // target untouched when a tree cannot be read.
  const bool stream = includes_.empty() && IsMissingOrEmptyDir(options_.target);
  if (!stream) {
    COFFER_RETURN_IF_ERROR(Plan(snap.snapshot.tree, "/"));
    for (const auto& inc : includes_) {
      bool found = std::any_of(plan_.begin(), plan_.end(), [&](const PlannedEntry& e) { return e.path == inc; });
      if (!found)
        return absl::NotFoundError(absl::StrCat("snapshot ", snap.id.ShortHex(), " has no path ", inc));
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.target, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create target ", options_.target.string(), ": ", ec.message()));
  if (!stream && !options_.overwrite) COFFER_RETURN_IF_ERROR(CheckConflicts());
  // After the refusal above: that leaves the target untouched.
  naming_ = ProbeFileNaming(options_.target.string());

  RestoreResult result;
  result.snapshot = snap.id;
  // Directories and links are made on this thread as they are planned; file
  // contents go to workers in batches (one hand-off per batch, not per file:
  // most files are small, and waking a thread costs about as much as
  // writing one).
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, std::string> hardlinks;  // (device, inode) → first path
  std::vector<const PlannedEntry*> dirs, links_later, batch;
  uint64_t batch_bytes = 0;
  // Twice the cores: with direct writes a worker also waits for the device.
  int threads = std::clamp(2 * static_cast<int>(std::thread::hardware_concurrency()), 2, 32);
  absl::Status plan_status;
  {
    WorkQueue workers(threads, static_cast<size_t>(threads) * 2);
    auto flush = [&] {
      if (batch.empty()) return;
      workers.Submit([this, files = std::move(batch)] {
        for (const PlannedEntry* e : files) {
          if (cancelled_) return;
          absl::Status s = RestoreFile(*e);
          if (!s.ok()) {
            std::lock_guard<std::mutex> guard(mu_);
            if (errors_.empty()) first_error_code_ = s.code();
            errors_.push_back(absl::StrCat(e->path, ": ", s.message()));
          }
        }
      });
      batch.clear();
      batch_bytes = 0;
    };
    auto place = [&](const PlannedEntry& e) -> absl::Status {
      if (cancelled_) return absl::CancelledError("restore cancelled");
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
          batch.push_back(&e);
          batch_bytes += e.node.size;
          if (batch.size() >= kBatchFiles || batch_bytes >= kBatchBytes) flush();
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
      Report(false);
      return absl::OkStatus();
    };
    if (stream) {
      planning_ = true;
      on_planned_ = place;
      plan_status = Plan(snap.snapshot.tree, "/");
      on_planned_ = nullptr;
      planning_ = false;
    } else {
      for (const PlannedEntry& e : plan_) {
        plan_status = place(e);
        if (!plan_status.ok()) break;
      }
    }
    if (plan_status.ok()) {
      flush();
      while (!workers.WaitFor(100)) Report(false);
    } else {
      cancelled_ = true;  // stop the workers at their next file or blob
    }
  }
  // A damaged tree or a directory that cannot be made: files already
  // restored stay (each complete under its own name), and the error says why
  // the rest is missing.
  if (!plan_status.ok() && !absl::IsCancelled(plan_status)) return plan_status;
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
