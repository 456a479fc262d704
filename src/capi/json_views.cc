#include "capi/json_views.h"

#include "absl/time/time.h"
#include "compress/codec.h"
#include "crypto/aead.h"

namespace coffer::capi {

using nlohmann::json;

std::string Rfc3339(int64_t unix_nanos) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", absl::FromUnixNanos(unix_nanos),
                          absl::UTCTimeZone());
}

json SummaryJson(const SnapshotSummary& s) {
  return json{{"files_new", s.files_new},
              {"files_changed", s.files_changed},
              {"files_unchanged", s.files_unchanged},
              {"dirs", s.dirs},
              {"other_entries", s.other_entries},
              {"bytes_read", s.bytes_read},
              {"bytes_total", s.bytes_total},
              {"blobs_added", s.blobs_added},
              {"bytes_added", s.bytes_added},
              {"bytes_added_stored", s.bytes_added_stored},
              {"errors", s.errors},
              {"duration_seconds", s.duration_seconds}};
}

json SnapshotErrorsJson(const Snapshot& snapshot) {
  json errors = json::array();
  for (const SnapshotError& e : snapshot.errors)
    errors.push_back(json{{"path", e.path}, {"message", e.message}});
  return errors;
}

json SnapshotJson(const Id& id, const Snapshot& s) {
  return json{{"id", id.Hex()},
              {"short_id", id.ShortHex()},
              {"time", Rfc3339(s.time_ns)},
              {"time_ns", s.time_ns},
              {"host", s.host},
              {"user", s.user},
              {"paths", s.paths},
              {"tags", s.tags},
              {"parent", s.parent ? json(s.parent->Hex()) : json(nullptr)},
              {"tree", s.tree.Hex()},
              {"partial", s.partial},
              {"summary", SummaryJson(s.summary)},
              {"errors", SnapshotErrorsJson(s)},
              {"program_version", s.program_version}};
}

json BackupResultJson(const Id& id, const Snapshot& s) {
  return json{{"snapshot_id", id.Hex()},
              {"short_id", id.ShortHex()},
              {"time", Rfc3339(s.time_ns)},
              {"time_ns", s.time_ns},
              {"host", s.host},
              {"paths", s.paths},
              {"tags", s.tags},
              {"partial", s.partial},
              {"summary", SummaryJson(s.summary)},
              {"errors", SnapshotErrorsJson(s)}};
}

json RestoreResultJson(const Id& snapshot_id, const RestoreResult& r) {
  return json{{"snapshot_id", snapshot_id.Hex()},
              {"files", r.files},
              {"dirs", r.dirs},
              {"symlinks", r.symlinks},
              {"other", r.other},
              {"bytes", r.bytes},
              {"errors", r.errors},
              {"duration_seconds", r.duration_seconds}};
}

json NodeJson(const ListedNode& listed) {
  const Node& n = listed.node;
  json out{{"path", listed.path},
           {"name", n.name},
           {"type", std::string(NodeTypeName(n.type))},
           {"mode", n.mode},
           {"uid", n.uid},
           {"gid", n.gid},
           {"user", n.user},
           {"group", n.group},
           {"size", n.size},
           {"mtime_ns", n.mtime_ns},
           {"mtime", Rfc3339(n.mtime_ns)}};
  if (n.type == NodeType::kSymlink) out["link_target"] = n.link_target;
  return out;
}

json FindMatchJson(const FindMatch& m) {
  const Node& n = m.entry.node;
  return json{{"snapshot_id", m.snapshot.Hex()},
              {"snapshot_time", Rfc3339(m.snapshot_time_ns)},
              {"snapshot_time_ns", m.snapshot_time_ns},
              {"path", m.entry.path},
              {"type", std::string(NodeTypeName(n.type))},
              {"size", n.size},
              {"mtime_ns", n.mtime_ns}};
}

json StatsJson(const RepoStats& s) {
  return json{{"snapshots", s.snapshots},
              {"files", s.files},
              {"dirs", s.dirs},
              {"logical_bytes", s.logical_bytes},
              {"unique_blobs", s.unique_blobs},
              {"unique_bytes", s.unique_bytes},
              {"stored_bytes", s.stored_bytes},
              {"repository_bytes", s.repository_bytes},
              {"dedup_ratio", s.dedup_ratio},
              {"compression_ratio", s.compression_ratio}};
}

json KeyJson(const KeySlotEntry& key) {
  return json{{"id", key.id.Hex()},
              {"short_id", key.id.ShortHex()},
              {"host", key.info.host},
              {"user", key.info.user},
              {"label", key.info.label},
              {"created", Rfc3339(key.info.created_unix * 1000000000)},
              {"created_unix", key.info.created_unix},
              {"write_only", key.info.write_only},
              {"current", key.current}};
}

json RepoInfoJson(const std::string& location, const Repository& repo) {
  const RepoConfig& c = repo.config();
  json out = json{
      {"location", location},
      {"repo_id", c.repo_id.Hex()},
      {"format_version", c.version},
      {"created", Rfc3339(c.created_unix * 1000000000)},
      {"created_unix", c.created_unix},
      {"chunker",
       {{"algorithm", c.chunker_algorithm},
        {"min_size", c.chunker.min_size},
        {"avg_size", c.chunker.avg_size},
        {"max_size", c.chunker.max_size}}},
      {"data_cipher", std::string(CipherName(c.data_cipher))},
      {"compression",
       {{"codec", std::string(CodecName(c.compression.codec))}, {"level", c.compression.level}}},
      {"pack_size", c.pack_size},
      {"key_id", repo.key_slot_id().Hex()},
      {"write_only", !repo.keys().can_read()}};
  if (c.object_lock)
    out["retention_lock"] = {{"days", c.object_lock->days},
                             {"mode", std::string(RetentionModeName(c.object_lock->mode))}};
  return out;
}

}  // namespace coffer::capi
