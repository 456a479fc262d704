// Opening, creating, describing and closing repositories.
#include <filesystem>
#include <memory>
#include <new>
#include <optional>

#include "capi/error.h"
#include "capi/handles.h"
#include "capi/json_views.h"
#include "capi/mirror.h"
#include "capi/output.h"
#include "base/cache_dir.h"
#include "store/store_registry.h"

using coffer::capi::Cat;
using coffer::capi::Fail;
using coffer::capi::Guard;

namespace {

coffer_repo* NewHandle(std::string location, std::unique_ptr<coffer::Repository> repo) {
  // Loading the index reads a local cache of it after the first time.
  repo->set_cache_dir(coffer::DefaultCacheDir());
  auto handle = std::make_unique<coffer_repo>();
  handle->location = std::move(location);
  handle->repo = std::move(repo);
  return handle.release();
}

}  // namespace

extern "C" {

COFFER_API coffer_status coffer_repo_init(const char* location, const char* password,
                                          const coffer_init_options* opts, coffer_repo** out,
                                          coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(out);
    *out = nullptr;
    COFFER_CAPI_REQUIRE(location);
    COFFER_CAPI_REQUIRE(password);
    coffer::InitOptions init = opts != nullptr ? opts->init : coffer::InitOptions{};
    // A fresh salt for every repository, even when one options object
    // serves several inits.
    coffer::KdfParams kdf = coffer::NewKdfParams();
    kdf.ops_limit = init.kdf.ops_limit;
    kdf.mem_limit = init.kdf.mem_limit;
    init.kdf = std::move(kdf);
    auto store = coffer::capi::OpenRepoStore(location, opts != nullptr ? opts->mirror : "");
    if (!store.ok()) return Fail(err, store.status());
    auto repo = coffer::Repository::Init(std::move(*store), password, init);
    if (!repo.ok()) return Fail(err, repo.status());
    *out = NewHandle(location, std::move(*repo));
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_repo_open(const char* location, const char* password,
                                          coffer_repo** out, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(out);
    *out = nullptr;
    COFFER_CAPI_REQUIRE(location);
    COFFER_CAPI_REQUIRE(password);
    auto store = coffer::OpenStore(location);
    if (!store.ok()) return Fail(err, store.status());
    auto repo = coffer::Repository::Open(std::move(*store), password);
    if (!repo.ok()) return Fail(err, repo.status());
    *out = NewHandle(location, std::move(*repo));
    return COFFER_OK;
  });
}

COFFER_API void coffer_repo_close(coffer_repo* repo) { delete repo; }

COFFER_API coffer_status coffer_repo_info(coffer_repo* repo, char** json_out, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(json_out);
    *json_out = nullptr;
    COFFER_CAPI_LEASE(repo);
    return coffer::capi::ReturnJson(coffer::capi::RepoInfoJson(repo->location, *repo->repo),
                                    json_out);
  });
}

COFFER_API coffer_status coffer_repo_set_cache_dir(coffer_repo* repo, const char* dir,
                                                   coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_LEASE(repo);
    if (dir != nullptr && *dir == '\0')
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "the cache directory is empty (NULL turns the cache off)");
    repo->repo->set_cache_dir(dir == nullptr ? std::nullopt : std::optional<std::filesystem::path>(dir));
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_repo_set_kdf(coffer_repo* repo, uint64_t ops_limit,
                                             uint64_t mem_limit_bytes, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_LEASE(repo);
    coffer::KdfParams params = coffer::NewKdfParams();
    params.ops_limit = ops_limit;
    params.mem_limit = mem_limit_bytes;
    absl::Status valid = coffer::ValidateKdfParams(params);
    if (!valid.ok())
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, Cat("key derivation: ", valid.message()));
    repo->kdf_ops_limit = ops_limit;
    repo->kdf_mem_limit = mem_limit_bytes;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_repo_set_lock_wait(coffer_repo* repo, int64_t seconds,
                                                   coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_LEASE(repo);
    if (seconds < 0)
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  Cat("lock wait must be 0 or more seconds, not ", seconds));
    repo->repo->set_lock_wait_seconds(seconds);
    return COFFER_OK;
  });
}

}  // extern "C"
