#include "engine/prune.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "compress/codec.h"
#include "hash/keyed_hash.h"
#include "repo/lock.h"
#include "repo/object_kind.h"
#include "repo/pack.h"
#include "store/object_lock.h"

namespace coffer {
namespace {

constexpr size_t kBlobsPerIndexObject = 1u << 20;

enum class PackFate { kKeep, kRepack, kDelete };

struct PackPlan {
  uint64_t size = 0;                // on the store
  std::vector<PackedBlob> entries;  // every index entry for this pack
  std::vector<PackedBlob> used;     // entries to keep
  uint64_t used_bytes = 0;
  PackFate fate = PackFate::kKeep;
};

class Pruner {
 public:
  Pruner(Repository& repo, const PruneOptions& options) : repo_(repo), options_(options) {}
  absl::StatusOr<PruneResult> Run();

 private:
  absl::Status MarkUsed(const Id& tree, const Id& snapshot);
  absl::Status Plan();
  absl::Status Repack(std::vector<PackContents>& new_packs);
  absl::Status FlushPack(std::unique_ptr<PackBuilder>& builder, std::vector<PackContents>& new_packs);
  absl::Status WriteIndex(const std::vector<PackContents>& packs);
  absl::Status ApplyRetention();
  absl::Status ExtendRetention();
  bool Retained(const std::string& name, absl::Status& error);

  Repository& repo_;
  const PruneOptions& options_;
  PruneResult result_;
  IndexLoadReport index_;
  absl::flat_hash_set<Id> used_;   // trees and data blobs referenced by snapshots
  absl::flat_hash_map<Id, PackPlan> packs_;
  std::vector<Id> unindexed_;      // packs on the store no index names
  ObjectLockable* lockable_ = nullptr;  // set when the repository has an object lock
  absl::Time now_ = absl::Now();
  absl::flat_hash_set<Id> retained_index_;  // old index objects that cannot be deleted yet
};

// True when the store protects `name` beyond now (it must not be deleted).
bool Pruner::Retained(const std::string& name, absl::Status& error) {
  auto until = lockable_->RetainedUntil(name);
  if (!until.ok()) {
    if (!absl::IsNotFound(until.status()) && error.ok()) error = until.status();
    return false;
  }
  return *until > now_;
}

// Turns deletions the lock forbids into keeps. Index objects still under
// retention stay, and so does every pack they name (deleting one would leave
// an index entry pointing nowhere).
absl::Status Pruner::ApplyRetention() {
  absl::Status error;
  absl::flat_hash_set<Id> protected_packs;
  for (const auto& o : index_.objects) {
    if (!Retained(IndexName(o.id), error)) continue;
    retained_index_.insert(o.id);
    for (const PackContents& p : o.content.packs) protected_packs.insert(p.pack);
  }
  for (auto& [id, plan] : packs_) {
    if (plan.fate == PackFate::kKeep) continue;
    if (!protected_packs.contains(id) && !Retained(PackName(id), error)) continue;
    result_.objects_retained++;
    result_.bytes_deleted -= std::min(result_.bytes_deleted, plan.size);
    if (plan.fate == PackFate::kRepack) result_.packs_repacked--;
    else if (plan.entries.empty()) result_.unindexed_packs_deleted--;
    else result_.packs_deleted--;
    plan.fate = PackFate::kKeep;  // an unused one leaves the index: deleted once it expires
  }
  result_.objects_retained += retained_index_.size();
  if (!error.ok())
    return Annotate(error, "reading object retention (nothing was deleted)");
  return absl::OkStatus();
}

// Everything that stays and that a snapshot needs is kept under retention
// for another full period (only when less than half of it is left).
absl::Status Pruner::ExtendRetention() {
  const ObjectLockPolicy& policy = *repo_.config().object_lock;
  const absl::Time until = RetainUntil(policy, now_);
  const absl::Time soon = now_ + absl::Hours(12) * policy.days;
  std::vector<std::string> names{std::string(kConfigName)};
  for (const auto& [id, plan] : packs_)
    if (plan.fate == PackFate::kKeep && !plan.used.empty()) names.push_back(PackName(id));
  for (std::string_view prefix : {kSnapshotsPrefix, kKeysPrefix})
    COFFER_RETURN_IF_ERROR(repo_.store().List(prefix, [&](const ObjectInfo& info) {
      names.push_back(info.name);
      return absl::OkStatus();
    }));
  for (const std::string& name : names) {
    auto current = lockable_->RetainedUntil(name);
    if (absl::IsNotFound(current.status())) continue;
    if (!current.ok()) return Annotate(current.status(), "reading object retention");
    if (*current >= soon) continue;
    COFFER_RETURN_IF_ERROR(Annotate(lockable_->ExtendRetention(name, until), "extending retention"));
    result_.retention_extended++;
  }
  return absl::OkStatus();
}

absl::Status Pruner::MarkUsed(const Id& tree_id, const Id& snapshot) {
  if (!used_.insert(tree_id).second) return absl::OkStatus();
  auto tree = repo_.ReadTree(tree_id);
  if (!tree.ok())
    return absl::DataLossError(absl::StrCat("snapshot ", snapshot.ShortHex(), " references tree ", tree_id.ShortHex(),
                                            " that cannot be read (", tree.status().message(),
                                            "); run `coffer check`; nothing was deleted"));
  for (const Node& n : tree->nodes) {
    for (const ContentPart& p : n.content)
      if (!p.is_hole()) used_.insert(p.blob);
    if (n.subtree) COFFER_RETURN_IF_ERROR(MarkUsed(*n.subtree, snapshot));
  }
  return absl::OkStatus();
}

absl::Status Pruner::Plan() {
  COFFER_RETURN_IF_ERROR(repo_.store().List(kDataPrefix, [&](const ObjectInfo& info) {
    auto id = IdFromObjectName(info.name);
    if (id && PackName(*id) == info.name) {
      packs_[*id].size = info.size;
      result_.bytes_before += info.size;
      result_.packs_before++;
    }
    return absl::OkStatus();
  }));
  absl::flat_hash_set<Id> claimed;  // a used blob is kept in one place only
  for (const auto& object : index_.objects) {
    for (const PackContents& pack : object.content.packs) {
      auto it = packs_.find(pack.pack);
      if (it == packs_.end()) {
        for (const PackedBlob& b : pack.blobs) {
          if (used_.contains(b.id) && repo_.index().Find(b.id)->pack == pack.pack)
            return absl::DataLossError(absl::StrCat("pack ", PackName(pack.pack), " holds blob ", b.id.ShortHex(),
                                                    " that a snapshot needs, but it is missing; run "
                                                    "`coffer check`; nothing was deleted"));
        }
        continue;  // a missing pack with nothing needed: its entries are dropped
      }
      PackPlan& plan = it->second;
      for (const PackedBlob& b : pack.blobs) {
        plan.entries.push_back(b);
        if (used_.contains(b.id) && claimed.insert(b.id).second) {
          plan.used.push_back(b);
          plan.used_bytes += b.length;
        }
      }
    }
  }
  for (auto& [id, plan] : packs_) {
    if (plan.entries.empty()) {
      unindexed_.push_back(id);
      plan.fate = PackFate::kDelete;
      continue;
    }
    result_.blobs_used += plan.used.size();
    result_.blobs_removed += plan.entries.size() - plan.used.size();
    double unused_share = plan.size ? 1.0 - static_cast<double>(plan.used_bytes) / plan.size : 0;
    if (plan.used.empty()) {
      plan.fate = PackFate::kDelete;
    } else if (unused_share >= options_.repack_threshold && plan.entries.size() > plan.used.size()) {
      plan.fate = PackFate::kRepack;
    }
  }
  for (const auto& [id, plan] : packs_) {
    if (plan.fate == PackFate::kKeep) continue;
    result_.bytes_deleted += plan.size;
    if (plan.fate == PackFate::kRepack) result_.packs_repacked++;
    else if (plan.entries.empty()) result_.unindexed_packs_deleted++;
    else result_.packs_deleted++;
  }
  return absl::OkStatus();
}

absl::Status Pruner::FlushPack(std::unique_ptr<PackBuilder>& builder, std::vector<PackContents>& new_packs) {
  if (!builder || builder->blob_count() == 0) return absl::OkStatus();
  std::vector<PackedBlob> blobs = builder->blobs();
  Bytes bytes = builder->Finish();
  builder.reset();
  result_.bytes_written += bytes.size();
  result_.packs_written++;
  COFFER_ASSIGN_OR_RETURN(Id id, repo_.PutContentAddressed(&PackName, bytes));
  new_packs.push_back({id, std::move(blobs)});
  return absl::OkStatus();
}

absl::Status Pruner::Repack(std::vector<PackContents>& new_packs) {
  std::unique_ptr<PackBuilder> builder;
  for (auto& [pack, plan] : packs_) {
    if (plan.fate != PackFate::kRepack) continue;
    std::string name = PackName(pack);
    COFFER_ASSIGN_OR_RETURN(Bytes data, repo_.store().Get(name));
    auto key = OpenPackDataKey(data, repo_.keys().data_key_pair());
    if (!key.ok()) return Annotate(key.status(), absl::StrCat(name, " (nothing was deleted)"));
    for (const PackedBlob& b : plan.used) {
      auto fail = [&](const absl::Status& s) {
        return absl::DataLossError(absl::StrCat("blob ", b.id.ShortHex(), " in ", name, " is damaged (", s.message(),
                                                "); run `coffer check`; nothing was deleted"));
      };
      if (uint64_t{b.offset} + b.length > data.size()) return fail(absl::DataLossError("pack too short"));
      auto payload = OpenPackedBlob(*key, b.id, ByteView(data.data() + b.offset, b.length));
      if (!payload.ok()) return fail(payload.status());
      // Copied still compressed; verified so damage is never propagated.
      auto plain = DecompressBlob(*payload, b.raw_length);
      if (!plain.ok()) return fail(plain.status());
      if (repo_.hasher().Hash(*plain) != b.id) return fail(absl::DataLossError("content does not match its id"));
      if (!builder) builder = std::make_unique<PackBuilder>(repo_.config().data_cipher, repo_.keys().public_key);
      builder->Add(b.type, b.id, *payload, b.raw_length);
      if (builder->size() >= repo_.config().pack_size) COFFER_RETURN_IF_ERROR(FlushPack(builder, new_packs));
    }
  }
  return FlushPack(builder, new_packs);
}

absl::Status Pruner::WriteIndex(const std::vector<PackContents>& packs) {
  std::vector<Id> superseded;
  for (const auto& o : index_.objects) superseded.push_back(o.id);
  IndexObject object;
  object.supersedes = superseded;
  size_t entries = 0;
  auto flush = [&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(
        repo_.PutContentAddressed(&IndexName, EncryptIndexObject(object, repo_.keys().index_key)).status());
    object = IndexObject{};
    object.supersedes = superseded;
    entries = 0;
    return absl::OkStatus();
  };
  for (const PackContents& p : packs) {
    object.packs.push_back(p);
    entries += p.blobs.size();
    if (entries >= kBlobsPerIndexObject) COFFER_RETURN_IF_ERROR(flush());
  }
  if (!object.packs.empty()) COFFER_RETURN_IF_ERROR(flush());
  return absl::OkStatus();
}

absl::StatusOr<PruneResult> Pruner::Run() {
  result_.dry_run = options_.dry_run;
  COFFER_RETURN_IF_ERROR(repo_.RequireReadAccess("prune"));
  // Prune writes repacked packs and a new index before it deletes: on an
  // append-only store it must refuse before writing anything.
  if (!options_.dry_run) COFFER_RETURN_IF_ERROR(repo_.store().CheckDeletable());
  COFFER_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo_.store(), repo_.keys().index_key, true,
                                                       repo_.lock_wait_seconds()));
  COFFER_RETURN_IF_ERROR(repo_.LoadIndex(&index_));
  if (!index_.failures.empty())
    return absl::DataLossError(absl::StrCat(index_.failures.front().first, " cannot be read (",
                                            index_.failures.front().second.message(),
                                            "); run `coffer repair`; nothing was deleted"));
  COFFER_ASSIGN_OR_RETURN(auto snapshots, repo_.ListSnapshots());
  result_.snapshots = snapshots.size();
  for (const auto& s : snapshots) COFFER_RETURN_IF_ERROR(MarkUsed(s.snapshot.tree, s.id));
  COFFER_RETURN_IF_ERROR(Plan());
  if (repo_.config().object_lock) {
    lockable_ = ObjectLockOf(repo_.store());
    if (lockable_) COFFER_RETURN_IF_ERROR(ApplyRetention());
  }
  if (lockable_ && !options_.dry_run) COFFER_RETURN_IF_ERROR(ExtendRetention());
  bool nothing_to_do = std::all_of(packs_.begin(), packs_.end(),
                                   [](const auto& p) { return p.second.fate == PackFate::kKeep; });
  if (options_.dry_run || nothing_to_do) return result_;

  std::vector<PackContents> new_index;
  COFFER_RETURN_IF_ERROR(Repack(new_index));
  for (const auto& [id, plan] : packs_)
    if (plan.fate == PackFate::kKeep && !plan.used.empty()) new_index.push_back({id, plan.used});
  std::sort(new_index.begin(), new_index.end(),
            [](const PackContents& a, const PackContents& b) { return a.pack < b.pack; });
  COFFER_RETURN_IF_ERROR(WriteIndex(new_index));
  // Nothing is deleted unless our lock is still certainly ours.
  COFFER_RETURN_IF_ERROR(lock->Check());
  for (const auto& o : index_.objects) {
    if (retained_index_.contains(o.id)) continue;  // under retention: stays, with its packs
    absl::Status s = repo_.store().Delete(IndexName(o.id));
    if (!s.ok() && !absl::IsNotFound(s)) return s;
    result_.index_objects_replaced++;
  }
  for (const auto& [id, plan] : packs_) {
    if (plan.fate == PackFate::kKeep) continue;
    absl::Status s = repo_.store().Delete(PackName(id));
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  COFFER_RETURN_IF_ERROR(repo_.LoadIndex());
  return result_;
}

}  // namespace

absl::StatusOr<PruneResult> RunPrune(Repository& repo, const PruneOptions& options) {
  Pruner pruner(repo, options);
  return pruner.Run();
}

}  // namespace coffer
