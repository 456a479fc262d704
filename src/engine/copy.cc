#include "engine/copy.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "hash/keyed_hash.h"
#include "repo/blob_writer.h"
#include "repo/lock.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {

// Index objects written per this many copied packs (as backups do).
constexpr size_t kPacksPerIndexObject = 32;

absl::StatusOr<std::vector<SnapshotEntry>> SelectSnapshots(Repository& source, const CopyOptions& options) {
  if (options.snapshots.empty()) return source.ListSnapshots();
  std::vector<SnapshotEntry> out;
  absl::flat_hash_set<Id> seen;
  for (const std::string& ref : options.snapshots) {
    auto entry = source.FindSnapshot(ref);
    if (!entry.ok()) return Annotate(entry.status(), "source repository");
    if (seen.insert(entry->id).second) out.push_back(std::move(*entry));
  }
  std::sort(out.begin(), out.end(), [](const SnapshotEntry& a, const SnapshotEntry& b) {
    return std::tie(a.snapshot.time_ns, a.id) < std::tie(b.snapshot.time_ns, b.id);
  });
  return out;
}

// Reads a whole object and checks that its bytes hash to its name, so a
// damaged source object is never replicated.
absl::StatusOr<Bytes> ReadVerified(Store& store, const std::string& name, const Id& id) {
  COFFER_ASSIGN_OR_RETURN(Bytes data, store.Get(name));
  if (Sha256(data) != id)
    return absl::DataLossError(absl::StrCat("source object ", name, " at ", store.Describe(),
                                            " is damaged: its SHA-256 does not match its name"));
  return data;
}

// Shared keys: packs and snapshot objects are copied as they are.
class RawCopier {
 public:
  RawCopier(Repository& source, Repository& destination, CopyResult& result)
      : src_(source), dst_(destination), result_(result) {}

  absl::Status CopySnapshot(const SnapshotEntry& entry) {
    const std::string name = SnapshotName(entry.id);
    auto present = dst_.store().Stat(name);
    if (present.ok()) {
      result_.snapshots.push_back({entry.id, entry.id, true});
      ++result_.snapshots_skipped;
      return absl::OkStatus();
    }
    if (!absl::IsNotFound(present.status())) return present.status();

    std::vector<Id> needed;
    COFFER_RETURN_IF_ERROR(CollectBlobs(entry.snapshot.tree, needed));
    absl::flat_hash_set<Id> packs;
    for (const Id& blob : needed) {
      if (dst_.index().Has(blob)) {
        ++result_.blobs_present;
        continue;
      }
      auto ref = src_.index().Find(blob);
      if (!ref)
        return absl::DataLossError(absl::StrCat("snapshot ", entry.id.ShortHex(), " references blob ",
                                                blob.ShortHex(), ", which the source index lacks"));
      packs.insert(ref->pack);
    }
    std::vector<Id> ordered(packs.begin(), packs.end());
    std::sort(ordered.begin(), ordered.end());
    for (const Id& pack : ordered) COFFER_RETURN_IF_ERROR(CopyPack(pack));
    COFFER_RETURN_IF_ERROR(FlushIndex());
    for (const Id& blob : needed)
      if (!dst_.index().Has(blob))
        return absl::InternalError(absl::StrCat("copy: blob ", blob.ShortHex(), " missing after copying its pack"));

    COFFER_ASSIGN_OR_RETURN(Bytes data, ReadVerified(src_.store(), name, entry.id));
    COFFER_ASSIGN_OR_RETURN(Id written, dst_.PutContentAddressed(&SnapshotName, data));
    result_.snapshots.push_back({entry.id, written, false});
    ++result_.snapshots_copied;
    return absl::OkStatus();
  }

  absl::Status FlushIndex() {
    if (pending_.packs.empty()) return absl::OkStatus();
    Bytes object = EncryptIndexObject(pending_, dst_.keys().index_key);
    COFFER_ASSIGN_OR_RETURN(Id written, dst_.PutContentAddressed(&IndexName, object));
    dst_.AddToIndex(pending_, {written});
    ++result_.index_objects_written;
    pending_ = IndexObject{};
    return absl::OkStatus();
  }

 private:
  // Every blob a tree references, itself and its subtrees included.
  absl::Status CollectBlobs(const Id& root, std::vector<Id>& out) {
    std::vector<Id> stack{root};
    while (!stack.empty()) {
      Id id = stack.back();
      stack.pop_back();
      if (!walked_.insert(id).second) continue;
      out.push_back(id);
      auto tree = src_.ReadTree(id);
      if (!tree.ok()) return Annotate(tree.status(), "source repository");
      for (const Node& node : tree->nodes) {
        for (const ContentPart& part : node.content)
          if (!part.is_hole()) out.push_back(part.blob);
        if (node.subtree) stack.push_back(*node.subtree);
      }
    }
    return absl::OkStatus();
  }

  absl::Status CopyPack(const Id& pack) {
    if (pack_blobs_.empty()) {  // built once: which blobs the source index places in each pack
      src_.index().ForEach([&](const BlobRef& ref) { pack_blobs_[ref.pack].push_back(ref.blob); });
    }
    const std::string name = PackName(pack);
    COFFER_ASSIGN_OR_RETURN(Bytes data, ReadVerified(src_.store(), name, pack));
    COFFER_RETURN_IF_ERROR(dst_.PutContentAddressed(&PackName, data).status());
    ++result_.packs_copied;
    result_.pack_bytes_copied += data.size();
    PackContents contents{pack, pack_blobs_[pack]};
    std::sort(contents.blobs.begin(), contents.blobs.end(),
              [](const PackedBlob& a, const PackedBlob& b) { return a.offset < b.offset; });
    pending_.packs.push_back(std::move(contents));
    if (pending_.packs.size() >= kPacksPerIndexObject) return FlushIndex();
    return absl::OkStatus();
  }

  Repository& src_;
  Repository& dst_;
  CopyResult& result_;
  absl::flat_hash_set<Id> walked_;  // trees already collected in this run
  absl::flat_hash_map<Id, std::vector<PackedBlob>> pack_blobs_;
  IndexObject pending_;
};

// Unrelated keys: blobs are re-encrypted and trees rewritten.
class ReencryptingCopier {
 public:
  ReencryptingCopier(Repository& source, Repository& destination, CopyResult& result)
      : src_(source), dst_(destination), result_(result), writer_(destination) {}

  // Learns the source → destination id mapping from snapshots copied before
  // (their trees have the same shape), and which source snapshots are there.
  absl::Status LearnEarlierCopies(const std::vector<SnapshotEntry>& source_snapshots) {
    COFFER_ASSIGN_OR_RETURN(auto existing, dst_.ListSnapshots());
    absl::flat_hash_map<Id, const Snapshot*> sources;
    for (const auto& s : source_snapshots) sources.emplace(s.id, &s.snapshot);
    for (const auto& d : existing) {
      present_.insert(d.id);
      if (!d.snapshot.original) continue;
      copied_.emplace(*d.snapshot.original, d.id);
      auto it = sources.find(*d.snapshot.original);
      if (it != sources.end()) COFFER_RETURN_IF_ERROR(Zip(it->second->tree, d.snapshot.tree));
    }
    return absl::OkStatus();
  }

  absl::Status CopySnapshot(const SnapshotEntry& entry) {
    if (auto it = copied_.find(entry.id); it != copied_.end()) {
      result_.snapshots.push_back({entry.id, it->second, true});
      ++result_.snapshots_skipped;
      return absl::OkStatus();
    }
    // A copy of one of the destination's own snapshots (copying back).
    if (entry.snapshot.original && present_.contains(*entry.snapshot.original)) {
      result_.snapshots.push_back({entry.id, *entry.snapshot.original, true});
      ++result_.snapshots_skipped;
      return absl::OkStatus();
    }
    COFFER_ASSIGN_OR_RETURN(Id tree, TranslateTree(entry.snapshot.tree));
    COFFER_RETURN_IF_ERROR(writer_.Flush());
    Snapshot copy = entry.snapshot;
    copy.tree = tree;
    copy.original = entry.id;
    copy.parent.reset();
    if (entry.snapshot.parent) {
      if (auto it = copied_.find(*entry.snapshot.parent); it != copied_.end()) copy.parent = it->second;
    }
    COFFER_ASSIGN_OR_RETURN(Id written, dst_.SaveSnapshot(copy));
    copied_.emplace(entry.id, written);
    result_.snapshots.push_back({entry.id, written, false});
    ++result_.snapshots_copied;
    return absl::OkStatus();
  }

  BlobWriterStats stats() { return writer_.stats(); }

 private:
  // Walks a source tree and its copy side by side. Stops quietly at the
  // first difference in shape: the mapping is only an optimisation.
  absl::Status Zip(const Id& src_tree, const Id& dst_tree) {
    if (map_.contains(src_tree) || !dst_.index().Has(dst_tree)) return absl::OkStatus();
    auto a = src_.ReadTree(src_tree);
    if (!a.ok()) return Annotate(a.status(), "source repository");
    auto b = dst_.ReadTree(dst_tree);
    if (!b.ok()) return Annotate(b.status(), "destination repository");
    if (a->nodes.size() != b->nodes.size()) return absl::OkStatus();
    std::vector<std::pair<Id, Id>> subtrees;
    for (size_t i = 0; i < a->nodes.size(); ++i) {
      const Node& x = a->nodes[i];
      const Node& y = b->nodes[i];
      if (x.name != y.name || x.content.size() != y.content.size()) return absl::OkStatus();
      for (size_t k = 0; k < x.content.size(); ++k) {
        if (x.content[k].is_hole() != y.content[k].is_hole()) return absl::OkStatus();
        if (!x.content[k].is_hole() && dst_.index().Has(y.content[k].blob))
          map_.emplace(x.content[k].blob, y.content[k].blob);
      }
      if (x.subtree && y.subtree) subtrees.emplace_back(*x.subtree, *y.subtree);
    }
    // The tree itself is mapped only once all of its subtrees are, so a
    // mapped tree always means "everything below exists in the destination".
    for (const auto& [s, d] : subtrees) COFFER_RETURN_IF_ERROR(Zip(s, d));
    map_.emplace(src_tree, dst_tree);
    return absl::OkStatus();
  }

  absl::StatusOr<Id> TranslateBlob(const Id& src_blob) {
    if (auto it = map_.find(src_blob); it != map_.end()) {
      ++result_.blobs_present;
      return it->second;
    }
    auto plain = src_.ReadBlob(src_blob);
    if (!plain.ok()) return Annotate(plain.status(), "source repository");
    Id id = dst_.hasher().Hash(*plain);
    COFFER_ASSIGN_OR_RETURN(bool added, writer_.Save(BlobType::kData, id, *plain));
    if (added) {
      ++result_.blobs_copied;
      result_.blob_bytes_copied += plain->size();
    } else {
      ++result_.blobs_present;
    }
    map_.emplace(src_blob, id);
    return id;
  }

  absl::StatusOr<Id> TranslateTree(const Id& src_tree) {
    if (auto it = map_.find(src_tree); it != map_.end()) return it->second;
    auto tree = src_.ReadTree(src_tree);
    if (!tree.ok()) return Annotate(tree.status(), "source repository");
    for (Node& node : tree->nodes) {
      for (ContentPart& part : node.content) {
        if (part.is_hole()) continue;
        COFFER_ASSIGN_OR_RETURN(part.blob, TranslateBlob(part.blob));
      }
      if (node.subtree) {
        COFFER_ASSIGN_OR_RETURN(Id sub, TranslateTree(*node.subtree));
        node.subtree = sub;
      }
    }
    Bytes encoded = EncodeTree(*tree);
    Id id = dst_.hasher().Hash(encoded);
    COFFER_ASSIGN_OR_RETURN(bool added, writer_.Save(BlobType::kTree, id, encoded));
    if (added) {
      ++result_.blobs_copied;
      result_.blob_bytes_copied += encoded.size();
    }
    map_.emplace(src_tree, id);
    return id;
  }

  Repository& src_;
  Repository& dst_;
  CopyResult& result_;
  BlobWriter writer_;
  absl::flat_hash_map<Id, Id> map_;     // source blob id → destination blob id
  absl::flat_hash_map<Id, Id> copied_;  // source snapshot id → destination snapshot id
  absl::flat_hash_set<Id> present_;     // the destination's snapshots
};

}  // namespace

bool SharesKeys(const Repository& a, const Repository& b) {
  return a.keys().id_key == b.keys().id_key && a.keys().index_key == b.keys().index_key &&
         a.keys().public_key == b.keys().public_key;
}

absl::StatusOr<CopyResult> RunCopy(Repository& source, Repository& destination, const CopyOptions& options) {
  COFFER_RETURN_IF_ERROR(source.RequireReadAccess("read the snapshots to copy"));
  COFFER_RETURN_IF_ERROR(destination.RequireReadAccess("see which snapshots were copied before"));
  if (source.config().repo_id == destination.config().repo_id)
    return absl::InvalidArgumentError("copy: source and destination are the same repository");
  COFFER_ASSIGN_OR_RETURN(auto src_lock, RepoLock::Acquire(source.store(), source.keys().index_key, false,
                                                           source.lock_wait_seconds()));
  COFFER_ASSIGN_OR_RETURN(auto dst_lock, RepoLock::Acquire(destination.store(), destination.keys().index_key,
                                                           false, destination.lock_wait_seconds()));
  COFFER_RETURN_IF_ERROR(source.LoadIndex());
  COFFER_RETURN_IF_ERROR(destination.LoadIndex());
  COFFER_ASSIGN_OR_RETURN(std::vector<SnapshotEntry> selected, SelectSnapshots(source, options));

  CopyResult result;
  result.shared_keys = SharesKeys(source, destination);
  if (result.shared_keys) {
    RawCopier copier(source, destination, result);
    for (const SnapshotEntry& entry : selected) {
      COFFER_RETURN_IF_ERROR(dst_lock->Check());
      COFFER_RETURN_IF_ERROR(copier.CopySnapshot(entry));
    }
    destination.UpdateIndexCache();
    return result;
  }
  ReencryptingCopier copier(source, destination, result);
  COFFER_ASSIGN_OR_RETURN(auto all_sources, source.ListSnapshots());
  COFFER_RETURN_IF_ERROR(copier.LearnEarlierCopies(all_sources));
  for (const SnapshotEntry& entry : selected) {
    COFFER_RETURN_IF_ERROR(dst_lock->Check());
    COFFER_RETURN_IF_ERROR(copier.CopySnapshot(entry));
  }
  destination.UpdateIndexCache();
  return result;
}

}  // namespace coffer
