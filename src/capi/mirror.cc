// Mirrored repositories: every object written to a primary store and a
// replica (see coffer.h, "Replication").
#include "capi/mirror.h"

#include "capi/error.h"
#include "capi/handles.h"
#include "capi/output.h"
#include "store/mirror_store.h"
#include "store/store_registry.h"

using coffer::capi::Fail;
using coffer::capi::Guard;
using coffer::capi::ReturnJson;
using nlohmann::json;

namespace coffer::capi {

absl::StatusOr<std::unique_ptr<Store>> OpenRepoStore(const std::string& location,
                                                     const std::string& mirror_location) {
  auto primary = OpenStore(location);
  if (!primary.ok() || mirror_location.empty()) return primary;
  auto replica = OpenStore(mirror_location);
  if (!replica.ok()) return replica.status();
  return std::unique_ptr<Store>(new MirrorStore(std::move(*primary), std::move(*replica)));
}

}  // namespace coffer::capi

extern "C" {

COFFER_API coffer_status coffer_init_options_set_mirror(coffer_init_options* opts,
                                                        const char* mirror_location,
                                                        coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(mirror_location);
    opts->mirror = mirror_location;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_repo_open_mirrored(const char* location, const char* mirror_location,
                                                   const char* password, coffer_repo** out,
                                                   coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(out);
    *out = nullptr;
    COFFER_CAPI_REQUIRE(location);
    COFFER_CAPI_REQUIRE(mirror_location);
    COFFER_CAPI_REQUIRE(password);
    if (*mirror_location == '\0')
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "the mirror location is empty");
    auto store = coffer::capi::OpenRepoStore(location, mirror_location);
    if (!store.ok()) return Fail(err, store.status());
    auto repo = coffer::Repository::Open(std::move(*store), password);
    if (!repo.ok()) return Fail(err, repo.status());
    auto handle = std::make_unique<coffer_repo>();
    handle->location = location;
    handle->repo = std::move(*repo);
    *out = handle.release();
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_mirror_sync(coffer_repo* repo, char** result_json, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(result_json);
    *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    auto* mirror = dynamic_cast<coffer::MirrorStore*>(&repo->repo->store());
    if (mirror == nullptr)
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  "mirror sync: the repository was not opened with a mirror "
                  "(coffer_repo_open_mirrored, --mirror URL)");
    auto r = mirror->Sync();
    if (!r.ok()) return Fail(err, r.status());
    json out = {{"journal_entries", r->journal_entries}, {"objects_copied", r->objects_copied},
                {"bytes_copied", r->bytes_copied},       {"objects_deleted", r->objects_deleted},
                {"objects_checked", r->objects_checked}, {"extra_on_replica", r->extra_on_replica},
                {"replica_failures", mirror->replica_failures()}};
    return ReturnJson(out, result_json);
  });
}

COFFER_API coffer_status coffer_mirror_status(coffer_repo* repo, char** result_json, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(result_json);
    *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    auto* mirror = dynamic_cast<coffer::MirrorStore*>(&repo->repo->store());
    if (mirror == nullptr) return ReturnJson(json{{"mirrored", false}}, result_json);
    auto pending = mirror->PendingCount();
    if (!pending.ok()) return Fail(err, pending.status());
    json out = {{"mirrored", true},
                {"replica", mirror->replica().Describe()},
                {"pending", *pending},
                {"replica_failures", mirror->replica_failures()}};
    return ReturnJson(out, result_json);
  });
}

}  // extern "C"
