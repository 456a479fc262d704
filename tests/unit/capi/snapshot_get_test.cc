// coffer_snapshot_get: one snapshot by "latest", id or prefix, resolved as
// restore resolves it, without reading the other snapshot objects.
#include <filesystem>
#include <fstream>

#include "capi_test_util.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using coffer::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string BackupTagged(coffer_repo* repo, const fs::path& source, const char* tag) {
  coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
  REQUIRE(coffer_backup_options_add_path(opts.get(), source.c_str(), nullptr) == COFFER_OK);
  REQUIRE(coffer_backup_options_add_tag(opts.get(), tag, nullptr) == COFFER_OK);
  coffer_backup_options_set_files_cache(opts.get(), 0);
  char* result = nullptr;
  CError err;
  coffer_status s = coffer_backup(repo, opts.get(), &result, err.out());
  INFO(err.message());
  REQUIRE(s == COFFER_OK);
  return TakeJson(result)["snapshot_id"].get<std::string>();
}

void FlipByte(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(static_cast<std::streamoff>(fs::file_size(file) / 2));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
  f.put(static_cast<char>(c ^ 0x40));
}

}  // namespace

TEST_CASE("snapshot_get returns one snapshot by latest, full id or unique prefix") {
  TempDir dir;
  coffer::testing::WriteFile(dir / "src" / "a.txt", "alpha");
  auto repo = coffer::testing::InitRepo((dir / "repo").string());
  char* out = nullptr;
  CError err;

  SECTION("an empty repository has no latest snapshot") {
    CHECK(coffer_snapshot_get(repo.get(), "latest", &out, err.out()) == COFFER_ERROR_NOT_FOUND);
    CHECK(out == nullptr);
    CHECK(err.code() == COFFER_ERROR_NOT_FOUND);
  }

  SECTION("the same object as in the list, for each kind of reference") {
    std::string first = BackupTagged(repo.get(), dir / "src", "one");
    std::string second = BackupTagged(repo.get(), dir / "src", "two");
    REQUIRE(coffer_snapshots_list(repo.get(), nullptr, &out, nullptr) == COFFER_OK);
    nlohmann::json list = TakeJson(out);
    REQUIRE(list.size() == 2);

    REQUIRE(coffer_snapshot_get(repo.get(), "latest", &out, nullptr) == COFFER_OK);
    CHECK(TakeJson(out) == list[1]);
    REQUIRE(coffer_snapshot_get(repo.get(), first.c_str(), &out, nullptr) == COFFER_OK);
    nlohmann::json by_id = TakeJson(out);
    CHECK(by_id == list[0]);
    CHECK(by_id["tags"] == nlohmann::json::array({"one"}));
    REQUIRE(coffer_snapshot_get(repo.get(), second.substr(0, 8).c_str(), &out, nullptr) ==
            COFFER_OK);
    CHECK(TakeJson(out)["id"] == second);
  }

  SECTION("bad references name the problem") {
    std::string id = BackupTagged(repo.get(), dir / "src", "one");
    std::string other = id[0] == 'f' ? "eeee" : "ffff";
    CHECK(coffer_snapshot_get(repo.get(), other.c_str(), &out, err.out()) ==
          COFFER_ERROR_NOT_FOUND);
    CHECK(err.message().find(other) != std::string::npos);
    CHECK(coffer_snapshot_get(repo.get(), id.substr(0, 3).c_str(), &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_snapshot_get(repo.get(), "not-hex!", &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_snapshot_get(repo.get(), nullptr, &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("snapshot_ref") != std::string::npos);
    CHECK(coffer_snapshot_get(repo.get(), "latest", nullptr, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(out == nullptr);
  }

  SECTION("a damaged snapshot is CORRUPT and does not hide the others") {
    std::string first = BackupTagged(repo.get(), dir / "src", "one");
    std::string second = BackupTagged(repo.get(), dir / "src", "two");
    fs::path damaged;
    for (const auto& e : fs::recursive_directory_iterator(dir / "repo" / "snapshots"))
      if (e.is_regular_file() && e.path().filename().string() == first) damaged = e.path();
    REQUIRE(!damaged.empty());
    FlipByte(damaged);
    CHECK(coffer_snapshot_get(repo.get(), first.c_str(), &out, err.out()) == COFFER_ERROR_CORRUPT);
    CHECK(err.message().find("snapshots/") != std::string::npos);
    REQUIRE(coffer_snapshot_get(repo.get(), second.c_str(), &out, nullptr) == COFFER_OK);
    CHECK(TakeJson(out)["id"] == second);
  }

  SECTION("a write-only key cannot read snapshots") {
    BackupTagged(repo.get(), dir / "src", "one");
    REQUIRE(coffer_key_add(repo.get(), "agent", nullptr, 1, nullptr, nullptr) == COFFER_OK);
    auto agent = coffer::testing::OpenRepo((dir / "repo").string(), "agent");
    CHECK(coffer_snapshot_get(agent.get(), "latest", &out, err.out()) ==
          COFFER_ERROR_PERMISSION_DENIED);
  }
}
