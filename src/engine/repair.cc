#include "engine/repair.h"

#include <algorithm>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "compress/codec.h"
#include "hash/keyed_hash.h"
#include "repo/blob_writer.h"
#include "repo/lock.h"
#include "repo/object_kind.h"
#include "repo/pack.h"

namespace coffer {
namespace {

constexpr size_t kBlobsPerIndexObject = 1u << 20;

class Repairer {
 public:
  Repairer(Repository& repo, const RepairOptions& options) : repo_(repo), options_(options) {}
  absl::StatusOr<RepairResult> Run();

 private:
  absl::Status RebuildIndex();
  absl::Status SalvagePack(const Id& pack, const Bytes& data, const Key32& key, const std::vector<PackedBlob>& good);
  absl::Status RepairSnapshots();
  // The id of a rewritten tree, or nullopt when the tree cannot be read.
  std::optional<Id> RewriteTree(const Id& tree, const std::string& path, std::vector<std::string>& lost,
                                absl::Status& fatal);

  Repository& repo_;
  const RepairOptions& options_;
  RepairResult result_;
  std::vector<PackContents> new_index_;
  Index planned_;  // every blob that verified: what the rebuilt index will hold
  std::vector<Id> delete_packs_;
  std::unique_ptr<PackBuilder> salvage_;
  std::unique_ptr<BlobWriter> writer_;
  absl::flat_hash_map<Id, std::pair<std::optional<Id>, std::vector<std::string>>> rewritten_;  // per tree
};

absl::Status Repairer::SalvagePack(const Id& pack, const Bytes& data, const Key32& key,
                                   const std::vector<PackedBlob>& good) {
  result_.packs_salvaged++;
  delete_packs_.push_back(pack);
  for (const PackedBlob& b : good) {
    auto payload = OpenPackedBlob(key, b.id, ByteView(data.data() + b.offset, b.length));
    if (!payload.ok()) continue;  // verified before; cannot happen
    if (!salvage_) salvage_ = std::make_unique<PackBuilder>(repo_.config().data_cipher, repo_.keys().public_key);
    salvage_->Add(b.type, b.id, *payload, b.raw_length);
  }
  if (salvage_ && salvage_->size() >= repo_.config().pack_size) {
    std::vector<PackedBlob> blobs = salvage_->blobs();
    Bytes bytes = salvage_->Finish();
    salvage_.reset();
    COFFER_ASSIGN_OR_RETURN(Id id, repo_.PutContentAddressed(&PackName, bytes));
    new_index_.push_back({id, std::move(blobs)});
  }
  return absl::OkStatus();
}

absl::Status Repairer::RebuildIndex() {
  std::vector<Id> packs;
  COFFER_RETURN_IF_ERROR(repo_.store().List(kDataPrefix, [&](const ObjectInfo& info) {
    auto id = IdFromObjectName(info.name);
    if (id && PackName(*id) == info.name) packs.push_back(*id);
    return absl::OkStatus();
  }));
  std::sort(packs.begin(), packs.end());
  for (const Id& pack : packs) {
    std::string name = PackName(pack);
    COFFER_ASSIGN_OR_RETURN(Bytes data, repo_.store().Get(name));
    result_.packs_read++;
    bool damaged = Sha256(data) != pack;
    auto header = ReadPackHeader(data, repo_.keys().data_key_pair());
    auto key = OpenPackDataKey(data, repo_.keys().data_key_pair());
    if (!header.ok() || !key.ok()) {
      // Without its header or key nothing in the pack can be trusted.
      result_.packs_damaged++;
      delete_packs_.push_back(pack);
      continue;
    }
    std::vector<PackedBlob> good;
    for (const PackedBlob& b : *header) {
      auto payload = OpenPackedBlob(*key, b.id, ByteView(data.data() + b.offset, b.length));
      absl::StatusOr<Bytes> plain = payload.ok() ? DecompressBlob(*payload, b.raw_length) : payload.status();
      if (plain.ok() && repo_.hasher().Hash(*plain) == b.id) {
        good.push_back(b);
      } else {
        result_.blobs_damaged++;
        damaged = true;
      }
    }
    result_.blobs_indexed += good.size();
    planned_.AddPack({pack, good});
    if (damaged) {
      result_.packs_damaged++;
      if (!options_.dry_run) COFFER_RETURN_IF_ERROR(SalvagePack(pack, data, *key, good));
    } else {
      new_index_.push_back({pack, std::move(good)});
    }
  }
  if (options_.dry_run) {
    repo_.SetIndex(planned_);
    return absl::OkStatus();
  }
  if (salvage_ && salvage_->blob_count() > 0) {
    std::vector<PackedBlob> blobs = salvage_->blobs();
    Bytes bytes = salvage_->Finish();
    COFFER_ASSIGN_OR_RETURN(Id id, repo_.PutContentAddressed(&PackName, bytes));
    new_index_.push_back({id, std::move(blobs)});
  }
  // New index objects first, then the old ones go, then damaged packs.
  std::vector<std::string> old_index;
  COFFER_RETURN_IF_ERROR(repo_.store().List(kIndexPrefix, [&](const ObjectInfo& info) {
    old_index.push_back(info.name);
    return absl::OkStatus();
  }));
  IndexObject object;
  for (const std::string& name : old_index)
    if (auto id = IdFromObjectName(name)) object.supersedes.push_back(*id);
  size_t entries = 0;
  std::vector<Bytes> encoded;
  for (const PackContents& p : new_index_) {
    object.packs.push_back(p);
    entries += p.blobs.size();
    if (entries >= kBlobsPerIndexObject) {
      encoded.push_back(EncryptIndexObject(object, repo_.keys().index_key));
      object.packs.clear();
      entries = 0;
    }
  }
  if (!object.packs.empty()) encoded.push_back(EncryptIndexObject(object, repo_.keys().index_key));
  for (const Bytes& e : encoded) COFFER_RETURN_IF_ERROR(repo_.PutContentAddressed(&IndexName, e).status());
  std::vector<std::string> written;
  for (const Bytes& e : encoded) written.push_back(IndexName(Sha256(e)));
  for (const std::string& name : old_index) {
    if (std::find(written.begin(), written.end(), name) != written.end()) continue;
    absl::Status s = repo_.store().Delete(name);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
    result_.index_objects_replaced++;
  }
  for (const Id& pack : delete_packs_) {
    absl::Status s = repo_.store().Delete(PackName(pack));
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return repo_.LoadIndex();
}

std::optional<Id> Repairer::RewriteTree(const Id& tree_id, const std::string& path, std::vector<std::string>& lost,
                                        absl::Status& fatal) {
  if (auto it = rewritten_.find(tree_id); it != rewritten_.end()) {
    for (const auto& p : it->second.second) lost.push_back(p);
    return it->second.first;
  }
  std::vector<std::string> my_lost;
  std::optional<Id> out;
  auto tree = repo_.ReadTree(tree_id);
  if (tree.ok()) {
    Tree fixed;
    bool changed = false;
    for (Node& n : tree->nodes) {
      std::string child = path == "/" ? "/" + n.name : path + "/" + n.name;
      if (n.type == NodeType::kFile) {
        bool complete = std::all_of(n.content.begin(), n.content.end(), [&](const ContentPart& p) {
          return p.is_hole() || planned_.Has(p.blob);
        });
        if (!complete) {
          my_lost.push_back(child);
          changed = true;
          continue;
        }
      } else if (n.subtree) {
        std::vector<std::string> sub_lost;
        auto sub = RewriteTree(*n.subtree, child, sub_lost, fatal);
        if (!sub) {
          my_lost.push_back(child + "/");
          changed = true;
          continue;
        }
        if (*sub != *n.subtree) changed = true;
        n.subtree = *sub;
        my_lost.insert(my_lost.end(), sub_lost.begin(), sub_lost.end());
      }
      fixed.nodes.push_back(std::move(n));
    }
    out = tree_id;
    if (changed && !options_.dry_run) {
      Bytes encoded = EncodeTree(fixed);
      Id id = repo_.hasher().Hash(encoded);
      auto saved = writer_->Save(BlobType::kTree, id, encoded);
      if (!saved.ok() && fatal.ok()) fatal = saved.status();
      out = id;
    } else if (changed) {
      out = Id{};  // a dry run: "would change"
    }
  }
  rewritten_[tree_id] = {out, my_lost};
  lost.insert(lost.end(), my_lost.begin(), my_lost.end());
  return out;
}

absl::Status Repairer::RepairSnapshots() {
  writer_ = std::make_unique<BlobWriter>(repo_);
  std::vector<SnapshotEntry> snapshots;
  COFFER_RETURN_IF_ERROR(repo_.store().List(kSnapshotsPrefix, [&](const ObjectInfo& info) -> absl::Status {
    auto id = IdFromObjectName(info.name);
    if (!id) return absl::OkStatus();
    auto data = repo_.store().Get(info.name);
    absl::StatusOr<Snapshot> s = data.ok() ? DecryptSnapshot(*data, repo_.keys().data_key_pair()) : data.status();
    if (!s.ok()) {
      result_.unreadable_snapshots.push_back(absl::StrCat(info.name, ": ", s.status().message()));
      return absl::OkStatus();
    }
    snapshots.push_back({*id, std::move(*s)});
    return absl::OkStatus();
  }));
  result_.snapshots = snapshots.size();
  std::vector<std::pair<SnapshotEntry, Snapshot>> to_write;
  for (const SnapshotEntry& e : snapshots) {
    std::vector<std::string> lost;
    absl::Status fatal;
    auto root = RewriteTree(e.snapshot.tree, "/", lost, fatal);
    COFFER_RETURN_IF_ERROR(fatal);
    if (root && *root == e.snapshot.tree) continue;
    Snapshot fixed = e.snapshot;
    if (!root) {
      // Not even the root directory is readable: keep an empty snapshot that
      // records what was lost, so its history is not silently gone.
      Bytes empty = EncodeTree(Tree{});
      Id id = repo_.hasher().Hash(empty);
      if (!options_.dry_run) COFFER_RETURN_IF_ERROR(writer_->Save(BlobType::kTree, id, empty).status());
      root = id;
      lost.push_back("/");
    }
    fixed.tree = *root;
    fixed.partial = true;
    if (std::find(fixed.tags.begin(), fixed.tags.end(), "repaired") == fixed.tags.end())
      fixed.tags.push_back("repaired");
    for (const std::string& p : lost)
      fixed.errors.push_back({p, absl::StrCat("lost: its data was damaged or missing when snapshot ",
                                              e.id.ShortHex(), " was repaired")});
    result_.repaired.push_back({e.id, Id{}, lost});
    to_write.emplace_back(e, std::move(fixed));
  }
  if (options_.dry_run) return absl::OkStatus();
  COFFER_RETURN_IF_ERROR(writer_->Flush());  // trees before the snapshots that use them
  for (size_t i = 0; i < to_write.size(); ++i) {
    COFFER_ASSIGN_OR_RETURN(Id new_id, repo_.SaveSnapshot(to_write[i].second));
    result_.repaired[i].new_id = new_id;
    COFFER_RETURN_IF_ERROR(repo_.store().Delete(SnapshotName(to_write[i].first.id)));
  }
  return absl::OkStatus();
}

absl::StatusOr<RepairResult> Repairer::Run() {
  result_.dry_run = options_.dry_run;
  COFFER_RETURN_IF_ERROR(repo_.RequireReadAccess("repair a repository"));
  COFFER_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo_.store(), repo_.keys().index_key, true,
                                                       repo_.lock_wait_seconds()));
  COFFER_RETURN_IF_ERROR(RebuildIndex());
  COFFER_RETURN_IF_ERROR(lock->Check());
  COFFER_RETURN_IF_ERROR(RepairSnapshots());
  return result_;
}

}  // namespace

absl::StatusOr<RepairResult> RunRepair(Repository& repo, const RepairOptions& options) {
  Repairer repairer(repo, options);
  return repairer.Run();
}

}  // namespace coffer
