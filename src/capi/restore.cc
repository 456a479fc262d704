// coffer_restore: C options → RestoreOptions (the engine takes the shared lock).
#include "engine/restore.h"

#include "capi/error.h"
#include "capi/handles.h"
#include "capi/json_views.h"
#include "capi/output.h"

using coffer::capi::Fail;
using coffer::capi::Guard;

extern "C" COFFER_API coffer_status coffer_restore(coffer_repo* repo,
                                                   const coffer_restore_options* opts,
                                                   char** result_json, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    if (result_json != nullptr) *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(opts);
    if (opts->target.empty())
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  "restore: no target directory (coffer_restore_options_set_target)");
    coffer::Repository& r = *repo->repo;
    absl::Status readable = r.RequireReadAccess("restore");
    if (!readable.ok()) return Fail(err, readable);
    coffer::RestoreOptions o;
    o.snapshot = opts->snapshot;
    o.target = opts->target;
    o.includes = opts->includes;
    o.excludes = opts->excludes;
    o.overwrite = opts->overwrite;
    o.progress = coffer::capi::MakeProgressFn(opts->callbacks);
    o.warning = coffer::capi::MakeWarningFn(opts->callbacks);

    auto result = coffer::RunRestore(r, o);
    if (!result.ok()) return Fail(err, result.status());
    return coffer::capi::ReturnJson(coffer::capi::RestoreResultJson(result->snapshot, *result),
                                    result_json);
  });
}
