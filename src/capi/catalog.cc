// Catalog views: snapshot lists, tree listings, find and statistics, each
// returned as a JSON document.
#include "catalog/catalog.h"

#include "capi/error.h"
#include "capi/filter.h"
#include "capi/handles.h"
#include "capi/json_views.h"
#include "capi/output.h"
#include "capi/stats.h"

using coffer::capi::Fail;
using coffer::capi::Guard;
using coffer::capi::ReturnJson;
using nlohmann::json;

extern "C" {

COFFER_API coffer_status coffer_snapshots_list(coffer_repo* repo, const char* filter_json,
                                               char** json_out, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(json_out);
    *json_out = nullptr;
    COFFER_CAPI_LEASE(repo);
    auto filter = coffer::capi::ParseFilter(filter_json, "filter_json", /*allow_ids=*/false);
    if (!filter.ok()) return Fail(err, filter.status());
    coffer::Repository& r = *repo->repo;
    absl::Status readable = r.RequireReadAccess("list snapshots");
    if (!readable.ok()) return Fail(err, readable);
    auto entries = coffer::ListSnapshots(r, filter->filter);
    if (!entries.ok()) return Fail(err, entries.status());
    json out = json::array();
    for (const coffer::SnapshotEntry& e : *entries)
      out.push_back(coffer::capi::SnapshotJson(e.id, e.snapshot));
    return ReturnJson(out, json_out);
  });
}

COFFER_API coffer_status coffer_snapshot_get(coffer_repo* repo, const char* snapshot_ref,
                                             char** json_out, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(json_out);
    *json_out = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(snapshot_ref);
    coffer::Repository& r = *repo->repo;
    absl::Status readable = r.RequireReadAccess("read a snapshot");
    if (!readable.ok()) return Fail(err, readable);
    auto entry = r.FindSnapshot(snapshot_ref);
    if (!entry.ok()) return Fail(err, entry.status());
    return ReturnJson(coffer::capi::SnapshotJson(entry->id, entry->snapshot), json_out);
  });
}

COFFER_API coffer_status coffer_snapshot_ls(coffer_repo* repo, const char* snapshot_ref,
                                            const char* path, int recursive, char** json_out,
                                            coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(json_out);
    *json_out = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(snapshot_ref);
    coffer::Repository& r = *repo->repo;
    absl::Status readable = r.RequireReadAccess("list snapshot contents");
    if (!readable.ok()) return Fail(err, readable);
    auto nodes =
        coffer::ListSnapshotTree(r, snapshot_ref, path != nullptr ? path : "/", recursive != 0);
    if (!nodes.ok()) return Fail(err, nodes.status());
    json out = json::array();
    for (const coffer::ListedNode& n : *nodes) out.push_back(coffer::capi::NodeJson(n));
    return ReturnJson(out, json_out);
  });
}

COFFER_API coffer_status coffer_find(coffer_repo* repo, const char* pattern,
                                     const char* filter_json, char** json_out, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(json_out);
    *json_out = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(pattern);
    if (*pattern == '\0')
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "coffer_find: the pattern is empty");
    auto filter = coffer::capi::ParseFilter(filter_json, "filter_json", /*allow_ids=*/false);
    if (!filter.ok()) return Fail(err, filter.status());
    coffer::Repository& r = *repo->repo;
    absl::Status readable = r.RequireReadAccess("search snapshots");
    if (!readable.ok()) return Fail(err, readable);
    auto matches = coffer::FindInSnapshots(r, pattern, filter->filter);
    if (!matches.ok()) return Fail(err, matches.status());
    json out = json::array();
    for (const coffer::FindMatch& m : *matches) out.push_back(coffer::capi::FindMatchJson(m));
    return ReturnJson(out, json_out);
  });
}

COFFER_API coffer_status coffer_stats(coffer_repo* repo, const char* filter_json, char** json_out,
                                      coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(json_out);
    *json_out = nullptr;
    COFFER_CAPI_LEASE(repo);
    auto filter = coffer::capi::ParseFilter(filter_json, "filter_json", /*allow_ids=*/true);
    if (!filter.ok()) return Fail(err, filter.status());
    coffer::Repository& r = *repo->repo;
    absl::Status readable = r.RequireReadAccess("compute statistics");
    if (!readable.ok()) return Fail(err, readable);
    auto stats = coffer::capi::StatsFor(r, *filter);
    if (!stats.ok()) return Fail(err, stats.status());
    return ReturnJson(coffer::capi::StatsJson(*stats), json_out);
  });
}

}  // extern "C"
