// Replication: copying snapshots between repositories, and mirrors that
// share a source repository's keys (see coffer.h, "Replication").
#include <algorithm>

#include "capi/error.h"
#include "capi/handles.h"
#include "capi/options_json.h"
#include "capi/output.h"
#include "engine/copy.h"

using coffer::capi::Fail;
using coffer::capi::Guard;
using coffer::capi::ReturnJson;
using nlohmann::json;

extern "C" {

COFFER_API coffer_status coffer_init_options_set_copy_keys_from(coffer_init_options* opts,
                                                                coffer_repo* source,
                                                                coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_LEASE(source);
    const coffer::Repository& src = *source->repo;
    if (!src.keys().can_read())
      return Fail(err, COFFER_ERROR_PERMISSION_DENIED,
                  "copy keys: the source was opened with a write-only key; a mirror needs a full key");
    opts->init.keys = src.keys();
    // Chunking and pack format as in the source, so later backups into the
    // mirror deduplicate against it and packs stay interchangeable.
    opts->init.chunker = src.config().chunker;
    opts->init.data_cipher = src.config().data_cipher;
    opts->init.compression = src.config().compression;
    opts->init.pack_size = src.config().pack_size;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_copy(coffer_repo* destination, coffer_repo* source,
                                     const char* options_json, char** result_json,
                                     coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(result_json);
    *result_json = nullptr;
    COFFER_CAPI_REQUIRE(source);
    if (source == destination)
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  "coffer_copy: source and destination are the same handle");
    COFFER_CAPI_LEASE(destination);
    coffer::capi::HandleLease source_lease(source);
    if (!source_lease.held()) return coffer::capi::HandleBusy(err, coffer_entry_);

    auto doc = coffer::capi::ParseOptionsJson(options_json, "options_json", {"snapshots"});
    if (!doc.ok()) return Fail(err, doc.status());
    coffer::CopyOptions options;
    if (doc->contains("snapshots") && !(*doc)["snapshots"].is_null()) {
      const json& v = (*doc)["snapshots"];
      bool strings = v.is_array() && std::all_of(v.begin(), v.end(), [](const json& i) { return i.is_string(); });
      if (!strings)
        return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                    "argument `options_json`: \"snapshots\" must be an array of strings");
      for (const json& i : v) options.snapshots.push_back(i.get<std::string>());
    }
    auto r = coffer::RunCopy(*source->repo, *destination->repo, options);
    if (!r.ok()) return Fail(err, r.status());
    json snapshots = json::array();
    for (const auto& s : r->snapshots)
      snapshots.push_back({{"source_id", s.source.Hex()}, {"id", s.destination.Hex()}, {"skipped", s.skipped}});
    json out = {{"mode", r->shared_keys ? "packs" : "reencrypt"},
                {"snapshots", snapshots},
                {"snapshots_copied", r->snapshots_copied},
                {"snapshots_skipped", r->snapshots_skipped},
                {"packs_copied", r->packs_copied},
                {"pack_bytes_copied", r->pack_bytes_copied},
                {"blobs_copied", r->blobs_copied},
                {"blob_bytes_copied", r->blob_bytes_copied},
                {"blobs_present", r->blobs_present},
                {"index_objects_written", r->index_objects_written}};
    return ReturnJson(out, result_json);
  });
}

}  // extern "C"
