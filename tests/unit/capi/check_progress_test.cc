// coffer_check_with_progress: a check reports its progress and stops when
// the callback asks it to.
#include <filesystem>
#include <vector>

#include "capi_test_util.h"
#include "coffer/coffer.hpp"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using coffer::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct CheckLog {
  std::vector<coffer_progress> reports;
  int cancel_on = -1;                // cancel on this call (0-based); -1: never
  bool cancel_when_reading = false;  // cancel on the first report about packs
};

int OnCheckProgress(const coffer_progress* p, void* user) {
  auto* log = static_cast<CheckLog*>(user);
  coffer_progress copy = *p;
  copy.current_path = nullptr;  // valid only during the call
  log->reports.push_back(copy);
  int call = static_cast<int>(log->reports.size()) - 1;
  if (call == log->cancel_on) return 1;
  if (log->cancel_when_reading && p->totals_final) return 1;
  return 0;
}

// A tree with several directories (trees) and enough data for several packs.
void BackupSomething(coffer_repo* repo, const fs::path& source) {
  for (int d = 0; d < 4; ++d) {
    auto bytes = coffer::testing::RandomBytes(700 * 1024, static_cast<uint64_t>(d) + 1);
    coffer::testing::WriteFile(source / ("dir" + std::to_string(d)) / "data.bin",
                               std::string(bytes.begin(), bytes.end()));
  }
  coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
  REQUIRE(coffer_backup_options_add_path(opts.get(), source.c_str(), nullptr) == COFFER_OK);
  coffer_backup_options_set_files_cache(opts.get(), 0);
  REQUIRE(coffer_backup(repo, opts.get(), nullptr, nullptr) == COFFER_OK);
}

}  // namespace

TEST_CASE("check_with_progress reports trees and packs and can be cancelled") {
  TempDir dir;
  coffer_init_options* init = coffer::testing::FastInitOptions();
  REQUIRE(coffer_init_options_set_pack_size(init, 1u << 20, nullptr) == COFFER_OK);
  coffer_repo* raw = nullptr;
  REQUIRE(coffer_repo_init((dir / "repo").c_str(), "secret", init, &raw, nullptr) == COFFER_OK);
  coffer_init_options_free(init);
  coffer::testing::RepoPtr repo(raw);
  BackupSomething(repo.get(), dir / "src");
  CheckLog log;
  char* out = nullptr;
  CError err;

  SECTION("reading data: trees first, then every pack, the last one included") {
    REQUIRE(coffer_check_with_progress(repo.get(), R"({"read_data": true})", OnCheckProgress, &log,
                                       &out, err.out()) == COFFER_OK);
    nlohmann::json result = TakeJson(out);
    CHECK(result["ok"] == true);
    REQUIRE(result["packs_read"].get<uint64_t>() >= 2);
    REQUIRE(log.reports.size() >= 2);
    CHECK(log.reports.front().phase == COFFER_PHASE_VERIFYING);
    CHECK(log.reports.front().totals_final == 0);  // walking trees: no total yet
    CHECK(log.reports.front().files_done == 1);
    const coffer_progress& last = log.reports.back();
    CHECK(last.struct_size == sizeof(coffer_progress));
    CHECK(last.phase == COFFER_PHASE_VERIFYING);
    CHECK(last.totals_final == 1);
    CHECK(last.files_done == result["packs_read"].get<uint64_t>());
    CHECK(last.files_total == last.files_done);
    CHECK(last.bytes_done == result["bytes_read"].get<uint64_t>());
  }

  SECTION("cancelling during the tree walk fails with CANCELLED and no result") {
    log.cancel_on = 0;
    CHECK(coffer_check_with_progress(repo.get(), nullptr, OnCheckProgress, &log, &out, err.out()) ==
          COFFER_ERROR_CANCELLED);
    CHECK(out == nullptr);
    CHECK(err.message().find("cancel") != std::string::npos);
    CHECK(log.reports.size() == 1);
  }

  SECTION("cancelling while packs are read stops before the next pack") {
    log.cancel_when_reading = true;
    CHECK(coffer_check_with_progress(repo.get(), R"({"read_data": true})", OnCheckProgress, &log,
                                     &out, err.out()) == COFFER_ERROR_CANCELLED);
    CHECK(out == nullptr);
    REQUIRE(log.reports.back().totals_final == 1);
    CHECK(log.reports.back().files_done < log.reports.back().files_total);
  }

  SECTION("the handle stays usable, and a NULL callback is a plain check") {
    log.cancel_on = 0;
    REQUIRE(coffer_check_with_progress(repo.get(), nullptr, OnCheckProgress, &log, &out, nullptr) ==
            COFFER_ERROR_CANCELLED);
    REQUIRE(coffer_check_with_progress(repo.get(), nullptr, nullptr, nullptr, &out, err.out()) ==
            COFFER_OK);
    CHECK(TakeJson(out)["ok"] == true);
    REQUIRE(coffer_check(repo.get(), R"({"read_data": true})", &out, err.out()) == COFFER_OK);
    CHECK(TakeJson(out)["ok"] == true);
  }

  SECTION("bad options are rejected before any report") {
    CHECK(coffer_check_with_progress(repo.get(), R"({"read_dta": true})", OnCheckProgress, &log,
                                     &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(log.reports.empty());
    CHECK(coffer_check_with_progress(repo.get(), nullptr, OnCheckProgress, &log, nullptr,
                                     err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("coffer_check_with_progress") != std::string::npos);
    CHECK(coffer_check(repo.get(), nullptr, nullptr, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(err.message().find("coffer_check:") != std::string::npos);
  }

  SECTION("the C++ wrapper stops on false and rethrows what the callback threw") {
    repo.reset();  // one handle at a time is enough here
    auto cxx = coffer::api::Repo::Open((dir / "repo").string(), "secret");
    int calls = 0;
    try {
      cxx.check(R"({"read_data": true})", [&](const coffer::api::Progress& p) {
        ++calls;
        CHECK(p.phase == COFFER_PHASE_VERIFYING);
        return false;
      });
      FAIL("check returned although the callback returned false");
    } catch (const coffer::api::Error& e) {
      CHECK(e.code() == COFFER_ERROR_CANCELLED);
    }
    CHECK(calls == 1);
    CHECK_THROWS_WITH(cxx.check("",
                                [](const coffer::api::Progress&) -> bool {
                                  throw std::runtime_error("from the callback");
                                }),
                      "from the callback");
    CHECK(nlohmann::json::parse(
              cxx.check("", [](const coffer::api::Progress&) { return true; }))["ok"] == true);
  }
}
