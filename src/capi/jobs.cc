// What programs that run policies need besides the engine calls: turning a
// policy into backup options, and one summary format for every kind of job
// (the agent reports it, the console shows and totals it).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "capi/cat.h"
#include "capi/error.h"
#include "capi/handles.h"
#include "capi/output.h"
#include "policy/json_fields.h"
#include "policy/policy.h"

using coffer::capi::Cat;
using coffer::capi::Fail;
using coffer::capi::Guard;
using coffer::capi::ReturnJson;
using nlohmann::json;

namespace coffer::capi {
namespace {

uint64_t Count(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer()) return it->get<int64_t>() < 0 ? 0 : it->get<int64_t>();
  double d = it->get<double>();
  return d > 0 ? static_cast<uint64_t>(d) : 0;
}

double Seconds(const json& doc) {
  auto it = doc.find("duration_seconds");
  return it != doc.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Human-readable bytes for the one-line text (powers of 1024).
std::string Bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// The kinds this version summarises, with their result documents.
absl::StatusOr<json> Summarize(const std::string& kind, const json& r) {
  if (!r.is_object()) return PolicyFieldError("result_json", "must be a JSON object");
  json s{{"kind", kind},
         {"ok", true},
         {"snapshot_id", nullptr},
         {"files", 0},
         {"bytes", 0},
         {"bytes_added", 0},
         {"bytes_added_stored", 0},
         {"errors", 0},
         {"duration_seconds", 0.0}};
  if (kind == "backup") {
    const json empty = json::object();
    const json& sum = r.contains("summary") && r["summary"].is_object() ? r["summary"] : empty;
    uint64_t files =
        Count(sum, "files_new") + Count(sum, "files_changed") + Count(sum, "files_unchanged");
    s["snapshot_id"] = r.value("snapshot_id", "");
    s["files"] = files;
    s["bytes"] = Count(sum, "bytes_total");
    s["bytes_added"] = Count(sum, "bytes_added");
    s["bytes_added_stored"] = Count(sum, "bytes_added_stored");
    s["errors"] = Count(sum, "errors");
    s["duration_seconds"] = Seconds(sum);
    s["ok"] = !r.value("partial", false);
    s["text"] =
        Cat("snapshot ", r.value("short_id", ""), ": ", files, " files, ",
            Bytes(Count(sum, "bytes_total")), ", added ", Bytes(Count(sum, "bytes_added_stored")),
            " stored",
            r.value("partial", false) ? Cat(" (partial: ", Count(sum, "errors"), " unreadable)")
                                      : std::string());
  } else if (kind == "restore") {
    s["snapshot_id"] = r.value("snapshot_id", "");
    s["files"] = Count(r, "files");
    s["bytes"] = Count(r, "bytes");
    s["errors"] = Count(r, "errors");
    s["duration_seconds"] = Seconds(r);
    s["text"] = Cat("restored ", Count(r, "files"), " files, ", Bytes(Count(r, "bytes")),
                    Count(r, "errors") ? Cat(", ", Count(r, "errors"), " warnings") : "");
  } else if (kind == "forget") {
    size_t removed = r.contains("removed") && r["removed"].is_array() ? r["removed"].size() : 0;
    size_t decided =
        r.contains("decisions") && r["decisions"].is_array() ? r["decisions"].size() : 0;
    s["files"] = removed;
    s["text"] = Cat("forgot ", removed, " of ", decided, " snapshots");
  } else if (kind == "prune") {
    s["bytes"] = Count(r, "bytes_freed");
    s["text"] = Cat("freed ", Bytes(Count(r, "bytes_freed")), ", deleted ",
                    Count(r, "packs_deleted"), " packs, repacked ", Count(r, "packs_repacked"));
  } else if (kind == "check") {
    size_t errors = r.contains("errors") && r["errors"].is_array() ? r["errors"].size() : 0;
    s["ok"] = r.value("ok", false);
    s["errors"] = errors;
    s["files"] = Count(r, "snapshots");
    s["bytes"] = Count(r, "bytes_read");
    s["text"] = Cat(r.value("ok", false) ? "repository is healthy" : "repository is DAMAGED", ": ",
                    Count(r, "snapshots"), " snapshots, ", Count(r, "packs"), " packs",
                    errors ? Cat(", ", errors, " errors") : "");
  } else {
    return PolicyFieldError("kind", Cat("unknown job kind \"", kind,
                                        "\" (expected backup, restore, forget, prune or check)"));
  }
  return s;
}

void AddAll(const std::vector<std::string>& items,
            coffer_status (*add)(coffer_backup_options*, const char*, coffer_error**),
            coffer_backup_options* opts) {
  for (const std::string& item : items) add(opts, item.c_str(), nullptr);
}

}  // namespace
}  // namespace coffer::capi

extern "C" {

COFFER_API coffer_status coffer_backup_options_apply_policy(coffer_backup_options* opts,
                                                            const char* policy_json,
                                                            coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(policy_json);
    json doc;
    absl::Status s = coffer::ParsePolicyJsonText(policy_json, "policy_json", &doc);
    if (!s.ok()) return Fail(err, s);
    auto policy = coffer::PolicyFromJson(doc);
    if (!policy.ok()) return Fail(err, policy.status());
    if (policy->paths.empty())
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  Cat(coffer_entry_, ": the policy has no \"paths\": nothing to back up"));
    // Validated above, so the setters cannot fail on these values.
    coffer::capi::AddAll(policy->paths, coffer_backup_options_add_path, opts);
    coffer::capi::AddAll(policy->includes, coffer_backup_options_add_include, opts);
    coffer::capi::AddAll(policy->excludes, coffer_backup_options_add_exclude, opts);
    coffer::capi::AddAll(policy->tags, coffer_backup_options_add_tag, opts);
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_job_summary(const char* kind, const char* result_json,
                                            char** summary_json, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(summary_json);
    *summary_json = nullptr;
    COFFER_CAPI_REQUIRE(kind);
    COFFER_CAPI_REQUIRE(result_json);
    json doc;
    absl::Status s = coffer::ParsePolicyJsonText(result_json, "result_json", &doc);
    if (!s.ok()) return Fail(err, s);
    auto summary = coffer::capi::Summarize(kind, doc);
    if (!summary.ok()) return Fail(err, summary.status());
    return ReturnJson(*summary, summary_json);
  });
}

}  // extern "C"
