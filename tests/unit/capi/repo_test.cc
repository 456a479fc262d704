// Creating and opening repositories through the C API.
#include "capi_test_util.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using coffer::testing::TempDir;

TEST_CASE("init creates a repository that open then opens") {
  TempDir dir;
  std::string location = (dir / "repo").string();
  {
    auto repo = coffer::testing::InitRepo(location);
    char* info = nullptr;
    REQUIRE(coffer_repo_info(repo.get(), &info, nullptr) == COFFER_OK);
    nlohmann::json j = TakeJson(info);
    CHECK(j["format_version"] == 1);
    CHECK(j["repo_id"].get<std::string>().size() == 64);
    CHECK(j["chunker"]["avg_size"] == 16384);
    CHECK(j["compression"]["codec"] == "zstd");
    CHECK(j["pack_size"] == coffer_default_pack_size());
    CHECK(j["write_only"] == false);
    CHECK(j["location"] == location);
  }
  auto reopened = coffer::testing::OpenRepo(location);
  CHECK(reopened != nullptr);
}

TEST_CASE("init options reach the repository config") {
  TempDir dir;
  coffer_init_options* o = coffer::testing::FastInitOptions();
  REQUIRE(coffer_init_options_set_compression(o, "zstd", 5, nullptr) == COFFER_OK);
  REQUIRE(coffer_init_options_set_pack_size(o, 4u << 20, nullptr) == COFFER_OK);
  REQUIRE(coffer_init_options_set_data_cipher(o, "xchacha20-poly1305", nullptr) == COFFER_OK);
  coffer_repo* repo = nullptr;
  REQUIRE(coffer_repo_init((dir / "r").c_str(), "pw", o, &repo, nullptr) == COFFER_OK);
  coffer_init_options_free(o);
  char* info = nullptr;
  REQUIRE(coffer_repo_info(repo, &info, nullptr) == COFFER_OK);
  nlohmann::json j = TakeJson(info);
  CHECK(j["compression"]["codec"] == "zstd");
  CHECK(j["compression"]["level"] == 5);
  CHECK(j["pack_size"] == 4u << 20);
  CHECK(j["data_cipher"] == "xchacha20-poly1305");
  coffer_repo_close(repo);
}

TEST_CASE("init where a repository exists is ALREADY_EXISTS") {
  TempDir dir;
  std::string location = (dir / "repo").string();
  coffer::testing::InitRepo(location);
  coffer_repo* repo = nullptr;
  CError err;
  CHECK(coffer_repo_init(location.c_str(), "other", nullptr, &repo, err.out()) ==
        COFFER_ERROR_ALREADY_EXISTS);
  CHECK(repo == nullptr);
  CHECK(err.message().find("already exists") != std::string::npos);
}

TEST_CASE("a wrong password is WRONG_PASSWORD") {
  TempDir dir;
  std::string location = (dir / "repo").string();
  coffer::testing::InitRepo(location, "right");
  coffer_repo* repo = nullptr;
  CError err;
  CHECK(coffer_repo_open(location.c_str(), "wrong", &repo, err.out()) ==
        COFFER_ERROR_WRONG_PASSWORD);
  CHECK(repo == nullptr);
  CHECK(err.code() == COFFER_ERROR_WRONG_PASSWORD);
  CHECK(err.message().find("wrong password") != std::string::npos);
}

TEST_CASE("a path without a repository is NOT_FOUND") {
  TempDir dir;
  coffer_repo* repo = nullptr;
  CError err;
  CHECK(coffer_repo_open((dir / "nothing-here").c_str(), "pw", &repo, err.out()) ==
        COFFER_ERROR_NOT_FOUND);
  CHECK(err.message().find("no coffer repository") != std::string::npos);
  // An existing but empty directory is no repository either.
  CHECK(coffer_repo_open(dir.path().c_str(), "pw", &repo, err.out()) == COFFER_ERROR_NOT_FOUND);
}

TEST_CASE("an unknown location scheme is INVALID_ARGUMENT naming it") {
  coffer_repo* repo = nullptr;
  CError err;
  CHECK(coffer_repo_open("ftp://example.com/repo", "pw", &repo, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message().find("ftp") != std::string::npos);
}

TEST_CASE("a handle keeps its index cache where set_cache_dir says, and none after NULL") {
  TempDir dir;
  std::string location = (dir / "repo").string();
  auto repo = coffer::testing::InitRepo(location);
  char* info = nullptr;
  REQUIRE(coffer_repo_info(repo.get(), &info, nullptr) == COFFER_OK);
  const std::string repo_id = TakeJson(info)["repo_id"];
  coffer::testing::WriteFile(dir / "source" / "a.txt", "some data\n");
  auto backup = [&] {
    coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
    REQUIRE(coffer_backup_options_add_path(opts.get(), (dir / "source").c_str(), nullptr) == COFFER_OK);
    coffer_backup_options_set_files_cache(opts.get(), 0);
    char* result = nullptr;
    REQUIRE(coffer_backup(repo.get(), opts.get(), &result, nullptr) == COFFER_OK);
    coffer_free(result);
  };

  CError err;
  CHECK(coffer_repo_set_cache_dir(repo.get(), "", err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  REQUIRE(coffer_repo_set_cache_dir(repo.get(), (dir / "cache").c_str(), nullptr) == COFFER_OK);
  backup();
  CHECK(std::filesystem::exists(dir / "cache" / repo_id / "index"));

  // The default: under $XDG_CACHE_HOME (the test support points it at a
  // directory of its own).
  auto reopened = coffer::testing::OpenRepo(location);
  char* stats = nullptr;
  REQUIRE(coffer_stats(reopened.get(), nullptr, &stats, nullptr) == COFFER_OK);
  coffer_free(stats);
  CHECK(std::filesystem::exists(std::filesystem::path(std::getenv("XDG_CACHE_HOME")) / "coffer" / repo_id / "index"));

  std::filesystem::remove_all(dir / "cache");
  REQUIRE(coffer_repo_set_cache_dir(repo.get(), nullptr, nullptr) == COFFER_OK);
  backup();
  CHECK_FALSE(std::filesystem::exists(dir / "cache"));
}
