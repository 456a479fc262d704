// Policies applied to backup options, and job summaries, through the C API.
#include <filesystem>
#include <string>

#include "capi_test_util.h"
#include "coffer/coffer.hpp"
#include "support/temp_dir.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using nlohmann::json;

namespace {

json Summary(const char* kind, const json& result) {
  char* out = nullptr;
  CError err;
  coffer_status s = coffer_job_summary(kind, result.dump().c_str(), &out, err.out());
  INFO(err.message());
  REQUIRE(s == COFFER_OK);
  return TakeJson(out);
}

}  // namespace

TEST_CASE("coffer_job_summary totals a backup result") {
  json backup = {{"snapshot_id", "abcdef0123"},
                 {"short_id", "abcdef01"},
                 {"partial", false},
                 {"summary",
                  {{"files_new", 2},
                   {"files_changed", 1},
                   {"files_unchanged", 4},
                   {"bytes_total", 3 * 1024 * 1024},
                   {"bytes_added", 2048},
                   {"bytes_added_stored", 1024},
                   {"errors", 0},
                   {"duration_seconds", 1.5}}}};
  json s = Summary("backup", backup);
  CHECK(s["kind"] == "backup");
  CHECK(s["ok"] == true);
  CHECK(s["snapshot_id"] == "abcdef0123");
  CHECK(s["files"] == 7);
  CHECK(s["bytes"] == 3 * 1024 * 1024);
  CHECK(s["bytes_added_stored"] == 1024);
  CHECK(s["duration_seconds"] == 1.5);
  CHECK(s["text"] == "snapshot abcdef01: 7 files, 3.0 MiB, added 1.0 KiB stored");

  SECTION("a partial backup is not ok") {
    backup["partial"] = true;
    backup["summary"]["errors"] = 2;
    json p = Summary("backup", backup);
    CHECK(p["ok"] == false);
    CHECK(p["errors"] == 2);
  }
}

TEST_CASE("coffer_job_summary knows restore, forget, prune and check") {
  CHECK(Summary("restore", {{"snapshot_id", "ab"}, {"files", 3}, {"bytes", 10}})["files"] == 3);
  CHECK(Summary("forget", {{"removed", {"a", "b"}}, {"decisions", json::array()}})["files"] == 2);
  CHECK(Summary("prune", {{"bytes_freed", 99}})["bytes"] == 99);
  json damaged = Summary("check", {{"ok", false}, {"errors", {{{"object", "x"}}}}});
  CHECK(damaged["ok"] == false);
  CHECK(damaged["errors"] == 1);
}

TEST_CASE("coffer_job_summary refuses unknown kinds and non-objects") {
  char* out = reinterpret_cast<char*>(1);
  CError err;
  CHECK(coffer_job_summary("dance", "{}", &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(out == nullptr);
  CHECK(err.message().find("dance") != std::string::npos);
  CHECK(coffer_job_summary("backup", "[1]", &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(coffer_job_summary("backup", "{", &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("coffer_backup_options_apply_policy backs up what the policy names") {
  coffer::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "src" / "keep");
  std::filesystem::create_directories(dir.path() / "src" / "skip");
  {
    std::FILE* f = std::fopen((dir.path() / "src" / "keep" / "a.txt").c_str(), "w");
    std::fputs("hello", f);
    std::fclose(f);
    f = std::fopen((dir.path() / "src" / "skip" / "b.txt").c_str(), "w");
    std::fputs("bye", f);
    std::fclose(f);
  }
  json policy = {
      {"paths", {(dir.path() / "src").string()}}, {"excludes", {"skip"}}, {"tags", {"nightly"}}};
  coffer_backup_options* opts = coffer_backup_options_new();
  CError err;
  REQUIRE(coffer_backup_options_apply_policy(opts, policy.dump().c_str(), err.out()) == COFFER_OK);

  coffer::testing::RepoPtr repo = coffer::testing::InitRepo((dir.path() / "repo").string());
  coffer_backup_options_set_cache_dir(opts, (dir.path() / "cache").c_str(), nullptr);
  char* result = nullptr;
  REQUIRE(coffer_backup(repo.get(), opts, &result, err.out()) == COFFER_OK);
  json r = TakeJson(result);
  CHECK(r["tags"] == json{"nightly"});
  char* found = nullptr;
  REQUIRE(coffer_find(repo.get(), "*.txt", nullptr, &found, err.out()) == COFFER_OK);
  json files = TakeJson(found);
  REQUIRE(files.size() == 1);
  CHECK(files[0]["path"].get<std::string>().find("keep/a.txt") != std::string::npos);
  coffer_backup_options_free(opts);
}

TEST_CASE("coffer_backup_options_apply_policy refuses a policy without paths or with a bad field") {
  CError err;
  {
    coffer_backup_options* o = coffer_backup_options_new();
    CHECK(coffer_backup_options_apply_policy(o, R"({"name": "x"})", err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("paths") != std::string::npos);
    // Paths present, another field of the wrong kind: refused for that field.
    CHECK(coffer_backup_options_apply_policy(o, R"({"paths": ["/"], "retention": {"keep_daily": -7}})",
                                             err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("keep_daily") != std::string::npos);
    CHECK(coffer_backup_options_apply_policy(o, R"({"paths": ["/", 42]})", err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("paths[1]") != std::string::npos);
    coffer_backup_options_free(o);
  }
}

TEST_CASE("the C++ wrapper applies a policy and throws on an invalid one") {
  coffer::api::BackupOptions options;
  options.apply_policy(R"({"paths": ["/tmp"], "excludes": ["*.tmp"]})");
  try {
    options.apply_policy(R"({"paths": "/tmp"})");
    FAIL("an invalid policy was accepted");
  } catch (const coffer::api::Error& e) {
    CHECK(e.code() == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(e.what()).find("paths") != std::string::npos);
  }
}
