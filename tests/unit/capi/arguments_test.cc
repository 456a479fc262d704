// Bad arguments: NULLs, invalid options and malformed filters fail with
// COFFER_ERROR_INVALID_ARGUMENT and a message that names the culprit.
#include "capi_test_util.h"
#include "support/temp_dir.h"

using coffer::testing::CError;
using coffer::testing::TempDir;

namespace {

bool Mentions(const CError& err, const std::string& text) {
  return err.message().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("NULL required arguments are INVALID_ARGUMENT naming the argument") {
  CError err;
  coffer_repo* repo = reinterpret_cast<coffer_repo*>(0x1);

  SECTION("open") {
    CHECK(coffer_repo_open(nullptr, "pw", &repo, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(repo == nullptr);  // out-parameters are cleared on failure
    CHECK(err.message() == "coffer_repo_open: argument `location` is NULL");
    CHECK(coffer_repo_open("/tmp/x", nullptr, &repo, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(Mentions(err, "password"));
    CHECK(coffer_repo_open("/tmp/x", "pw", nullptr, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(Mentions(err, "out"));
  }
  SECTION("init") {
    CHECK(coffer_repo_init(nullptr, "pw", nullptr, &repo, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(Mentions(err, "location"));
  }
  SECTION("operations on a NULL handle") {
    char* out = nullptr;
    CHECK(coffer_repo_info(nullptr, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(Mentions(err, "repo"));
    CHECK(coffer_backup(nullptr, nullptr, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_restore(nullptr, nullptr, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_snapshots_list(nullptr, nullptr, &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_snapshot_ls(nullptr, "latest", nullptr, 0, &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_snapshot_get(nullptr, "latest", &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_check_with_progress(nullptr, nullptr, nullptr, nullptr, &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_find(nullptr, "*", nullptr, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_stats(nullptr, nullptr, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_key_list(nullptr, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_key_add(nullptr, "pw", nullptr, 0, &out, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_key_remove(nullptr, "abcd", err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(coffer_key_change_password(nullptr, "pw", err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(out == nullptr);
  }
  SECTION("err may be NULL") {
    CHECK(coffer_repo_open(nullptr, nullptr, nullptr, nullptr) == COFFER_ERROR_INVALID_ARGUMENT);
  }
  coffer_repo_close(nullptr);
}

TEST_CASE("option setters copy strings and reject NULL and out-of-range values") {
  CError err;
  coffer_backup_options* b = coffer_backup_options_new();
  REQUIRE(b != nullptr);
  CHECK(coffer_backup_options_add_path(b, nullptr, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "path"));
  CHECK(coffer_backup_options_add_tag(b, "", err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(coffer_backup_options_add_stream(b, "/x", nullptr, nullptr, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "read"));
  std::string path = "/some/where";
  CHECK(coffer_backup_options_add_path(b, path.c_str(), err.out()) == COFFER_OK);
  path.assign("clobbered");  // the option object holds its own copy
  coffer_backup_options_free(b);
  coffer_backup_options_free(nullptr);

  coffer_init_options* i = coffer_init_options_new();
  REQUIRE(i != nullptr);
  CHECK(coffer_init_options_set_compression(i, "brotli", 0, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "brotli"));
  CHECK(coffer_init_options_set_compression(i, "zstd", 19, err.out()) == COFFER_OK);
  CHECK(coffer_init_options_set_chunker(i, 4096, 3000, 65536, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "chunker"));
  CHECK(coffer_init_options_set_pack_size(i, 1000, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "pack size"));
  CHECK(coffer_init_options_set_kdf(i, 0, 8u << 20, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(coffer_init_options_set_data_cipher(i, "rot13", err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(coffer_init_options_set_data_cipher(i, "xchacha20-poly1305", err.out()) == COFFER_OK);
  coffer_init_options_free(i);

  coffer_restore_options* r = coffer_restore_options_new();
  REQUIRE(r != nullptr);
  CHECK(coffer_restore_options_set_target(r, nullptr, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "dir"));
  CHECK(coffer_restore_options_set_snapshot(r, "", err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  coffer_restore_options_free(r);
}

TEST_CASE("malformed filters and missing operands are INVALID_ARGUMENT") {
  TempDir dir;
  auto repo = coffer::testing::InitRepo((dir / "repo").string());
  CError err;
  char* out = nullptr;
  CHECK(coffer_snapshots_list(repo.get(), "{not json", &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "filter_json"));
  CHECK(coffer_snapshots_list(repo.get(), "[1,2]", &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(coffer_snapshots_list(repo.get(), R"({"host": ["a"]})", &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "\"host\""));
  CHECK(coffer_find(repo.get(), "*", R"({"tags": "x"})", &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(coffer_find(repo.get(), nullptr, nullptr, &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "pattern"));
  CHECK(out == nullptr);

  coffer_backup_options* b = coffer_backup_options_new();
  CHECK(coffer_backup(repo.get(), b, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "no path or stream"));
  coffer_backup_options_free(b);

  coffer_restore_options* r = coffer_restore_options_new();
  CHECK(coffer_restore(repo.get(), r, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(Mentions(err, "target"));
  coffer_restore_options_free(r);
}
