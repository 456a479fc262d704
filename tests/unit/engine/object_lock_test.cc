// prune in a repository with an object lock, on a store that behaves like a
// locked bucket: objects under retention cannot be deleted (a delete is
// refused, so a prune that tried would fail), retention can only grow.
#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>

#include "engine/backup.h"
#include "engine/check.h"
#include "engine/forget.h"
#include "engine/prune.h"
#include "engine/restore.h"
#include "repo/object_kind.h"
#include "store/memory_store.h"
#include "base/status_macros.h"
#include "store/object_lock.h"
#include "support/forwarding_store.h"
#include "support/repo_fixture.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
namespace fs = std::filesystem;

namespace {

class LockedBucket : public coffer::testing::ForwardingStore, public ObjectLockable {
 public:
  LockedBucket() : ForwardingStore(NewMemoryStore()) {}
  absl::Status Put(std::string_view n, ByteView d) override {
    if (Locked(n)) return absl::PermissionDeniedError("object is locked: " + std::string(n));
    Retain(n);
    return inner().Put(n, d);
  }
  absl::Status PutIfAbsent(std::string_view n, ByteView d) override {
    absl::Status s = inner().PutIfAbsent(n, d);
    if (s.ok()) Retain(n);
    return s;
  }
  absl::Status Delete(std::string_view n) override {
    if (Locked(n)) {
      ++refused_deletes;
      return absl::PermissionDeniedError("object is under retention: " + std::string(n));
    }
    return inner().Delete(n);
  }
  std::string Describe() const override { return "locked test bucket"; }

  absl::Status EnableObjectLock(const ObjectLockPolicy& policy) override {
    std::lock_guard g(mu_);
    policy_ = policy;
    return absl::OkStatus();
  }
  absl::StatusOr<absl::Time> RetainedUntil(std::string_view n) override {
    COFFER_RETURN_IF_ERROR(inner().Stat(n).status());
    std::lock_guard g(mu_);
    auto it = until_.find(std::string(n));
    return it == until_.end() ? absl::InfinitePast() : it->second;
  }
  absl::Status ExtendRetention(std::string_view n, absl::Time until) override {
    std::lock_guard g(mu_);
    auto& current = until_[std::string(n)];
    if (until < current) return absl::PermissionDeniedError("retention cannot be shortened");
    current = until;
    ++extensions;
    return absl::OkStatus();
  }

  // Test controls: let retention run out (for one object or all).
  void Expire(const std::string& name) {
    std::lock_guard g(mu_);
    until_[name] = absl::Now() - absl::Seconds(1);
  }
  void ExpireAll() {
    std::lock_guard g(mu_);
    for (auto& [name, until] : until_) until = absl::Now() - absl::Seconds(1);
  }
  void SetUntil(const std::string& name, absl::Time t) {
    std::lock_guard g(mu_);
    until_[name] = t;
  }
  absl::Time Until(const std::string& name) {
    std::lock_guard g(mu_);
    return until_[name];
  }
  int refused_deletes = 0;
  int extensions = 0;

 private:
  bool Locked(std::string_view n) {
    std::lock_guard g(mu_);
    auto it = until_.find(std::string(n));
    return it != until_.end() && it->second > absl::Now();
  }
  void Retain(std::string_view n) {
    std::lock_guard g(mu_);
    if (policy_ && IsRetainedObject(n)) until_[std::string(n)] = RetainUntil(*policy_, absl::Now());
  }
  std::mutex mu_;
  std::optional<ObjectLockPolicy> policy_;
  std::map<std::string, absl::Time> until_;
};

std::vector<std::string> Names(Store& s, std::string_view prefix) {
  std::vector<std::string> out;
  REQUIRE(s.List(prefix, [&](const ObjectInfo& i) {
             out.push_back(i.name);
             return absl::OkStatus();
           }).ok());
  return out;
}

}  // namespace

TEST_CASE("prune with an object lock never deletes what is retained, and extends what stays") {
  coffer::testing::TempDir tmp;
  auto* bucket = new LockedBucket;
  InitOptions o = coffer::testing::SmallRepoOptions();
  o.object_lock = ObjectLockPolicy{1, RetentionMode::kGovernance};
  auto repo = coffer::testing::MustInit(std::unique_ptr<Store>(bucket), "secret", o);
  REQUIRE(repo->config().object_lock);
  CHECK(bucket->Until("config") > absl::Now());  // the config itself is retained

  fs::path src = tmp / "src";
  coffer::testing::WriteFile(src / "keep", std::string(200000, 'k') + "1");
  BackupOptions b;
  b.paths = {src.string()};
  b.use_files_cache = false;
  auto first = RunBackup(*repo, b);
  REQUIRE(first.ok());
  const Bytes gone = coffer::testing::RandomBytes(300000, 9);
  coffer::testing::WriteFile(src / "gone", std::string(gone.begin(), gone.end()));
  auto second = RunBackup(*repo, b);
  REQUIRE(second.ok());
  const size_t packs_before = Names(*bucket, "data/").size();

  // forget refuses a snapshot still under retention, before deleting anything.
  ForgetOptions f;
  f.snapshots = {second->snapshot_id.Hex()};
  auto refused = RunForget(*repo, f);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(std::string(refused.status().message()), Catch::Contains("retention"));
  CHECK(bucket->refused_deletes == 0);

  // Forget the second snapshot (its retention ran out), so the packs holding
  // only "gone" become garbage, still under retention.
  bucket->Expire(SnapshotName(second->snapshot_id));
  REQUIRE(bucket->Delete(SnapshotName(second->snapshot_id)).ok());

  PruneOptions p;
  auto pruned = RunPrune(*repo, p);
  REQUIRE(pruned.ok());
  CHECK(bucket->refused_deletes == 0);   // it never tried
  CHECK(pruned->objects_retained > 0);
  CHECK(Names(*bucket, "data/").size() >= packs_before);  // nothing deleted

  CheckOptions c;
  c.read_data = true;
  auto check = RunCheck(*repo, c);
  REQUIRE(check.ok());
  CHECK(check->ok());

  SECTION("once retention has run out, a later prune deletes the garbage") {
    bucket->ExpireAll();
    // Expired everything, so the objects that stay get extended again.
    auto later = RunPrune(*repo, p);
    REQUIRE(later.ok());
    CHECK(bucket->refused_deletes == 0);
    CHECK(later->packs_deleted + later->unindexed_packs_deleted + later->packs_repacked > 0);
    CHECK(later->retention_extended > 0);
    CHECK(bucket->Until("config") > absl::Now() + absl::Hours(23));
    RestoreOptions r;
    r.snapshot = first->snapshot_id.Hex();
    r.target = tmp / "restored";
    REQUIRE(RunRestore(*repo, r).ok());
    CHECK(fs::file_size(r.target / src.relative_path() / "keep") == 200001);
    CHECK_FALSE(fs::exists(r.target / src.relative_path() / "gone"));
    auto again = RunCheck(*repo, c);
    REQUIRE(again.ok());
    CHECK(again->ok());
  }
  SECTION("what stays and is close to expiry gets another full period") {
    bucket->SetUntil("config", absl::Now() + absl::Hours(1));
    auto extended = RunPrune(*repo, p);
    REQUIRE(extended.ok());
    CHECK(extended->retention_extended >= 1);
    CHECK(bucket->Until("config") > absl::Now() + absl::Hours(23));
    CHECK(bucket->refused_deletes == 0);
  }
}

TEST_CASE("init with an object lock refuses a store that cannot lock objects") {
  InitOptions o = coffer::testing::SmallRepoOptions();
  o.object_lock = ObjectLockPolicy{30, RetentionMode::kCompliance};
  auto repo = Repository::Init(NewMemoryStore(), "secret", o);
  REQUIRE_FALSE(repo.ok());
  CHECK(absl::IsInvalidArgument(repo.status()));
  CHECK_THAT(std::string(repo.status().message()), Catch::Contains("cannot lock objects"));
}
