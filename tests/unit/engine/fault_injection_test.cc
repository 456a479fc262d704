// Crash safety without processes: a backup is interrupted at every write it
// makes (a failed put, or a torn object left under the final name), and the
// repository must stay usable: earlier snapshots restore byte for byte, and
// a later backup succeeds and restores. Reads are failed and corrupted at
// every point of a restore, which must then fail cleanly or restore the
// right bytes, never wrong ones.
//
// Every scenario starts from a copy of the same repository (one snapshot),
// on memory stores wrapped by the fault store. Backups run on one thread so
// the order of puts, and so the meaning of "put k", is the same every run.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <sstream>

#include "base/status_macros.h"
#include "engine/backup.h"
#include "engine/check.h"
#include "engine/repair.h"
#include "engine/restore.h"
#include "repo/lock.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "support/repo_fixture.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
namespace fs = std::filesystem;
using coffer::testing::CompareTrees;
using coffer::testing::RandomBytes;
using coffer::testing::WriteFile;

namespace {

constexpr char kPassword[] = "secret";

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

std::unique_ptr<Store> Clone(Store& from) {
  auto to = NewMemoryStore();
  absl::Status s = from.List("", [&](const ObjectInfo& info) -> absl::Status {
    auto data = from.Get(info.name);
    if (!data.ok()) return data.status();
    return to->Put(info.name, *data);
  });
  if (!s.ok()) throw std::runtime_error(s.ToString());
  return to;
}

std::string Prefix(std::string_view name) { return std::string(name.substr(0, name.find('/') + 1)); }

// What a restore produced: an error, or a tree (with its differences from
// what was expected; any difference is a failure of the test).
struct RestoreOutcome {
  absl::Status status;
  std::vector<std::string> diffs;
};

// The repository under test: a memory store and the paths around it.
class Scenario {
 public:
  Scenario() {
    src_ = tmp_ / "src";
    WriteFile(src_ / "a.bin", Str(RandomBytes(900 * 1024, 1)));
    WriteFile(src_ / "dir" / "b.txt", "first version\n");
    WriteFile(src_ / "dir" / "sub" / "c.bin", Str(RandomBytes(300 * 1024, 2)));
    fs::create_symlink("a.bin", src_ / "link");
    base_ = NewMemoryStore();
    auto repo = coffer::testing::MustInit(NewFaultStore(*base_, std::make_shared<FaultController>()), kPassword);
    auto first = RunBackup(*repo, Options());
    if (!first.ok()) throw std::runtime_error(first.status().ToString());
    first_ = first->snapshot_id;
    // The first snapshot as restored now, before the source changes: what
    // every later restore of it must reproduce.
    RestoreOutcome ref = Restore(*base_, first_, tmp_ / "ref1", src_);
    if (!ref.status.ok() || !ref.diffs.empty()) throw std::runtime_error("first restore differs");
    // The second version: new data across several packs (1 MiB each), a
    // changed file, a removed one.
    WriteFile(src_ / "dir" / "b.txt", "second version\n");
    WriteFile(src_ / "new1.bin", Str(RandomBytes(1500 * 1024, 3)));
    WriteFile(src_ / "dir" / "new2.bin", Str(RandomBytes(800 * 1024, 4)));
    fs::remove(src_ / "dir" / "sub" / "c.bin");
  }

  const fs::path& src() const { return src_; }
  const Id& first() const { return first_; }
  fs::path ref1() const { return tmp_ / "ref1" / src_.relative_path(); }
  fs::path NewDir() { return tmp_ / ("t" + std::to_string(++dirs_)); }
  // A fresh copy of the repository holding only the first snapshot.
  std::unique_ptr<Store> Fresh() { return Clone(*base_); }

  BackupOptions Options() const {
    BackupOptions o;
    o.paths = {src_.string()};
    o.use_files_cache = false;
    o.threads = 1;
    return o;
  }

  // Opens the repository on `store` through a fault store and backs up.
  absl::StatusOr<BackupResult> Backup(Store& store, std::shared_ptr<FaultController> faults) {
    auto repo = Repository::Open(NewFaultStore(store, faults), kPassword);
    if (!repo.ok()) return repo.status();
    return RunBackup(**repo, Options());
  }

  // Restores `snapshot` into a new directory and compares the copy of
  // `source` in it with `expected`.
  RestoreOutcome Restore(Store& store, const Id& snapshot, const fs::path& target, const fs::path& expected,
                         std::shared_ptr<FaultController> faults = nullptr, const FaultPlan& plan = {}) {
    if (!faults) faults = std::make_shared<FaultController>();
    auto repo = Repository::Open(NewFaultStore(store, faults), kPassword);
    if (!repo.ok()) return {repo.status(), {}};
    faults->SetPlan(plan);  // faults in the restore, not in opening
    RestoreOptions r;
    r.snapshot = snapshot.Hex();
    r.target = target;
    auto restored = RunRestore(**repo, r);
    if (!restored.ok()) return {restored.status(), {}};
    return {absl::OkStatus(), CompareTrees(expected, target / src_.relative_path())};
  }
  RestoreOutcome Restore(Store& store, const Id& snapshot, const fs::path& expected) {
    return Restore(store, snapshot, NewDir(), expected);
  }

 private:
  coffer::testing::TempDir tmp_;
  fs::path src_;
  std::unique_ptr<Store> base_;
  Id first_;
  int dirs_ = 0;
};

// After a failed backup: (a) the first snapshot restores byte for byte; (b)
// a backup without faults succeeds and restores byte for byte. Each step is
// tried even when an earlier one failed, so a report names every step that
// refuses. A restore that produces wrong bytes fails the test at once.
struct Health {
  absl::Status restore_first, backup, restore_backup;
  bool ok() const { return restore_first.ok() && backup.ok() && restore_backup.ok(); }
  std::string ToString() const {
    auto text = [](const absl::Status& s) { return s.ok() ? std::string("OK") : s.ToString(); };
    return "restore of the first snapshot: " + text(restore_first) + "; new backup: " + text(backup) +
           "; restore of it: " + text(restore_backup);
  }
  // The first failure, for matching its message.
  absl::Status first_error() const {
    return !restore_first.ok() ? restore_first : !backup.ok() ? backup : restore_backup;
  }
};

Health CheckHealth(Scenario& sc, Store& store) {
  Health h;
  RestoreOutcome first = sc.Restore(store, sc.first(), sc.ref1());
  h.restore_first = first.status;
  INFO(::Catch::Detail::stringify(first.diffs));
  CHECK(first.diffs.empty());  // never wrong bytes
  auto third = sc.Backup(store, std::make_shared<FaultController>());
  h.backup = third.status();
  if (!third.ok()) {
    h.restore_backup = absl::CancelledError("no backup to restore");
    return h;
  }
  RestoreOutcome restored = sc.Restore(store, third->snapshot_id, sc.src());
  h.restore_backup = restored.status;
  INFO(::Catch::Detail::stringify(restored.diffs));
  CHECK(restored.diffs.empty());
  return h;
}

// The puts of a clean second backup, in order.
std::vector<std::string> CleanSecondBackupPuts(Scenario& sc) {
  auto store = sc.Fresh();
  auto faults = std::make_shared<FaultController>();
  auto result = sc.Backup(*store, faults);
  if (!result.ok()) throw std::runtime_error(result.status().ToString());
  return faults->put_log();
}

}  // namespace

TEST_CASE("a backup that fails at any put leaves every snapshot restorable and the repository usable") {
  Scenario sc;
  std::vector<std::string> puts = CleanSecondBackupPuts(sc);
  std::map<std::string, int> kinds;
  for (const auto& name : puts) kinds[Prefix(name)]++;
  // The scenario must reach every kind of object a backup writes.
  REQUIRE(kinds["locks/"] == 1);
  REQUIRE(kinds["data/"] >= 3);
  REQUIRE(kinds["index/"] == 1);
  REQUIRE(kinds["snapshots/"] == 1);

  std::ostringstream report;
  for (FaultKind kind : {FaultKind::kError, FaultKind::kTorn}) {
    for (size_t k = 1; k <= puts.size(); ++k) {
      const std::string what = std::string(FaultKindName(kind)) + " at put " + std::to_string(k) + " of " +
                               std::to_string(puts.size()) + " (" + Prefix(puts[k - 1]) + ")";
      INFO(what);
      auto store = sc.Fresh();
      FaultPlan plan;
      plan.put = {kind, k, ""};
      auto faults = std::make_shared<FaultController>(plan);
      auto second = sc.Backup(*store, faults);
      REQUIRE(faults->injected().size() == 1);
      const std::string damaged = faults->injected()[0].name;
      REQUIRE(Prefix(damaged) == Prefix(puts[k - 1]));
      // The backup fails with the store's error, and writes nothing after it.
      REQUIRE_FALSE(second.ok());
      CHECK_THAT(std::string(second.status().message()), Catch::Contains("injected fault"));
      CHECK(faults->counts().puts == k);

      Health health = CheckHealth(sc, *store);
      if (kind == FaultKind::kError || Prefix(damaged) == "data/") {
        // Nothing or only unreferenced data was left: everything must work.
        INFO(health.ToString());
        CHECK(health.ok());
        continue;
      }
      // A torn index, snapshot or lock object under its final name. Later
      // operations may refuse, but only with an error naming the object,
      // never crash or restore wrong bytes; check names it, and once repair
      // (or, where repair does not, a person) removes it, everything works.
      report << what << ": " << health.ToString() << "\n";
      for (const absl::Status& s : {health.restore_first, health.backup, health.restore_backup}) {
        if (!s.ok() && !absl::IsCancelled(s)) CHECK_THAT(std::string(s.message()), Catch::Contains(damaged));
      }
      // check names the torn object; repair makes the repository whole.
      auto repo = Repository::Open(NewFaultStore(*store, std::make_shared<FaultController>()), kPassword);
      REQUIRE(repo.ok());
      auto checked = RunCheck(**repo, {});
      REQUIRE(checked.ok());
      std::vector<std::string> named, all;
      for (const auto* problems : {&checked->errors, &checked->notices})
        for (const CheckProblem& p : *problems) {
          all.push_back(p.object + ": " + p.message);
          if (p.object.find(damaged) != std::string::npos || p.message.find(damaged) != std::string::npos)
            named.push_back(all.back());
        }
      INFO("check found: " << ::Catch::Detail::stringify(all));
      CHECK_FALSE(named.empty());
      report << "  check: " << (named.empty() ? "does not name it" : named.front()) << "\n";
      auto repaired_by = RunRepair(**repo, {});
      report << "  repair: " << (repaired_by.ok() ? "OK" : repaired_by.status().ToString());
      if (Prefix(damaged) == "locks/") {  // what `coffer unlock` does
        auto removed = RemoveLocks((*repo)->store(), (*repo)->keys().index_key, false);
        CHECK(removed.ok());
        CHECK_FALSE(store->Stat(damaged).ok());
        report << "; unlock removes it";
      }
      repo->reset();
      if (store->Stat(damaged).ok()) {
        report << "; the object is left, removed by hand\n";
        REQUIRE(store->Delete(damaged).ok());
      } else {
        report << "; the object is gone\n";
      }
      Health repaired = CheckHealth(sc, *store);
      INFO(repaired.ToString());
      CHECK(repaired.ok());
    }
  }
  WARN("torn index, snapshot and lock objects:\n" << report.str());
}

TEST_CASE("silent truncation by the store is detected on restore, never restored as wrong bytes") {
  Scenario sc;
  std::vector<std::string> puts = CleanSecondBackupPuts(sc);
  std::ostringstream report;
  for (size_t k = 1; k <= puts.size(); ++k) {
    const std::string what = "truncation at put " + std::to_string(k) + " (" + Prefix(puts[k - 1]) + ")";
    INFO(what);
    auto store = sc.Fresh();
    FaultPlan plan;
    plan.put = {FaultKind::kTruncate, k, ""};
    auto faults = std::make_shared<FaultController>(plan);
    auto second = sc.Backup(*store, faults);
    REQUIRE(faults->injected().size() == 1);
    const std::string damaged = faults->injected()[0].name;
    // The store lied; the backup cannot know (v1 does not read back).
    if (!second.ok()) {
      report << what << ": backup failed: " << second.status().ToString() << "\n";
      continue;
    }
    RestoreOutcome restored = sc.Restore(*store, second->snapshot_id, sc.NewDir(), sc.src());
    INFO(::Catch::Detail::stringify(restored.diffs));
    CHECK(restored.diffs.empty());
    report << what << ": restore of that backup: "
           << (restored.status.ok() ? "restored correctly" : restored.status.ToString()) << "\n";
    if (Prefix(damaged) == "data/" && !restored.status.ok()) {
      CHECK(restored.status.code() == absl::StatusCode::kDataLoss);
      CHECK_THAT(std::string(restored.status.message()), Catch::Contains(damaged));
    }
  }
  WARN(report.str());
}

TEST_CASE("a restore whose reads fail or return flipped bytes fails cleanly or restores the right bytes") {
  Scenario sc;
  auto store = sc.Fresh();
  auto faults = std::make_shared<FaultController>();
  RestoreOutcome clean = sc.Restore(*store, sc.first(), sc.NewDir(), sc.ref1(), faults, {});
  REQUIRE(clean.status.ok());
  REQUIRE(clean.diffs.empty());
  const uint64_t reads = faults->counts().reads;
  REQUIRE(reads > 10);

  for (FaultKind kind : {FaultKind::kError, FaultKind::kFlip}) {
    uint64_t failed = 0;
    std::vector<std::string> passed;
    uint64_t skipped = 0;
    for (uint64_t k = 1; k <= reads; ++k) {
      INFO(FaultKindName(kind) << " at read " << k << " of " << reads);
      FaultPlan plan;
      plan.read = {kind, k, ""};
      RestoreOutcome r = sc.Restore(*store, sc.first(), sc.NewDir(), sc.ref1(), faults, plan);
      INFO(::Catch::Detail::stringify(r.diffs));
      CHECK(r.diffs.empty());  // never wrong bytes
      if (faults->counts().faults == 0) {
        // Restore reads with several threads, and two may both fetch a
        // pack's sealed key: the number of reads varies a little.
        CHECK(r.status.ok());
        ++skipped;
        continue;
      }
      const std::string name = faults->injected()[0].name;
      if (r.status.ok()) {
        // Only a lock may be damaged without failing the restore: one that
        // does not decrypt counts as stale (src/repo/lock.cc).
        CHECK(Prefix(name) == "locks/");
        passed.push_back(name);
      } else {
        ++failed;
        CHECK_FALSE(r.status.message().empty());
        // The cause is named. (Restore reports files it could not write as
        // DataLoss, whatever the cause; a store's Unavailable shows in the
        // message.)
        if (kind == FaultKind::kError) {
          CHECK((r.status.code() == absl::StatusCode::kUnavailable || r.status.code() == absl::StatusCode::kDataLoss));
          CHECK_THAT(std::string(r.status.message()), Catch::Contains("injected fault"));
        }
      }
    }
    // Every other read matters: a failed read fails the restore; a flipped
    // byte fails authentication (an index object, a snapshot, a pack's
    // sealed key, a blob).
    INFO(::Catch::Detail::stringify(passed));
    CHECK(failed + passed.size() + skipped == reads);
    CHECK(skipped * 4 < reads);
    CHECK(passed.size() <= 1);
  }
}
