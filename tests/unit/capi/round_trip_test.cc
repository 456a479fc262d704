// A full round trip through the C API: init, backup a small tree, browse
// the catalog, restore and compare.
#include <filesystem>

#include "capi_test_util.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using coffer::testing::TempDir;
namespace fs = std::filesystem;

namespace {

void BuildTree(const fs::path& root) {
  coffer::testing::WriteFile(root / "hello.txt", "hello, world\n");
  coffer::testing::WriteFile(root / "docs" / "report.pdf", "%PDF-1.4 not really");
  auto big = coffer::testing::RandomBytes(300 * 1024, 7);
  coffer::testing::WriteFile(root / "data" / "big.bin", std::string(big.begin(), big.end()));
  coffer::testing::WriteFile(root / "data" / "copy.bin", std::string(big.begin(), big.end()));
  coffer::testing::WriteFile(root / "skip.tmp", "excluded");
  fs::create_symlink("hello.txt", root / "link");
}

nlohmann::json Backup(coffer_repo* repo, const fs::path& source, const char* tag) {
  coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
  REQUIRE(coffer_backup_options_add_path(opts.get(), source.c_str(), nullptr) == COFFER_OK);
  REQUIRE(coffer_backup_options_add_exclude(opts.get(), "*.tmp", nullptr) == COFFER_OK);
  REQUIRE(coffer_backup_options_add_tag(opts.get(), tag, nullptr) == COFFER_OK);
  REQUIRE(coffer_backup_options_set_host(opts.get(), "test-host", nullptr) == COFFER_OK);
  coffer_backup_options_set_files_cache(opts.get(), 0);
  char* result = nullptr;
  CError err;
  coffer_status s = coffer_backup(repo, opts.get(), &result, err.out());
  INFO(err.message());
  REQUIRE(s == COFFER_OK);
  return TakeJson(result);
}

}  // namespace

TEST_CASE("backup, list, ls, find, stats and restore round-trip through the C API") {
  TempDir dir;
  fs::path source = dir / "source";
  BuildTree(source);
  auto repo = coffer::testing::InitRepo((dir / "repo").string());

  nlohmann::json first = Backup(repo.get(), source, "daily");
  CHECK(first["snapshot_id"].get<std::string>().size() == 64);
  CHECK(first["partial"] == false);
  CHECK(first["host"] == "test-host");
  CHECK(first["tags"] == nlohmann::json{"daily"});
  CHECK(first["paths"] == nlohmann::json{source.string()});
  CHECK(first["summary"]["files_new"] == 4);
  CHECK(first["summary"]["bytes_total"].get<uint64_t>() > 600 * 1024);
  // copy.bin deduplicates against big.bin.
  CHECK(first["summary"]["bytes_added"].get<uint64_t>() < 400 * 1024);
  CHECK(first["errors"].empty());
  CHECK(first["time"].get<std::string>().back() == 'Z');

  nlohmann::json second = Backup(repo.get(), source, "weekly");
  CHECK(second["summary"]["bytes_added"].get<uint64_t>() < 64 * 1024);  // nothing new but trees

  SECTION("snapshots_list, with and without filters") {
    char* out = nullptr;
    REQUIRE(coffer_snapshots_list(repo.get(), nullptr, &out, nullptr) == COFFER_OK);
    nlohmann::json all = TakeJson(out);
    REQUIRE(all.size() == 2);
    CHECK(all[0]["id"] == first["snapshot_id"]);
    CHECK(all[0]["short_id"] == all[0]["id"].get<std::string>().substr(0, 8));
    CHECK(all[1]["parent"] == first["snapshot_id"]);
    CHECK(all[0]["summary"]["files_new"] == 4);
    CHECK(all[0]["tree"].get<std::string>().size() == 64);
    REQUIRE(coffer_snapshots_list(repo.get(), R"({"tags": ["weekly"]})", &out, nullptr) ==
            COFFER_OK);
    nlohmann::json weekly = TakeJson(out);
    REQUIRE(weekly.size() == 1);
    CHECK(weekly[0]["id"] == second["snapshot_id"]);
    REQUIRE(coffer_snapshots_list(repo.get(), R"({"hosts": ["elsewhere"]})", &out, nullptr) ==
            COFFER_OK);
    CHECK(TakeJson(out).empty());
  }

  SECTION("snapshot_ls lists a directory and recursively") {
    char* out = nullptr;
    std::string data = (source / "data").string();
    REQUIRE(coffer_snapshot_ls(repo.get(), "latest", data.c_str(), 0, &out, nullptr) == COFFER_OK);
    nlohmann::json nodes = TakeJson(out);
    REQUIRE(nodes.size() == 3);  // the directory itself and its two files
    CHECK(nodes[0]["path"] == data);
    CHECK(nodes[0]["type"] == "dir");
    CHECK(nodes[1]["name"] == "big.bin");
    CHECK(nodes[1]["size"] == 300 * 1024);
    CHECK(nodes[1]["type"] == "file");

    REQUIRE(coffer_snapshot_ls(repo.get(),
                               first["snapshot_id"].get<std::string>().substr(0, 6).c_str(),
                               source.c_str(), 1, &out, nullptr) == COFFER_OK);
    nlohmann::json everything = TakeJson(out);
    bool saw_link = false, saw_tmp = false;
    for (const auto& n : everything) {
      if (n["name"] == "link") {
        saw_link = true;
        CHECK(n["type"] == "symlink");
        CHECK(n["link_target"] == "hello.txt");
      }
      if (n["name"] == "skip.tmp") saw_tmp = true;
    }
    CHECK(saw_link);
    CHECK_FALSE(saw_tmp);

    CError err;
    CHECK(coffer_snapshot_ls(repo.get(), "latest", "/no/such/path", 0, &out, err.out()) ==
          COFFER_ERROR_NOT_FOUND);
    CHECK(coffer_snapshot_ls(repo.get(), "ffffffff", nullptr, 0, &out, err.out()) ==
          COFFER_ERROR_NOT_FOUND);
  }

  SECTION("find matches names in every snapshot") {
    char* out = nullptr;
    REQUIRE(coffer_find(repo.get(), "*.pdf", nullptr, &out, nullptr) == COFFER_OK);
    nlohmann::json matches = TakeJson(out);
    REQUIRE(matches.size() == 2);
    CHECK(matches[0]["path"] == (source / "docs" / "report.pdf").string());
    CHECK(matches[0]["type"] == "file");
    CHECK(matches[0]["snapshot_id"] != matches[1]["snapshot_id"]);
    REQUIRE(coffer_find(repo.get(), "*.pdf", R"({"tags": ["daily"]})", &out, nullptr) == COFFER_OK);
    CHECK(TakeJson(out).size() == 1);
  }

  SECTION("stats reports deduplication") {
    char* out = nullptr;
    REQUIRE(coffer_stats(repo.get(), nullptr, &out, nullptr) == COFFER_OK);
    nlohmann::json s = TakeJson(out);
    CHECK(s["snapshots"] == 2);
    CHECK(s["files"] == 8);
    CHECK(s["logical_bytes"].get<uint64_t>() > 1200 * 1024);
    CHECK(s["unique_bytes"].get<uint64_t>() < 400 * 1024);
    CHECK(s["dedup_ratio"].get<double>() > 3.0);
    CHECK(s["repository_bytes"].get<uint64_t>() > 0);

    std::string filter =
        nlohmann::json{{"ids", {first["snapshot_id"].get<std::string>().substr(0, 8)}}}.dump();
    REQUIRE(coffer_stats(repo.get(), filter.c_str(), &out, nullptr) == COFFER_OK);
    nlohmann::json one = TakeJson(out);
    CHECK(one["snapshots"] == 1);
    CHECK(one["files"] == 4);
    CHECK(one["unique_bytes"] == s["unique_bytes"]);
  }

  SECTION("restore reproduces the tree") {
    coffer::testing::RestoreOptionsPtr opts(coffer_restore_options_new());
    fs::path target = dir / "restored";
    REQUIRE(coffer_restore_options_set_target(opts.get(), target.c_str(), nullptr) == COFFER_OK);
    REQUIRE(coffer_restore_options_set_snapshot(opts.get(), "latest", nullptr) == COFFER_OK);
    char* out = nullptr;
    CError err;
    coffer_status s = coffer_restore(repo.get(), opts.get(), &out, err.out());
    INFO(err.message());
    REQUIRE(s == COFFER_OK);
    nlohmann::json r = TakeJson(out);
    CHECK(r["files"] == 4);
    CHECK(r["symlinks"] == 1);
    CHECK(r["bytes"].get<uint64_t>() > 600 * 1024);
    CHECK(r["snapshot_id"] == second["snapshot_id"]);
    fs::remove(source / "skip.tmp");  // excluded from the backup
    auto diffs = coffer::testing::CompareTrees(source, target / source.relative_path());
    for (const auto& d : diffs) UNSCOPED_INFO(d);
    CHECK(diffs.empty());

    SECTION("restoring again refuses to overwrite, unless asked to") {
      CHECK(coffer_restore(repo.get(), opts.get(), &out, err.out()) == COFFER_ERROR_ALREADY_EXISTS);
      CHECK(out == nullptr);
      coffer_restore_options_set_overwrite(opts.get(), 1);
      CHECK(coffer_restore(repo.get(), opts.get(), &out, err.out()) == COFFER_OK);
      coffer_free(out);
    }
  }

  SECTION("restore of an included path only") {
    coffer::testing::RestoreOptionsPtr opts(coffer_restore_options_new());
    fs::path target = dir / "partial";
    REQUIRE(coffer_restore_options_set_target(opts.get(), target.c_str(), nullptr) == COFFER_OK);
    REQUIRE(coffer_restore_options_add_include(opts.get(), (source / "docs").c_str(), nullptr) ==
            COFFER_OK);
    char* out = nullptr;
    REQUIRE(coffer_restore(repo.get(), opts.get(), &out, nullptr) == COFFER_OK);
    CHECK(TakeJson(out)["files"] == 1);
    CHECK(fs::exists(target / source.relative_path() / "docs" / "report.pdf"));
    CHECK_FALSE(fs::exists(target / source.relative_path() / "hello.txt"));
  }
}
