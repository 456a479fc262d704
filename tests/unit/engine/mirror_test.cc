// A repository behind the mirror store: a replica that fails during a backup
// is journaled and repaired by sync; the replica is then a whole repository.
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/backup.h"
#include "engine/check.h"
#include "engine/restore.h"
#include "store/fault_store.h"
#include "store/mirror_store.h"
#include "support/repo_fixture.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
namespace fs = std::filesystem;

TEST_CASE("a backup with the replica failing is journaled, and sync makes the replica whole") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  coffer::testing::WriteFile(src / "big", std::string(300000, 'x') + "tail");
  coffer::testing::WriteFile(src / "d" / "small", "hello");

  auto controller = std::make_shared<FaultController>();
  MirrorOptions mo;
  mo.replica_backoff = std::chrono::milliseconds(1);
  auto* mirror = new MirrorStore(NewLocalStore(tmp / "primary"),
                                 NewFaultStore(NewLocalStore(tmp / "replica"), controller), mo);
  auto repo = coffer::testing::MustInit(std::unique_ptr<Store>(mirror));

  FaultPlan replica_fails;
  replica_fails.put = {FaultKind::kError, 0, ""};
  controller->SetPlan(replica_fails);
  BackupOptions o;
  o.paths = {src.string()};
  o.use_files_cache = false;
  auto backup = RunBackup(*repo, o);
  REQUIRE(backup.ok());
  CHECK(mirror->replica_failures() > 0);
  CHECK(*mirror->PendingCount() > 0);

  controller->SetPlan({});
  auto synced = mirror->Sync();
  REQUIRE(synced.ok());
  CHECK(synced->objects_copied > 0);
  CHECK(*mirror->PendingCount() == 0);

  auto replica = Repository::Open(NewLocalStore(tmp / "replica"), "secret");
  REQUIRE(replica.ok());
  CheckOptions c;
  c.read_data = true;
  auto check = RunCheck(**replica, c);
  REQUIRE(check.ok());
  CHECK(check->ok());
  RestoreOptions r;
  r.snapshot = backup->snapshot_id.Hex();
  r.target = tmp / "restored";
  REQUIRE(RunRestore(**replica, r).ok());
  CHECK(coffer::testing::CompareTrees(src, r.target / src.relative_path()).empty());
}
