// Maintenance: check, prune, repair and unlock. Options and results are JSON
// documents (see coffer.h, "Maintenance").
#include "capi/error.h"
#include "capi/handles.h"
#include "capi/options_json.h"
#include "capi/output.h"
#include "engine/check.h"
#include "engine/forget.h"
#include "policy/retention_json.h"
#include "engine/prune.h"
#include "engine/repair.h"
#include "repo/lock.h"

using coffer::capi::Fail;
using coffer::capi::Guard;
using coffer::capi::ReturnJson;
using nlohmann::json;

#define COFFER_CAPI_ASSIGN(lhs, expr)              \
  auto lhs##_or = (expr);                          \
  if (!lhs##_or.ok()) return Fail(err, lhs##_or.status()); \
  auto lhs = std::move(*lhs##_or)

namespace {

json ProblemsJson(const std::vector<coffer::CheckProblem>& problems) {
  json out = json::array();
  for (const auto& p : problems) out.push_back({{"object", p.object}, {"message", p.message}});
  return out;
}

// coffer_check and coffer_check_with_progress; `coffer_entry_` names the
// entry point in messages.
coffer_status CheckCall(const char* coffer_entry_, coffer_repo* repo, const char* options_json,
                        coffer_progress_fn fn, void* user, char** result_json, coffer_error** err) {
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(result_json);
    *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_ASSIGN(doc, coffer::capi::ParseOptionsJson(options_json, "options_json",
                                                           {"read_data", "read_data_subset"}));
    coffer::CheckOptions o;
    COFFER_CAPI_ASSIGN(read_data, coffer::capi::OptionBool(doc, "options_json", "read_data", false));
    COFFER_CAPI_ASSIGN(subset, coffer::capi::OptionString(doc, "options_json", "read_data_subset", ""));
    o.read_data = read_data;
    CofferCallbacks callbacks;
    callbacks.progress = fn;
    callbacks.progress_user = user;
    o.progress = coffer::capi::MakeProgressFn(callbacks);
    if (!subset.empty()) {
      absl::Status s = coffer::ParseReadDataSubset(subset, o);
      if (!s.ok()) return Fail(err, s);
    }
    COFFER_CAPI_ASSIGN(r, coffer::RunCheck(*repo->repo, o));
    json damaged = json::array();
    for (const auto& d : r.damaged) damaged.push_back({{"snapshot_id", d.snapshot.Hex()}, {"path", d.path}});
    json out = {{"ok", r.ok()},           {"snapshots", r.snapshots},   {"trees", r.trees},
                {"blobs", r.blobs},       {"packs", r.packs},           {"packs_read", r.packs_read},
                {"bytes_read", r.bytes_read}, {"errors", ProblemsJson(r.errors)},
                {"notices", ProblemsJson(r.notices)}, {"damaged", damaged}};
    return ReturnJson(out, result_json);
  });
}

}  // namespace

extern "C" {

COFFER_API coffer_status coffer_forget(coffer_repo* repo, const char* options_json, char** result_json,
                                       coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(result_json);
    *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(options_json);
    COFFER_CAPI_ASSIGN(doc, coffer::capi::ParseOptionsJson(options_json, "options_json",
                                                           {"retention", "snapshots", "hosts", "tags",
                                                            "paths", "dry_run"}));
    coffer::ForgetOptions o;
    COFFER_CAPI_ASSIGN(dry_run, coffer::capi::OptionBool(doc, "options_json", "dry_run", false));
    o.dry_run = dry_run;
    if (doc.contains("retention") && !doc["retention"].is_null()) {
      COFFER_CAPI_ASSIGN(rules, coffer::RetentionRulesFromJson(doc["retention"], "retention"));
      o.retention = rules;
    }
    struct {
      const char* member;
      std::vector<std::string>* target;
    } lists[] = {{"snapshots", &o.snapshots},
                 {"hosts", &o.filter.hosts},
                 {"tags", &o.filter.tags},
                 {"paths", &o.filter.paths}};
    for (const auto& l : lists) {
      if (!doc.contains(l.member) || doc[l.member].is_null()) continue;
      const json& v = doc[l.member];
      bool strings = v.is_array() && std::all_of(v.begin(), v.end(), [](const json& i) { return i.is_string(); });
      if (!strings)
        return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                    std::string("argument `options_json`: \"") + l.member + "\" must be an array of strings");
      for (const json& i : v) l.target->push_back(i.get<std::string>());
    }
    COFFER_CAPI_ASSIGN(r, coffer::RunForget(*repo->repo, o));
    json decisions = json::array();
    for (const auto& d : r.decisions)
      decisions.push_back({{"id", d.id}, {"keep", d.keep}, {"reasons", d.reasons}, {"group", d.group}});
    json removed = json::array();
    for (const auto& id : r.removed) removed.push_back(id.Hex());
    return ReturnJson(json{{"dry_run", r.dry_run}, {"removed", removed}, {"decisions", decisions}},
                      result_json);
  });
}

COFFER_API coffer_status coffer_check(coffer_repo* repo, const char* options_json, char** result_json,
                                      coffer_error** err) {
  return CheckCall(__func__, repo, options_json, nullptr, nullptr, result_json, err);
}

COFFER_API coffer_status coffer_check_with_progress(coffer_repo* repo, const char* options_json,
                                                    coffer_progress_fn fn, void* user,
                                                    char** result_json, coffer_error** err) {
  return CheckCall(__func__, repo, options_json, fn, user, result_json, err);
}

COFFER_API coffer_status coffer_prune(coffer_repo* repo, const char* options_json, char** result_json,
                                      coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(result_json);
    *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_ASSIGN(doc, coffer::capi::ParseOptionsJson(options_json, "options_json",
                                                           {"dry_run", "repack_threshold"}));
    coffer::PruneOptions o;
    COFFER_CAPI_ASSIGN(dry_run, coffer::capi::OptionBool(doc, "options_json", "dry_run", false));
    COFFER_CAPI_ASSIGN(threshold,
                       coffer::capi::OptionNumber(doc, "options_json", "repack_threshold", o.repack_threshold));
    if (!(threshold > 0 && threshold <= 1))
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "prune: repack_threshold must be in (0, 1]");
    o.dry_run = dry_run;
    o.repack_threshold = threshold;
    COFFER_CAPI_ASSIGN(r, coffer::RunPrune(*repo->repo, o));
    json out = {{"dry_run", r.dry_run},
                {"snapshots", r.snapshots},
                {"packs_before", r.packs_before},
                {"packs_deleted", r.packs_deleted},
                {"packs_repacked", r.packs_repacked},
                {"packs_written", r.packs_written},
                {"unindexed_packs_deleted", r.unindexed_packs_deleted},
                {"blobs_used", r.blobs_used},
                {"blobs_removed", r.blobs_removed},
                {"bytes_before", r.bytes_before},
                {"bytes_deleted", r.bytes_deleted},
                {"bytes_written", r.bytes_written},
                {"bytes_freed", r.bytes_freed()},
                {"index_objects_replaced", r.index_objects_replaced},
                {"objects_retained", r.objects_retained},
                {"retention_extended", r.retention_extended}};
    return ReturnJson(out, result_json);
  });
}

COFFER_API coffer_status coffer_repair(coffer_repo* repo, const char* options_json, char** result_json,
                                       coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(result_json);
    *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_ASSIGN(doc, coffer::capi::ParseOptionsJson(options_json, "options_json", {"dry_run"}));
    coffer::RepairOptions o;
    COFFER_CAPI_ASSIGN(dry_run, coffer::capi::OptionBool(doc, "options_json", "dry_run", false));
    o.dry_run = dry_run;
    COFFER_CAPI_ASSIGN(r, coffer::RunRepair(*repo->repo, o));
    json repaired = json::array();
    for (const auto& s : r.repaired)
      repaired.push_back({{"old_id", s.old_id.Hex()},
                          {"new_id", s.new_id.IsZero() ? json(nullptr) : json(s.new_id.Hex())},
                          {"lost", s.lost}});
    json out = {{"dry_run", r.dry_run},
                {"packs_read", r.packs_read},
                {"packs_damaged", r.packs_damaged},
                {"packs_salvaged", r.packs_salvaged},
                {"blobs_indexed", r.blobs_indexed},
                {"blobs_damaged", r.blobs_damaged},
                {"index_objects_replaced", r.index_objects_replaced},
                {"snapshots", r.snapshots},
                {"repaired", repaired},
                {"unreadable_snapshots", r.unreadable_snapshots}};
    return ReturnJson(out, result_json);
  });
}

COFFER_API coffer_status coffer_unlock(coffer_repo* repo, int remove_all, char** result_json,
                                       coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(result_json);
    *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    coffer::Repository& r = *repo->repo;
    COFFER_CAPI_ASSIGN(before, coffer::ListLocks(r.store(), r.keys().index_key));
    COFFER_CAPI_ASSIGN(removed, coffer::RemoveLocks(r.store(), r.keys().index_key, remove_all != 0));
    json locks = json::array();
    int64_t now = absl::ToUnixSeconds(absl::Now());
    for (const auto& l : before)
      locks.push_back({{"id", l.id.Hex()},
                       {"description", coffer::DescribeLock(l)},
                       {"stale", coffer::IsLockStale(l, now)},
                       {"removed", remove_all != 0 || coffer::IsLockStale(l, now)}});
    return ReturnJson(json{{"removed", removed}, {"locks", locks}}, result_json);
  });
}

}  // extern "C"
