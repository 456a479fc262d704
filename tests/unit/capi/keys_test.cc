// Key slots through the C API: add, list, remove, change password and
// write-only keys.
#include "capi_test_util.h"
#include "support/temp_dir.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using coffer::testing::TempDir;

namespace {

nlohmann::json ListKeys(coffer_repo* repo) {
  char* out = nullptr;
  REQUIRE(coffer_key_list(repo, &out, nullptr) == COFFER_OK);
  return TakeJson(out);
}

}  // namespace

TEST_CASE("key add, list, remove and change password") {
  TempDir dir;
  std::string location = (dir / "repo").string();
  auto repo = coffer::testing::InitRepo(location, "first");

  nlohmann::json keys = ListKeys(repo.get());
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["current"] == true);
  CHECK(keys[0]["write_only"] == false);
  std::string first_id = keys[0]["id"];

  char* id_out = nullptr;
  CError err;
  REQUIRE(coffer_key_add(repo.get(), "second", "laptop", 0, &id_out, err.out()) == COFFER_OK);
  REQUIRE(id_out != nullptr);
  std::string second_id = id_out;
  coffer_free(id_out);
  CHECK(second_id.size() == 64);

  keys = ListKeys(repo.get());
  REQUIRE(keys.size() == 2);
  bool found = false;
  for (const auto& k : keys)
    if (k["id"] == second_id) {
      found = true;
      CHECK(k["label"] == "laptop");
      CHECK(k["current"] == false);
    }
  CHECK(found);

  // Both passwords open the repository.
  coffer::testing::OpenRepo(location, "second");

  SECTION("remove by unique prefix") {
    REQUIRE(coffer_key_remove(repo.get(), second_id.substr(0, 8).c_str(), err.out()) == COFFER_OK);
    CHECK(ListKeys(repo.get()).size() == 1);
    coffer_repo* r = nullptr;
    CHECK(coffer_repo_open(location.c_str(), "second", &r, err.out()) ==
          COFFER_ERROR_WRONG_PASSWORD);
  }
  SECTION("prefixes that are too short, unknown, or name the key in use are refused") {
    CHECK(coffer_key_remove(repo.get(), "ab", err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("4 hex digits") != std::string::npos);
    CHECK(coffer_key_remove(repo.get(), "zzzz", err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    std::string unknown = first_id[0] == '0' ? "1111" : "0000";
    if (second_id.rfind(unknown, 0) != 0)
      CHECK(coffer_key_remove(repo.get(), unknown.c_str(), err.out()) == COFFER_ERROR_NOT_FOUND);
    CHECK(coffer_key_remove(repo.get(), first_id.c_str(), err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("in use") != std::string::npos);
    CHECK(ListKeys(repo.get()).size() == 2);
  }
  SECTION("change password") {
    REQUIRE(coffer_key_change_password(repo.get(), "renewed", err.out()) == COFFER_OK);
    coffer_repo* r = nullptr;
    CHECK(coffer_repo_open(location.c_str(), "first", &r, err.out()) ==
          COFFER_ERROR_WRONG_PASSWORD);
    coffer::testing::OpenRepo(location, "renewed");
    keys = ListKeys(repo.get());
    CHECK(keys.size() == 2);
    int current = 0;
    for (const auto& k : keys) current += k["current"].get<bool>() ? 1 : 0;
    CHECK(current == 1);
  }
}

TEST_CASE("a write-only key backs up but cannot read") {
  TempDir dir;
  std::string location = (dir / "repo").string();
  auto repo = coffer::testing::InitRepo(location, "admin");
  REQUIRE(coffer_key_add(repo.get(), "agent", "agent", 1, nullptr, nullptr) == COFFER_OK);

  auto agent = coffer::testing::OpenRepo(location, "agent");
  char* out = nullptr;
  REQUIRE(coffer_repo_info(agent.get(), &out, nullptr) == COFFER_OK);
  CHECK(TakeJson(out)["write_only"] == true);

  coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
  struct Once {
    bool done = false;
  } once;
  REQUIRE(coffer_backup_options_add_stream(
              opts.get(), "/agent.txt",
              [](void* user, uint8_t* buf, size_t) -> int64_t {
                auto* o = static_cast<Once*>(user);
                if (o->done) return 0;
                o->done = true;
                buf[0] = 'A';
                return 1;
              },
              &once, nullptr) == COFFER_OK);
  CError err;
  REQUIRE(coffer_backup(agent.get(), opts.get(), &out, err.out()) == COFFER_OK);
  coffer_free(out);

  CHECK(coffer_snapshots_list(agent.get(), nullptr, &out, err.out()) ==
        COFFER_ERROR_PERMISSION_DENIED);
  CHECK(err.message().find("write-only") != std::string::npos);
  coffer::testing::RestoreOptionsPtr r(coffer_restore_options_new());
  REQUIRE(coffer_restore_options_set_target(r.get(), (dir / "out").c_str(), nullptr) == COFFER_OK);
  CHECK(coffer_restore(agent.get(), r.get(), &out, err.out()) == COFFER_ERROR_PERMISSION_DENIED);
  CHECK(coffer_key_add(agent.get(), "x", nullptr, 0, nullptr, err.out()) ==
        COFFER_ERROR_PERMISSION_DENIED);

  // The full key reads the agent's snapshot.
  REQUIRE(coffer_snapshots_list(repo.get(), nullptr, &out, nullptr) == COFFER_OK);
  CHECK(TakeJson(out).size() == 1);
}
