// check, prune and repair against real repositories on a local store.
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/backup.h"
#include "engine/check.h"
#include "engine/prune.h"
#include "engine/repair.h"
#include "engine/restore.h"
#include "repo/lock.h"
#include "repo/object_kind.h"
#include "support/repo_fixture.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
namespace fs = std::filesystem;
using coffer::testing::CompareTrees;
using coffer::testing::RandomBytes;
using coffer::testing::WriteFile;

namespace {

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

struct Fixture {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "data" / "src";
  std::unique_ptr<Repository> repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));

  BackupResult Backup() {
    fs::create_directories(tmp / "cache");
    BackupOptions o;
    o.paths = {src.string()};
    o.cache_dir = tmp / "cache";
    auto r = RunBackup(*repo, o);
    REQUIRE(r.ok());
    return *r;
  }
  // Restores a snapshot and compares it with `expected`.
  void ExpectRestores(const Id& snapshot, const fs::path& expected) {
    RestoreOptions r;
    r.snapshot = snapshot.Hex();
    r.target = tmp / ("restore-" + snapshot.ShortHex() + std::to_string(restores_++));
    auto result = RunRestore(*repo, r);
    REQUIRE(result.ok());
    auto diffs = CompareTrees(expected, r.target / src.relative_path());
    INFO(::Catch::Detail::stringify(diffs));
    CHECK(diffs.empty());
  }
  std::vector<std::string> Objects(std::string_view prefix) {
    std::vector<std::string> out;
    REQUIRE(repo->store().List(prefix, [&](const ObjectInfo& i) {
                   out.push_back(i.name);
                   return absl::OkStatus();
                 }).ok());
    std::sort(out.begin(), out.end());
    return out;
  }
  // The largest pack: in these tests, the one holding the big file's data.
  std::string LargestPack() {
    std::string biggest;
    uint64_t size = 0;
    REQUIRE(repo->store().List("data/", [&](const ObjectInfo& i) {
                   if (i.size > size) size = i.size, biggest = i.name;
                   return absl::OkStatus();
                 }).ok());
    return biggest;
  }
  void Forget(const Id& snapshot) { REQUIRE(repo->store().Delete(SnapshotName(snapshot)).ok()); }
  int restores_ = 0;
};

}  // namespace

TEST_CASE("check passes on a healthy repository, with and without reading data") {
  Fixture f;
  WriteFile(f.src / "a", Str(RandomBytes(300000, 1)));
  WriteFile(f.src / "b", "small");
  f.Backup();
  CheckOptions o;
  auto structure = RunCheck(*f.repo, o);
  REQUIRE(structure.ok());
  CHECK(structure->ok());
  CHECK(structure->snapshots == 1);
  CHECK(structure->packs_read == 0);
  o.read_data = true;
  auto full = RunCheck(*f.repo, o);
  REQUIRE(full.ok());
  CHECK(full->ok());
  CHECK(full->packs_read == full->packs);
  CHECK(full->bytes_read > 300000 / 2);
}

TEST_CASE("check --read-data names a corrupted pack and the files it damages") {
  Fixture f;
  WriteFile(f.src / "big", Str(RandomBytes(400000, 2)));
  WriteFile(f.src / "other", "fine");
  f.Backup();
  std::string pack = f.LargestPack();
  Bytes bytes = *f.repo->store().Get(pack);
  bytes[bytes.size() / 2] ^= 0x20;
  REQUIRE(f.repo->store().Put(pack, bytes).ok());

  CheckOptions o;
  auto structure = RunCheck(*f.repo, o);
  REQUIRE(structure.ok());
  CHECK(structure->ok());  // the structure is intact: only reading finds it
  o.read_data = true;
  auto full = RunCheck(*f.repo, o);
  REQUIRE(full.ok());
  REQUIRE_FALSE(full->ok());
  bool named = std::any_of(full->errors.begin(), full->errors.end(),
                           [&](const CheckProblem& p) { return p.object == pack; });
  CHECK(named);
  REQUIRE(full->damaged.size() == 1);
  CHECK(full->damaged[0].path == (f.src / "big").string());
}

TEST_CASE("check reports a missing pack, and which snapshots and files lose data") {
  Fixture f;
  WriteFile(f.src / "big", Str(RandomBytes(400000, 3)));
  auto s = f.Backup();
  std::string pack = f.LargestPack();
  REQUIRE(f.repo->store().Delete(pack).ok());
  auto result = RunCheck(*f.repo, {});
  REQUIRE(result.ok());
  REQUIRE_FALSE(result->ok());
  CHECK(result->errors[0].object == pack);
  CHECK_THAT(result->errors[0].message, Catch::Contains("missing"));
  REQUIRE(result->damaged.size() == 1);
  CHECK(result->damaged[0].snapshot == s.snapshot_id);
}

TEST_CASE("the read-data subset accepts N% and k/n and rejects the rest") {
  CheckOptions o;
  CHECK(ParseReadDataSubset("10%", o).ok());
  CHECK(o.read_data_percent == 10);
  CHECK(ParseReadDataSubset("2/5", o).ok());
  CHECK(o.subset_k == 2);
  CHECK(o.subset_n == 5);
  CHECK_FALSE(ParseReadDataSubset("0%", o).ok());
  CHECK_FALSE(ParseReadDataSubset("6/5", o).ok());
  CHECK_FALSE(ParseReadDataSubset("x", o).ok());
}

TEST_CASE("prune frees what no snapshot references and keeps the rest restorable") {
  Fixture f;
  WriteFile(f.src / "keep", Str(RandomBytes(600000, 4)));
  WriteFile(f.src / "drop", Str(RandomBytes(1500000, 5)));
  auto first = f.Backup();
  fs::remove(f.src / "drop");
  auto second = f.Backup();
  f.Forget(first.snapshot_id);

  SECTION("a dry run changes nothing") {
    auto before = f.Objects("");
    PruneOptions o;
    o.dry_run = true;
    auto r = RunPrune(*f.repo, o);
    REQUIRE(r.ok());
    CHECK(r->bytes_deleted > 1000000);
    CHECK(f.Objects("") == before);
  }
  SECTION("prune deletes the unused data") {
    uint64_t before = 0;
    for (auto& o : f.Objects("data/")) before += f.repo->store().Stat(o)->size;
    auto r = RunPrune(*f.repo, {});
    REQUIRE(r.ok());
    CHECK(r->bytes_freed() > 1000000);
    uint64_t after = 0;
    for (auto& o : f.Objects("data/")) after += f.repo->store().Stat(o)->size;
    CHECK(before - after == r->bytes_freed());
    f.ExpectRestores(second.snapshot_id, f.src);
    CheckOptions c;
    c.read_data = true;
    auto check = RunCheck(*f.repo, c);
    REQUIRE(check.ok());
    CHECK(check->ok());
    CHECK(check->notices.empty());
    // Prune again: nothing left to do.
    auto again = RunPrune(*f.repo, {});
    REQUIRE(again.ok());
    CHECK(again->bytes_deleted == 0);
  }
}

TEST_CASE("prune repacks mostly unused packs") {
  Fixture f;
  // Many small files share one pack; later most of them are gone.
  for (int i = 0; i < 40; ++i) WriteFile(f.src / ("f" + std::to_string(i)), Str(RandomBytes(20000, 100 + i)));
  auto first = f.Backup();
  for (int i = 5; i < 40; ++i) fs::remove(f.src / ("f" + std::to_string(i)));
  auto second = f.Backup();
  f.Forget(first.snapshot_id);
  auto r = RunPrune(*f.repo, {});
  REQUIRE(r.ok());
  CHECK(r->packs_repacked >= 1);
  CHECK(r->packs_written >= 1);
  CHECK(r->bytes_freed() > 500000);
  f.ExpectRestores(second.snapshot_id, f.src);
  CheckOptions c;
  c.read_data = true;
  CHECK(RunCheck(*f.repo, c)->ok());
}

TEST_CASE("prune removes packs an interrupted backup left behind") {
  Fixture f;
  WriteFile(f.src / "a", "a");
  auto s = f.Backup();
  PackBuilder orphan(f.repo->config().data_cipher, f.repo->keys().public_key);
  Bytes junk = RandomBytes(1000, 9);
  orphan.Add(BlobType::kData, f.repo->hasher().Hash(junk), junk, 1000);
  REQUIRE(f.repo->PutContentAddressed(&PackName, orphan.Finish()).ok());
  auto r = RunPrune(*f.repo, {});
  REQUIRE(r.ok());
  CHECK(r->unindexed_packs_deleted == 1);
  f.ExpectRestores(s.snapshot_id, f.src);
}

TEST_CASE("prune refuses while another process holds a lock, and deletes nothing") {
  Fixture f;
  WriteFile(f.src / "a", Str(RandomBytes(100000, 6)));
  auto s = f.Backup();
  f.Forget(s.snapshot_id);
  auto before = f.Objects("data/");
  auto held = RepoLock::Acquire(f.repo->store(), f.repo->keys().index_key, false);
  REQUIRE(held.ok());
  auto r = RunPrune(*f.repo, {});
  REQUIRE(absl::IsFailedPrecondition(r.status()));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("locked"));
  CHECK(f.Objects("data/") == before);
}

TEST_CASE("prune refuses to run when a snapshot's tree is unreadable") {
  Fixture f;
  WriteFile(f.src / "a", "a");
  f.Backup();
  // Delete the pack holding the trees (the smallest pack).
  std::string smallest;
  uint64_t size = UINT64_MAX;
  REQUIRE(f.repo->store().List("data/", [&](const ObjectInfo& i) {
                 if (i.size < size) size = i.size, smallest = i.name;
                 return absl::OkStatus();
               }).ok());
  REQUIRE(f.repo->store().Delete(smallest).ok());
  auto before = f.Objects("");
  auto r = RunPrune(*f.repo, {});
  REQUIRE(absl::IsDataLoss(r.status()));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("nothing was deleted"));
  CHECK(f.Objects("") == before);
}

TEST_CASE("repair rebuilds a lost index from the packs") {
  Fixture f;
  WriteFile(f.src / "a", Str(RandomBytes(300000, 7)));
  WriteFile(f.src / "b", "bee");
  auto s = f.Backup();
  for (const auto& name : f.Objects("index/")) REQUIRE(f.repo->store().Delete(name).ok());
  auto r = RunRepair(*f.repo, {});
  REQUIRE(r.ok());
  CHECK(r->blobs_indexed >= 3);
  CHECK(r->repaired.empty());
  f.ExpectRestores(s.snapshot_id, f.src);
}

TEST_CASE("repair rewrites a snapshot without the files whose data is damaged") {
  Fixture f;
  WriteFile(f.src / "lost", Str(RandomBytes(400000, 8)));
  WriteFile(f.src / "kept", "still here");
  auto s = f.Backup();
  std::string pack = f.LargestPack();
  Bytes bytes = *f.repo->store().Get(pack);
  bytes[bytes.size() / 2] ^= 0x01;
  REQUIRE(f.repo->store().Put(pack, bytes).ok());

  auto r = RunRepair(*f.repo, {});
  REQUIRE(r.ok());
  CHECK(r->packs_damaged == 1);
  REQUIRE(r->repaired.size() == 1);
  CHECK(r->repaired[0].old_id == s.snapshot_id);
  CHECK(r->repaired[0].lost == std::vector<std::string>{(f.src / "lost").string()});
  auto snaps = f.repo->ListSnapshots();
  REQUIRE(snaps->size() == 1);
  const Snapshot& fixed = snaps->front().snapshot;
  CHECK(fixed.partial);
  CHECK(std::find(fixed.tags.begin(), fixed.tags.end(), "repaired") != fixed.tags.end());
  RestoreOptions o;
  o.target = f.tmp / "out";
  REQUIRE(RunRestore(*f.repo, o).ok());
  CHECK(coffer::testing::ReadFile(o.target / f.src.relative_path() / "kept") == "still here");
  CHECK_FALSE(fs::exists(o.target / f.src.relative_path() / "lost"));
  CheckOptions c;
  c.read_data = true;
  auto check = RunCheck(*f.repo, c);
  REQUIRE(check.ok());
  CHECK(check->ok());
}
