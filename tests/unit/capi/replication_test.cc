// The replication entry points of the C API: coffer_copy, mirrors made with
// coffer_init_options_set_copy_keys_from, mirrored handles and
// coffer_mirror_sync / coffer_mirror_status, and the retention lock option.
#include <fstream>

#include "capi_test_util.h"
#include "support/temp_dir.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using coffer::testing::TempDir;

namespace {

void BackUp(coffer_repo* repo, const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/file") << std::string(100000, 'x') << "end";
  coffer_backup_options* o = coffer_backup_options_new();
  REQUIRE(coffer_backup_options_add_path(o, dir.c_str(), nullptr) == COFFER_OK);
  char* out = nullptr;
  CError err;
  coffer_status s = coffer_backup(repo, o, &out, err.out());
  coffer_backup_options_free(o);
  INFO(err.message());
  REQUIRE(s == COFFER_OK);
  coffer_free(out);
}

}  // namespace

TEST_CASE("coffer_copy copies into a mirror made with copy_keys_from, then nothing more") {
  TempDir dir;
  auto source = coffer::testing::InitRepo((dir / "source").string());
  BackUp(source.get(), (dir / "data").string());

  coffer_init_options* opts = coffer::testing::FastInitOptions();
  CError err;
  REQUIRE(coffer_init_options_set_copy_keys_from(opts, source.get(), err.out()) == COFFER_OK);
  coffer_repo* mirror = nullptr;
  REQUIRE(coffer_repo_init((dir / "mirror").string().c_str(), "other", opts, &mirror, err.out()) == COFFER_OK);
  coffer_init_options_free(opts);
  coffer::testing::RepoPtr mirror_ptr(mirror);

  char* out = nullptr;
  REQUIRE(coffer_copy(mirror, source.get(), nullptr, &out, err.out()) == COFFER_OK);
  auto first = TakeJson(out);
  CHECK(first["mode"] == "packs");
  CHECK(first["snapshots_copied"] == 1);
  REQUIRE(coffer_copy(mirror, source.get(), R"({"snapshots": ["latest"]})", &out, err.out()) == COFFER_OK);
  auto second = TakeJson(out);
  CHECK(second["snapshots_copied"] == 0);
  CHECK(second["packs_copied"] == 0);

  SECTION("bad arguments are refused with a message") {
    CHECK(coffer_copy(mirror, mirror, nullptr, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_copy(mirror, nullptr, nullptr, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_copy(mirror, source.get(), R"({"snapshots": "latest"})", &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("snapshots") != std::string::npos);
    CHECK(coffer_copy(mirror, source.get(), R"({"snapshot": []})", &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_copy(mirror, source.get(), R"({"snapshots": ["ffffff"]})", &out, err.out()) ==
          COFFER_ERROR_NOT_FOUND);
  }
}

TEST_CASE("a mirrored handle writes both locations, and sync and status need one") {
  TempDir dir;
  const std::string primary = (dir / "primary").string(), replica = (dir / "replica").string();
  coffer_init_options* opts = coffer::testing::FastInitOptions();
  CError err;
  REQUIRE(coffer_init_options_set_mirror(opts, replica.c_str(), err.out()) == COFFER_OK);
  coffer_repo* repo = nullptr;
  REQUIRE(coffer_repo_init(primary.c_str(), "secret", opts, &repo, err.out()) == COFFER_OK);
  coffer_init_options_free(opts);
  coffer::testing::RepoPtr repo_ptr(repo);
  BackUp(repo, (dir / "data").string());

  char* out = nullptr;
  REQUIRE(coffer_mirror_status(repo, &out, err.out()) == COFFER_OK);
  auto status = TakeJson(out);
  CHECK(status["mirrored"] == true);
  CHECK(status["pending"] == 0);
  REQUIRE(coffer_mirror_sync(repo, &out, err.out()) == COFFER_OK);
  CHECK(TakeJson(out)["objects_copied"] == 0);  // already identical

  // The replica alone is the same repository.
  auto alone = coffer::testing::OpenRepo(replica);
  REQUIRE(coffer_snapshots_list(alone.get(), nullptr, &out, err.out()) == COFFER_OK);
  CHECK(TakeJson(out).size() == 1);
  // A plain handle is not mirrored.
  REQUIRE(coffer_mirror_status(alone.get(), &out, err.out()) == COFFER_OK);
  CHECK(TakeJson(out)["mirrored"] == false);
  CHECK(coffer_mirror_sync(alone.get(), &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message().find("mirror") != std::string::npos);

  coffer_repo* again = nullptr;
  REQUIRE(coffer_repo_open_mirrored(primary.c_str(), replica.c_str(), "secret", &again, err.out()) == COFFER_OK);
  coffer_repo_close(again);
  CHECK(coffer_repo_open_mirrored(primary.c_str(), "", "secret", &again, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("the retention lock option is validated, and a local store refuses it") {
  TempDir dir;
  coffer_init_options* opts = coffer::testing::FastInitOptions();
  CError err;
  CHECK(coffer_init_options_set_retention_lock(opts, 30, "strict", err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(coffer_init_options_set_retention_lock(opts, 40000, "governance", err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  REQUIRE(coffer_init_options_set_retention_lock(opts, 30, "compliance", err.out()) == COFFER_OK);
  coffer_repo* repo = nullptr;
  CHECK(coffer_repo_init((dir / "r").string().c_str(), "secret", opts, &repo, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message().find("cannot lock objects") != std::string::npos);
  CHECK(repo == nullptr);
  coffer_init_options_free(opts);
}
