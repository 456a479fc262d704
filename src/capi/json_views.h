// JSON views of internal records for the C API's results. Field names are
// part of the stable API (documented in coffer.h): add, never rename.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "catalog/catalog.h"
#include "engine/restore.h"
#include "repo/repository.h"

namespace coffer::capi {

// RFC 3339 in UTC with nanoseconds: "2026-03-01T12:00:00.123456789Z".
std::string Rfc3339(int64_t unix_nanos);

nlohmann::json SummaryJson(const SnapshotSummary& summary);
nlohmann::json SnapshotErrorsJson(const Snapshot& snapshot);
nlohmann::json SnapshotJson(const Id& id, const Snapshot& snapshot);
nlohmann::json BackupResultJson(const Id& id, const Snapshot& snapshot);
nlohmann::json RestoreResultJson(const Id& snapshot_id, const RestoreResult& result);
nlohmann::json NodeJson(const ListedNode& listed);
nlohmann::json FindMatchJson(const FindMatch& match);
nlohmann::json StatsJson(const RepoStats& stats);
nlohmann::json KeyJson(const KeySlotEntry& key);
nlohmann::json RepoInfoJson(const std::string& location, const Repository& repo);

}  // namespace coffer::capi
