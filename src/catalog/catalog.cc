#include "catalog/catalog.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/pattern.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {

std::string Join(const std::string& base, const std::string& name) {
  return base == "/" ? "/" + name : base + "/" + name;
}

std::string NormalizePath(std::string p) {
  if (p.empty() || p[0] != '/') p = "/" + p;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

absl::StatusOr<std::vector<SnapshotEntry>> ListSnapshots(Repository& repo, const SnapshotFilter& filter) {
  COFFER_ASSIGN_OR_RETURN(auto all, repo.ListSnapshots());
  std::vector<SnapshotEntry> out;
  for (auto& e : all)
    if (filter.Matches(e.snapshot)) out.push_back(std::move(e));
  return out;
}

absl::Status WalkTree(Repository& repo, const Id& tree_id, const std::string& base_path,
                      const std::function<bool(const ListedNode&)>& fn) {
  COFFER_ASSIGN_OR_RETURN(Tree tree, repo.ReadTree(tree_id));
  for (Node& node : tree.nodes) {
    ListedNode listed{Join(base_path, node.name), std::move(node)};
    bool descend = fn(listed);
    if (descend && listed.node.subtree)
      COFFER_RETURN_IF_ERROR(WalkTree(repo, *listed.node.subtree, listed.path, fn));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ListedNode>> ListSnapshotTree(Repository& repo, const std::string& snapshot_ref,
                                                         const std::string& raw_path, bool recursive) {
  COFFER_RETURN_IF_ERROR(repo.LoadIndex());
  COFFER_ASSIGN_OR_RETURN(SnapshotEntry snap, repo.FindSnapshot(snapshot_ref));
  std::string path = NormalizePath(raw_path);
  std::vector<ListedNode> out;
  bool found = path == "/";
  COFFER_RETURN_IF_ERROR(WalkTree(repo, snap.snapshot.tree, "/", [&](const ListedNode& n) {
    if (n.path == path) {
      found = true;
      out.push_back(n);
      return true;
    }
    bool below = path == "/" ? true : n.path.rfind(path + "/", 0) == 0;
    if (below) {
      bool direct_child = n.path.find('/', path == "/" ? 1 : path.size() + 1) == std::string::npos;
      if (recursive || direct_child) out.push_back(n);
      return recursive;
    }
    // Descend only along the way to `path`.
    return path.rfind(n.path + "/", 0) == 0;
  }));
  if (!found) return absl::NotFoundError(absl::StrCat("snapshot ", snap.id.ShortHex(), " has no path ", path));
  return out;
}

absl::StatusOr<std::vector<FindMatch>> FindInSnapshots(Repository& repo, const std::string& pattern,
                                                       const SnapshotFilter& filter) {
  if (pattern.empty()) return absl::InvalidArgumentError("the search pattern is empty");
  COFFER_RETURN_IF_ERROR(repo.LoadIndex());
  COFFER_ASSIGN_OR_RETURN(auto snapshots, ListSnapshots(repo, filter));
  std::vector<FindMatch> out;
  for (const auto& s : snapshots) {
    COFFER_RETURN_IF_ERROR(WalkTree(repo, s.snapshot.tree, "/", [&](const ListedNode& n) {
      // A pattern without '/' matches names; with '/', whole paths.
      // MatchPattern also matches everything below a matching directory;
      // find reports only the entry that matches itself.
      std::string parent = n.path.substr(0, n.path.rfind('/'));
      bool match = pattern.find('/') == std::string::npos
                       ? MatchPattern(pattern, "/" + n.node.name)
                       : MatchPattern(pattern, n.path) && (parent.empty() || !MatchPattern(pattern, parent));
      if (match) out.push_back({s.id, s.snapshot.time_ns, n});
      return true;
    }));
  }
  return out;
}

absl::StatusOr<RepoStats> ComputeStats(Repository& repo, const SnapshotFilter& filter) {
  COFFER_RETURN_IF_ERROR(repo.LoadIndex());
  COFFER_ASSIGN_OR_RETURN(auto snapshots, ListSnapshots(repo, filter));
  return ComputeStatsFor(repo, snapshots);
}

absl::StatusOr<RepoStats> ComputeStatsFor(Repository& repo, const std::vector<SnapshotEntry>& snapshots) {
  RepoStats stats;
  stats.snapshots = snapshots.size();
  absl::flat_hash_set<Id> seen_blobs, seen_trees;
  auto count_blob = [&](const Id& id) {
    if (!seen_blobs.insert(id).second) return;
    if (auto ref = repo.index().Find(id)) {
      stats.unique_blobs++;
      stats.unique_bytes += ref->blob.raw_length;
      stats.stored_bytes += ref->blob.length;
    }
  };
  std::function<absl::Status(const Id&)> walk = [&](const Id& tree_id) -> absl::Status {
    COFFER_ASSIGN_OR_RETURN(Tree tree, repo.ReadTree(tree_id));
    for (const Node& n : tree.nodes) {
      if (n.type == NodeType::kFile) {
        stats.files++;
        stats.logical_bytes += n.size;
        for (const ContentPart& p : n.content)
          if (!p.is_hole()) count_blob(p.blob);
      } else if (n.type == NodeType::kDir) {
        stats.dirs++;
        if (n.subtree) COFFER_RETURN_IF_ERROR(walk(*n.subtree));
      }
    }
    return absl::OkStatus();
  };
  for (const auto& s : snapshots) COFFER_RETURN_IF_ERROR(walk(s.snapshot.tree));
  COFFER_RETURN_IF_ERROR(repo.store().List("", [&](const ObjectInfo& info) {
    stats.repository_bytes += info.size;
    return absl::OkStatus();
  }));
  stats.dedup_ratio = stats.unique_bytes ? static_cast<double>(stats.logical_bytes) / stats.unique_bytes : 0;
  stats.compression_ratio = stats.stored_bytes ? static_cast<double>(stats.unique_bytes) / stats.stored_bytes : 0;
  return stats;
}

}  // namespace coffer
