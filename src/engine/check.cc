#include "engine/check.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "compress/codec.h"
#include "hash/keyed_hash.h"
#include "repo/lock.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {

using Clock = std::chrono::steady_clock;

class Checker {
 public:
  Checker(Repository& repo, const CheckOptions& options) : repo_(repo), options_(options), start_(Clock::now()) {}
  absl::StatusOr<CheckResult> Run();

 private:
  void Error(std::string object, std::string message) { result_.errors.push_back({std::move(object), std::move(message)}); }
  absl::Status CheckPacksExist();
  void WalkSnapshots();
  void WalkTree(const Id& tree, const std::string& path, const Id& snapshot, bool report);
  bool SelectedForReading(const Id& pack, std::mt19937_64& rng) const;
  absl::Status ReadPacks();
  void ReadPack(const Id& pack, uint64_t size);
  // Reports progress (at most every 100 ms unless `force`); a callback
  // that returns false sets cancelled_, and the walks stop.
  void Report(uint64_t done, uint64_t total, bool totals_final, bool force);

  Repository& repo_;
  const CheckOptions& options_;
  Clock::time_point start_, last_report_{};
  bool cancelled_ = false;
  CheckResult result_;
  IndexLoadReport index_;
  absl::flat_hash_map<Id, uint64_t> store_packs_;               // on the store: id → size
  absl::flat_hash_map<Id, std::vector<PackedBlob>> pack_blobs_;  // from the index objects
  std::vector<SnapshotEntry> snapshots_;
  absl::flat_hash_set<Id> broken_;      // blobs and trees that cannot be read
  absl::flat_hash_set<Id> trees_seen_;
  absl::flat_hash_map<Id, Tree> trees_;  // decoded, for the damage walk
};

absl::Status Checker::CheckPacksExist() {
  COFFER_RETURN_IF_ERROR(repo_.store().List(kDataPrefix, [&](const ObjectInfo& info) {
    auto id = IdFromObjectName(info.name);
    if (!id || PackName(*id) != info.name) {
      result_.notices.push_back({info.name, "not a pack name; ignored"});
    } else {
      store_packs_[*id] = info.size;
    }
    return absl::OkStatus();
  }));
  result_.packs = store_packs_.size();
  for (const auto& object : index_.objects) {
    for (const PackContents& pack : object.content.packs) {
      auto& blobs = pack_blobs_[pack.pack];
      blobs.insert(blobs.end(), pack.blobs.begin(), pack.blobs.end());
    }
  }
  for (const auto& [pack, blobs] : pack_blobs_) {
    auto it = store_packs_.find(pack);
    uint64_t needed = 0;
    for (const PackedBlob& b : blobs) needed = std::max<uint64_t>(needed, uint64_t{b.offset} + b.length);
    if (it == store_packs_.end()) {
      Error(PackName(pack), absl::StrCat("missing, but the index lists ", blobs.size(), " blob(s) in it"));
    } else if (it->second < needed) {
      Error(PackName(pack), absl::StrCat("is ", it->second, " bytes, but the index needs ", needed));
    } else {
      continue;
    }
    for (const PackedBlob& b : blobs) broken_.insert(b.id);
  }
  for (const auto& [pack, size] : store_packs_) {
    if (!pack_blobs_.contains(pack))
      result_.notices.push_back({PackName(pack), "not in the index (left by an interrupted backup; prune removes it)"});
  }
  return absl::OkStatus();
}

// Two passes: the first (report=false) reads each distinct tree once and
// finds missing trees and blobs; the second (report=true, only when
// something is broken) walks every snapshot again over the cached trees to
// name the damaged files and directories.
void Checker::WalkTree(const Id& tree_id, const std::string& path, const Id& snapshot, bool report) {
  auto damaged = [&](const std::string& p) { result_.damaged.push_back({snapshot, p}); };
  if (report) {
    if (broken_.contains(tree_id) || !trees_.contains(tree_id)) {
      damaged(path);
      return;
    }
  } else {
    if (cancelled_ || !trees_seen_.insert(tree_id).second) return;
    result_.trees++;
    Report(result_.trees, 0, false, false);
    auto tree = repo_.index().Has(tree_id) ? repo_.ReadTree(tree_id)
                                           : absl::StatusOr<Tree>(absl::NotFoundError("not in the index"));
    if (!tree.ok()) {
      Error(absl::StrCat("tree ", tree_id.ShortHex()), absl::StrCat(tree.status().message(), " (", path, ")"));
      broken_.insert(tree_id);
      return;
    }
    trees_.emplace(tree_id, std::move(*tree));
  }
  const Tree& tree = trees_.at(tree_id);
  for (const Node& n : tree.nodes) {
    std::string child = path == "/" ? "/" + n.name : path + "/" + n.name;
    if (n.type == NodeType::kFile) {
      bool file_damaged = false;
      std::vector<Id> blobs;
      for (const ContentPart& part : n.content)
        if (!part.is_hole()) blobs.push_back(part.blob);
      std::unique_ptr<bool[]> indexed(new bool[blobs.size()]);
      if (!report) repo_.index().HasMany(blobs, indexed.get());
      size_t k = 0;
      for (const ContentPart& part : n.content) {
        if (part.is_hole()) continue;
        if (!report) {
          result_.blobs++;
          if (!indexed[k++] && !broken_.contains(part.blob)) {
            Error(absl::StrCat("blob ", part.blob.ShortHex()), absl::StrCat("not in the index (", child, ")"));
            broken_.insert(part.blob);
          }
        }
        if (broken_.contains(part.blob)) file_damaged = true;
      }
      if (report && file_damaged) damaged(child);
    } else if (n.subtree) {
      WalkTree(*n.subtree, child, snapshot, report);
    }
  }
}

void Checker::WalkSnapshots() {
  for (const auto& s : snapshots_) WalkTree(s.snapshot.tree, "/", s.id, false);
}

bool Checker::SelectedForReading(const Id& pack, std::mt19937_64& rng) const {
  if (options_.read_data) return true;
  if (options_.subset_n > 0) return pack.bytes[0] % options_.subset_n == options_.subset_k - 1;
  if (options_.read_data_percent > 0) return std::uniform_real_distribution<double>(0, 100)(rng) < options_.read_data_percent;
  return false;
}

void Checker::ReadPack(const Id& pack, uint64_t size) {
  std::string name = PackName(pack);
  auto data = repo_.store().Get(name);
  if (!data.ok()) {
    Error(name, absl::StrCat("cannot be read: ", data.status().message()));
    for (const PackedBlob& b : pack_blobs_[pack]) broken_.insert(b.id);
    return;
  }
  result_.packs_read++;
  result_.bytes_read += size;
  if (Sha256(*data) != pack) Error(name, "content does not match its name: the object is damaged");
  auto key = OpenPackDataKey(*data, repo_.keys().data_key_pair());
  if (!key.ok()) {
    Error(name, absl::StrCat("data key: ", key.status().message()));
    for (const PackedBlob& b : pack_blobs_[pack]) broken_.insert(b.id);
    return;
  }
  for (const PackedBlob& b : pack_blobs_[pack]) {
    if (uint64_t{b.offset} + b.length > data->size()) continue;  // reported by the structure check
    ByteView envelope(data->data() + b.offset, b.length);
    auto payload = OpenPackedBlob(*key, b.id, envelope);
    absl::StatusOr<Bytes> plain = payload.ok() ? DecompressBlob(*payload, b.raw_length) : payload.status();
    if (plain.ok() && repo_.hasher().Hash(*plain) != b.id)
      plain = absl::DataLossError("content does not match its id");
    if (!plain.ok()) {
      Error(name, absl::StrCat("blob ", b.id.ShortHex(), " at offset ", b.offset, ": ", plain.status().message()));
      broken_.insert(b.id);
    }
  }
}

absl::Status Checker::ReadPacks() {
  std::mt19937_64 rng(std::random_device{}());
  std::vector<Id> chosen;
  for (const auto& [pack, blobs] : pack_blobs_)
    if (store_packs_.contains(pack) && SelectedForReading(pack, rng)) chosen.push_back(pack);
  std::sort(chosen.begin(), chosen.end());
  for (size_t i = 0; i < chosen.size() && !cancelled_; ++i) {
    ReadPack(chosen[i], store_packs_[chosen[i]]);
    // The first report gives the total at once, the last says it is done.
    Report(i + 1, chosen.size(), true, i == 0 || i + 1 == chosen.size());
  }
  return absl::OkStatus();
}

void Checker::Report(uint64_t done, uint64_t total, bool totals_final, bool force) {
  auto now = Clock::now();
  if (!options_.progress || (!force && now - last_report_ < std::chrono::milliseconds(100))) return;
  last_report_ = now;
  Progress p;
  p.phase = Phase::kVerifying;
  p.files_done = done;
  p.files_total = total;
  p.totals_final = totals_final;
  p.bytes_done = result_.bytes_read;
  p.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
  if (!options_.progress(p)) cancelled_ = true;
}

absl::StatusOr<CheckResult> Checker::Run() {
  COFFER_RETURN_IF_ERROR(repo_.RequireReadAccess("check a repository"));
  COFFER_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo_.store(), repo_.keys().index_key, false,
                                                       repo_.lock_wait_seconds()));
  COFFER_RETURN_IF_ERROR(repo_.LoadIndex(&index_));
  for (const auto& [name, status] : index_.failures) Error(name, std::string(status.message()));
  COFFER_RETURN_IF_ERROR(CheckPacksExist());

  COFFER_RETURN_IF_ERROR(repo_.store().List(kSnapshotsPrefix, [&](const ObjectInfo& info) -> absl::Status {
    auto id = IdFromObjectName(info.name);
    if (!id) return absl::OkStatus();
    auto data = repo_.store().Get(info.name);
    absl::StatusOr<Snapshot> snap = data.ok() ? DecryptSnapshot(*data, repo_.keys().data_key_pair()) : data.status();
    if (!snap.ok()) {
      Error(info.name, std::string(snap.status().message()));
      return absl::OkStatus();
    }
    snapshots_.push_back({*id, std::move(*snap)});
    return absl::OkStatus();
  }));
  result_.snapshots = snapshots_.size();
  WalkSnapshots();
  if (cancelled_) return absl::CancelledError("check cancelled");
  COFFER_RETURN_IF_ERROR(ReadPacks());
  if (cancelled_) return absl::CancelledError("check cancelled");
  if (!broken_.empty()) {
    for (const auto& s : snapshots_) WalkTree(s.snapshot.tree, "/", s.id, true);
  }
  auto locks = ListLocks(repo_.store(), repo_.keys().index_key);
  if (locks.ok()) {
    for (const LockInfo& l : *locks)
      if (IsLockStale(l, absl::ToUnixSeconds(absl::Now())))
        result_.notices.push_back({LockName(l.id), absl::StrCat("stale: ", DescribeLock(l), " (`coffer unlock` removes it)")});
  }
  return std::move(result_);
}

}  // namespace

absl::Status ParseReadDataSubset(std::string_view text, CheckOptions& options) {
  std::string t(text);
  if (!t.empty() && t.back() == '%') {
    double percent;
    if (!absl::SimpleAtod(t.substr(0, t.size() - 1), &percent) || percent <= 0 || percent > 100)
      return absl::InvalidArgumentError(absl::StrCat("--read-data-subset: \"", t, "\" is not a percentage in (0, 100]"));
    options.read_data_percent = percent;
    return absl::OkStatus();
  }
  size_t slash = t.find('/');
  uint32_t k = 0, n = 0;
  if (slash == std::string::npos || !absl::SimpleAtoi(t.substr(0, slash), &k) ||
      !absl::SimpleAtoi(t.substr(slash + 1), &n) || n == 0 || n > 256 || k == 0 || k > n)
    return absl::InvalidArgumentError(
        absl::StrCat("--read-data-subset: \"", t, "\" is neither N% nor k/n with 1 <= k <= n <= 256"));
  options.subset_k = k;
  options.subset_n = n;
  return absl::OkStatus();
}

absl::StatusOr<CheckResult> RunCheck(Repository& repo, const CheckOptions& options) {
  Checker checker(repo, options);
  return checker.Run();
}

}  // namespace coffer
