#include "engine/forget.h"

#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"
#include "repo/lock.h"
#include "repo/object_kind.h"
#include "store/object_lock.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace coffer {

absl::StatusOr<ForgetResult> RunForget(Repository& repo, const ForgetOptions& options) {
  if (!options.retention && options.snapshots.empty())
    return absl::InvalidArgumentError("forget needs snapshot ids or at least one keep rule");
  COFFER_RETURN_IF_ERROR(repo.RequireReadAccess("forget snapshots"));
  // On an append-only store the first delete would fail: refuse up front.
  if (!options.dry_run) COFFER_RETURN_IF_ERROR(repo.store().CheckDeletable());
  COFFER_ASSIGN_OR_RETURN(auto lock, RepoLock::Acquire(repo.store(), repo.keys().index_key, false,
                                                       repo.lock_wait_seconds()));
  ForgetResult result;
  result.dry_run = options.dry_run;
  absl::flat_hash_set<Id> remove;
  for (const std::string& ref : options.snapshots) {
    COFFER_ASSIGN_OR_RETURN(SnapshotEntry e, repo.FindSnapshot(ref));
    if (remove.insert(e.id).second) result.decisions.push_back({e.id.Hex(), false, {"named"}, ""});
  }
  if (options.retention) {
    COFFER_ASSIGN_OR_RETURN(auto all, repo.ListSnapshots());
    std::vector<SnapshotMeta> metas;
    for (const auto& e : all) {
      if (!options.filter.Matches(e.snapshot) || remove.contains(e.id)) continue;
      metas.push_back({e.id.Hex(), e.snapshot.time_ns, e.snapshot.host, e.snapshot.paths, e.snapshot.tags});
    }
    if (!metas.empty()) {
      COFFER_ASSIGN_OR_RETURN(auto decisions, EvaluateRetention(*options.retention, std::move(metas)));
      for (auto& d : decisions) {
        if (!d.keep) remove.insert(*Id::FromHex(d.id));
        result.decisions.push_back(std::move(d));
      }
    }
  }
  // With an object lock, a snapshot still under retention cannot be deleted:
  // say so before deleting anything, rather than stopping half-way.
  if (repo.config().object_lock && !options.dry_run) {
    if (ObjectLockable* lockable = ObjectLockOf(repo.store())) {
      const absl::Time now = absl::Now();
      for (const auto& d : result.decisions) {
        if (d.keep) continue;
        auto until = lockable->RetainedUntil(SnapshotName(*Id::FromHex(d.id)));
        if (absl::IsNotFound(until.status())) continue;
        if (!until.ok()) return Annotate(until.status(), "reading snapshot retention (nothing was forgotten)");
        if (*until > now)
          return absl::PermissionDeniedError(absl::StrCat(
              "snapshot ", d.id.substr(0, 8), " is under object lock retention until ",
              absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", *until, absl::UTCTimeZone()),
              "; nothing was forgotten"));
      }
    }
  }
  for (const auto& d : result.decisions) {
    if (d.keep) continue;
    Id id = *Id::FromHex(d.id);
    if (!options.dry_run) {
      absl::Status s = repo.store().Delete(SnapshotName(id));
      if (!s.ok() && !absl::IsNotFound(s)) return s;
    }
    result.removed.push_back(id);
  }
  return result;
}

}  // namespace coffer
