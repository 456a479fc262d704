// copy between repositories: mirrors that share keys (packs copied as they
// are) and unrelated repositories (blobs re-encrypted), incrementally.
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/backup.h"
#include "engine/check.h"
#include "engine/copy.h"
#include "engine/restore.h"
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
  std::unique_ptr<Repository> source = coffer::testing::MustInit(NewLocalStore(tmp / "source"));
  int runs = 0;

  Id Backup() {
    fs::create_directories(tmp / "cache");
    BackupOptions o;
    o.paths = {src.string()};
    o.cache_dir = tmp / "cache";
    auto r = RunBackup(*source, o);
    REQUIRE(r.ok());
    return r->snapshot_id;
  }
  std::unique_ptr<Repository> Mirror(const std::string& dir) {
    InitOptions o = coffer::testing::SmallRepoOptions();
    o.keys = source->keys();
    return coffer::testing::MustInit(NewLocalStore(tmp / dir), "other password", o);
  }
  void ExpectRestores(Repository& repo, const Id& snapshot, const fs::path& expected) {
    RestoreOptions r;
    r.snapshot = snapshot.Hex();
    r.target = tmp / ("restore" + std::to_string(runs++));
    auto result = RunRestore(repo, r);
    REQUIRE(result.ok());
    auto diffs = CompareTrees(expected, r.target / src.relative_path());
    INFO(::Catch::Detail::stringify(diffs));
    CHECK(diffs.empty());
  }
  void ExpectHealthy(Repository& repo) {
    CheckOptions o;
    o.read_data = true;
    auto r = RunCheck(repo, o);
    REQUIRE(r.ok());
    CHECK(r->ok());
  }
  size_t Count(Repository& repo, std::string_view prefix) {
    size_t n = 0;
    REQUIRE(repo.store().List(prefix, [&](const ObjectInfo&) {
                   ++n;
                   return absl::OkStatus();
                 }).ok());
    return n;
  }
};

}  // namespace

TEST_CASE("copy into a mirror moves packs and snapshots as they are, and only new ones") {
  Fixture f;
  WriteFile(f.src / "big", Str(RandomBytes(400000, 1)));
  WriteFile(f.src / "dir" / "small", "hello");
  Id first = f.Backup();
  auto mirror = f.Mirror("mirror");
  REQUIRE(SharesKeys(*f.source, *mirror));

  auto r = RunCopy(*f.source, *mirror, {});
  REQUIRE(r.ok());
  CHECK(r->shared_keys);
  CHECK(r->snapshots_copied == 1);
  CHECK(r->packs_copied == f.Count(*f.source, "data/"));
  REQUIRE(r->snapshots.size() == 1);
  CHECK(r->snapshots[0].destination == first);  // the same object
  f.ExpectRestores(*mirror, first, f.src);
  f.ExpectHealthy(*mirror);

  SECTION("a second copy copies nothing") {
    auto again = RunCopy(*f.source, *mirror, {});
    REQUIRE(again.ok());
    CHECK(again->snapshots_copied == 0);
    CHECK(again->snapshots_skipped == 1);
    CHECK(again->packs_copied == 0);
  }
  SECTION("after a new backup only its new packs are copied") {
    fs::path expected = f.tmp / "expected";
    WriteFile(f.src / "new", Str(RandomBytes(200000, 2)));
    Id second = f.Backup();
    auto again = RunCopy(*f.source, *mirror, {});
    REQUIRE(again.ok());
    CHECK(again->snapshots_copied == 1);
    CHECK(again->snapshots_skipped == 1);
    CHECK(again->packs_copied >= 1);
    CHECK(again->pack_bytes_copied < r->pack_bytes_copied);
    f.ExpectRestores(*mirror, second, f.src);
    f.ExpectHealthy(*mirror);
  }
  SECTION("a damaged source pack is not replicated") {
    auto second_mirror = f.Mirror("mirror2");
    std::string victim;
    REQUIRE(f.source->store().List("data/", [&](const ObjectInfo& i) {
                   victim = i.name;
                   return absl::OkStatus();
                 }).ok());
    auto data = f.source->store().Get(victim);
    REQUIRE(data.ok());
    (*data)[data->size() / 2] ^= 1;
    REQUIRE(f.source->store().Put(victim, *data).ok());
    auto bad = RunCopy(*f.source, *second_mirror, {});
    REQUIRE_FALSE(bad.ok());
    CHECK(absl::IsDataLoss(bad.status()));
    CHECK(f.Count(*second_mirror, "snapshots/") == 0);
  }
}

TEST_CASE("copy between unrelated repositories re-encrypts, and a later copy reads only new data") {
  Fixture f;
  WriteFile(f.src / "big", Str(RandomBytes(400000, 3)));
  WriteFile(f.src / "sub" / "small", "world");
  Id first = f.Backup();
  auto other = coffer::testing::MustInit(NewLocalStore(f.tmp / "other"), "pw2");
  REQUIRE_FALSE(SharesKeys(*f.source, *other));

  auto r = RunCopy(*f.source, *other, {});
  REQUIRE(r.ok());
  CHECK_FALSE(r->shared_keys);
  CHECK(r->snapshots_copied == 1);
  CHECK(r->blobs_copied > 0);
  Id copied = r->snapshots[0].destination;
  CHECK(copied != first);
  f.ExpectRestores(*other, copied, f.src);
  f.ExpectHealthy(*other);

  auto again = RunCopy(*f.source, *other, {});
  REQUIRE(again.ok());
  CHECK(again->snapshots_copied == 0);
  CHECK(again->snapshots_skipped == 1);

  WriteFile(f.src / "more", Str(RandomBytes(100000, 4)));
  Id second = f.Backup();
  CopyOptions only_latest;
  only_latest.snapshots = {second.Hex().substr(0, 12)};
  auto third = RunCopy(*f.source, *other, only_latest);
  REQUIRE(third.ok());
  CHECK(third->snapshots_copied == 1);
  // The unchanged big file and subdirectory come from the earlier copy.
  CHECK(third->blobs_present > 0);
  CHECK(third->blob_bytes_copied < r->blob_bytes_copied);
  f.ExpectRestores(*other, third->snapshots[0].destination, f.src);

  SECTION("copying back skips the copies of the source's own snapshots") {
    auto back = RunCopy(*other, *f.source, {});
    REQUIRE(back.ok());
    CHECK(back->snapshots_copied == 0);
    CHECK(back->snapshots_skipped == 2);
  }
  SECTION("a copy of a copy restores the same tree") {
    auto third_repo = coffer::testing::MustInit(NewLocalStore(f.tmp / "third"), "pw3");
    auto back = RunCopy(*other, *third_repo, {});
    REQUIRE(back.ok());
    CHECK(back->snapshots_copied == 2);
    f.ExpectRestores(*third_repo, back->snapshots[1].destination, f.src);
  }
}

TEST_CASE("copy refuses a snapshot that does not exist and the same repository") {
  Fixture f;
  WriteFile(f.src / "a", "a");
  f.Backup();
  auto mirror = f.Mirror("mirror");
  CopyOptions o;
  o.snapshots = {"ffffffff"};
  auto r = RunCopy(*f.source, *mirror, o);
  REQUIRE_FALSE(r.ok());
  CHECK(absl::IsNotFound(r.status()));
  auto same = Repository::Open(NewLocalStore(f.tmp / "source"), "secret");
  REQUIRE(same.ok());
  CHECK(absl::IsInvalidArgument(RunCopy(*f.source, **same, {}).status()));
}
