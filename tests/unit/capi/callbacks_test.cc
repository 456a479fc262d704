// Progress, cancellation, warnings and stream sources through the C API.
#include <atomic>
#include <cstring>
#include <filesystem>

#include "capi/error.h"
#include "capi_test_util.h"
#include "repo/lock.h"
#include "repo/repository.h"
#include "store/store_registry.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using coffer::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct ProgressLog {
  int calls = 0;
  int cancel_after = -1;  // cancel on this call (0-based); -1: never
  uint64_t max_bytes_done = 0;
  bool saw_struct_size = true;
};

int OnProgress(const coffer_progress* p, void* user) {
  auto* log = static_cast<ProgressLog*>(user);
  if (p->struct_size != sizeof(coffer_progress) || p->current_path == nullptr)
    log->saw_struct_size = false;
  log->max_bytes_done = std::max(log->max_bytes_done, p->bytes_done);
  int call = log->calls++;
  return call == log->cancel_after ? 1 : 0;
}

struct Stream {
  std::string data;
  size_t pos = 0;
  size_t fail_at = std::string::npos;  // return an error once pos reaches this
};

int64_t ReadStream(void* user, uint8_t* buf, size_t cap) {
  auto* s = static_cast<Stream*>(user);
  if (s->pos >= s->fail_at) return -5;
  size_t n = std::min({cap, s->data.size() - s->pos, size_t{7000}});
  std::memcpy(buf, s->data.data() + s->pos, n);
  s->pos += n;
  return static_cast<int64_t>(n);
}

void MakeSource(const fs::path& root) {
  auto bytes = coffer::testing::RandomBytes(512 * 1024, 3);
  for (int i = 0; i < 4; ++i)
    coffer::testing::WriteFile(root / ("f" + std::to_string(i)),
                               std::string(bytes.begin(), bytes.end()) + char('a' + i));
}

}  // namespace

TEST_CASE(
    "the progress callback is called and its cancel request fails the backup with CANCELLED") {
  TempDir dir;
  MakeSource(dir / "src");
  auto repo = coffer::testing::InitRepo((dir / "repo").string());
  coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
  REQUIRE(coffer_backup_options_add_path(opts.get(), (dir / "src").c_str(), nullptr) == COFFER_OK);
  coffer_backup_options_set_files_cache(opts.get(), 0);
  ProgressLog log;

  SECTION("called at least once, with the final byte count") {
    coffer_backup_options_set_progress(opts.get(), OnProgress, &log);
    char* out = nullptr;
    REQUIRE(coffer_backup(repo.get(), opts.get(), &out, nullptr) == COFFER_OK);
    coffer_free(out);
    CHECK(log.calls >= 1);
    CHECK(log.saw_struct_size);
    CHECK(log.max_bytes_done == 4 * (512 * 1024 + 1));
  }
  SECTION("a non-zero return cancels; no snapshot is written") {
    log.cancel_after = 0;
    coffer_backup_options_set_progress(opts.get(), OnProgress, &log);
    char* out = nullptr;
    CError err;
    CHECK(coffer_backup(repo.get(), opts.get(), &out, err.out()) == COFFER_ERROR_CANCELLED);
    CHECK(out == nullptr);
    REQUIRE(coffer_snapshots_list(repo.get(), nullptr, &out, nullptr) == COFFER_OK);
    CHECK(TakeJson(out).empty());
  }
}

TEST_CASE("restore reports progress and can be cancelled") {
  TempDir dir;
  MakeSource(dir / "src");
  auto repo = coffer::testing::InitRepo((dir / "repo").string());
  coffer::testing::BackupOptionsPtr b(coffer_backup_options_new());
  REQUIRE(coffer_backup_options_add_path(b.get(), (dir / "src").c_str(), nullptr) == COFFER_OK);
  REQUIRE(coffer_backup(repo.get(), b.get(), nullptr, nullptr) == COFFER_OK);

  coffer::testing::RestoreOptionsPtr r(coffer_restore_options_new());
  REQUIRE(coffer_restore_options_set_target(r.get(), (dir / "out").c_str(), nullptr) == COFFER_OK);
  ProgressLog log;
  log.cancel_after = 0;
  coffer_restore_options_set_progress(r.get(), OnProgress, &log);
  CError err;
  CHECK(coffer_restore(repo.get(), r.get(), nullptr, err.out()) == COFFER_ERROR_CANCELLED);
  CHECK(log.calls >= 1);
}

TEST_CASE("a stream source is stored as a file; a failing stream makes the snapshot partial") {
  TempDir dir;
  auto repo = coffer::testing::InitRepo((dir / "repo").string());
  Stream good;
  auto bytes = coffer::testing::RandomBytes(100 * 1024, 11);
  good.data.assign(bytes.begin(), bytes.end());
  coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
  REQUIRE(coffer_backup_options_add_stream(opts.get(), "/db/dump.sql", ReadStream, &good,
                                           nullptr) == COFFER_OK);

  SECTION("good stream") {
    char* out = nullptr;
    CError err;
    REQUIRE(coffer_backup(repo.get(), opts.get(), &out, err.out()) == COFFER_OK);
    nlohmann::json result = TakeJson(out);
    CHECK(result["partial"] == false);
    CHECK(result["summary"]["bytes_total"] == 100 * 1024);

    REQUIRE(coffer_snapshot_ls(repo.get(), "latest", "/db/dump.sql", 0, &out, nullptr) ==
            COFFER_OK);
    nlohmann::json nodes = TakeJson(out);
    REQUIRE(nodes.size() == 1);
    CHECK(nodes[0]["size"] == 100 * 1024);

    coffer::testing::RestoreOptionsPtr r(coffer_restore_options_new());
    REQUIRE(coffer_restore_options_set_target(r.get(), (dir / "out").c_str(), nullptr) ==
            COFFER_OK);
    REQUIRE(coffer_restore(repo.get(), r.get(), nullptr, nullptr) == COFFER_OK);
    CHECK(coffer::testing::ReadFile(dir / "out" / "db" / "dump.sql") == good.data);
  }
  SECTION("failing stream: warning, error entry, partial snapshot, COFFER_OK") {
    Stream bad;
    bad.data = "some bytes and then trouble";
    bad.fail_at = 4;
    REQUIRE(coffer_backup_options_add_stream(opts.get(), "/broken.bin", ReadStream, &bad,
                                             nullptr) == COFFER_OK);
    std::vector<std::string> warnings;
    coffer_backup_options_set_warning(
        opts.get(),
        [](const char* path, const char* message, void* user) {
          static_cast<std::vector<std::string>*>(user)->push_back(std::string(path) + ": " +
                                                                  message);
        },
        &warnings);
    char* out = nullptr;
    CError err;
    REQUIRE(coffer_backup(repo.get(), opts.get(), &out, err.out()) == COFFER_OK);
    nlohmann::json result = TakeJson(out);
    CHECK(result["partial"] == true);
    REQUIRE(result["errors"].size() == 1);
    CHECK(result["errors"][0]["path"] == "/broken.bin");
    CHECK(result["summary"]["errors"] == 1);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("/broken.bin") == 0);
  }
}

TEST_CASE("a handle used from inside its own callback is refused, not corrupted") {
  TempDir dir;
  auto repo = coffer::testing::InitRepo((dir / "repo").string());
  Stream s;
  s.data = "x";
  coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
  REQUIRE(coffer_backup_options_add_stream(opts.get(), "/x", ReadStream, &s, nullptr) == COFFER_OK);
  struct Reentry {
    coffer_repo* repo;
    coffer_status status = COFFER_OK;
    std::string message;
  } reentry{repo.get()};
  coffer_backup_options_set_progress(
      opts.get(),
      [](const coffer_progress*, void* user) {
        auto* r = static_cast<Reentry*>(user);
        char* out = nullptr;
        coffer_error* err = nullptr;
        r->status = coffer_snapshots_list(r->repo, nullptr, &out, &err);
        r->message = coffer_error_message(err);
        coffer_error_free(err);
        coffer_free(out);
        return 0;
      },
      &reentry);
  REQUIRE(coffer_backup(repo.get(), opts.get(), nullptr, nullptr) == COFFER_OK);
  CHECK(reentry.status == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(reentry.message.find("in use") != std::string::npos);
}

TEST_CASE("backup while another process holds the exclusive lock is LOCKED") {
  TempDir dir;
  std::string location = (dir / "repo").string();
  auto repo = coffer::testing::InitRepo(location);
  // Hold an exclusive lock as prune would.
  auto store = coffer::OpenStore(location);
  REQUIRE(store.ok());
  auto internal = coffer::Repository::Open(std::move(*store), "secret");
  REQUIRE(internal.ok());
  auto lock = coffer::RepoLock::Acquire((*internal)->store(), (*internal)->keys().index_key, true);
  REQUIRE(lock.ok());

  Stream s;
  s.data = "x";
  coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
  REQUIRE(coffer_backup_options_add_stream(opts.get(), "/x", ReadStream, &s, nullptr) == COFFER_OK);
  CError err;
  CHECK(coffer_backup(repo.get(), opts.get(), nullptr, err.out()) == COFFER_ERROR_LOCKED);
  CHECK(err.message().find("locked") != std::string::npos);
}
