#include "repo/snapshot.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "repo/json_int.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {

using nlohmann::json;
using json_int::Int;
using json_int::IntOr;
constexpr uint8_t kMagic[4] = {'C', 'F', 'S', 'N'};
constexpr uint8_t kSnapshotVersion = 1;


json SummaryToJson(const SnapshotSummary& s) {
  return {{"files_new", s.files_new},         {"files_changed", s.files_changed},
          {"files_unchanged", s.files_unchanged}, {"dirs", s.dirs},
          {"other_entries", s.other_entries}, {"bytes_read", s.bytes_read},
          {"bytes_total", s.bytes_total},     {"blobs_added", s.blobs_added},
          {"bytes_added", s.bytes_added},     {"bytes_added_stored", s.bytes_added_stored},
          {"errors", s.errors},               {"duration_seconds", s.duration_seconds}};
}

SnapshotSummary SummaryFromJson(const json& j) {
  SnapshotSummary s;
  s.files_new = IntOr(j, "files_new", uint64_t{0});
  s.files_changed = IntOr(j, "files_changed", uint64_t{0});
  s.files_unchanged = IntOr(j, "files_unchanged", uint64_t{0});
  s.dirs = IntOr(j, "dirs", uint64_t{0});
  s.other_entries = IntOr(j, "other_entries", uint64_t{0});
  s.bytes_read = IntOr(j, "bytes_read", uint64_t{0});
  s.bytes_total = IntOr(j, "bytes_total", uint64_t{0});
  s.blobs_added = IntOr(j, "blobs_added", uint64_t{0});
  s.bytes_added = IntOr(j, "bytes_added", uint64_t{0});
  s.bytes_added_stored = IntOr(j, "bytes_added_stored", uint64_t{0});
  s.errors = IntOr(j, "errors", uint64_t{0});
  s.duration_seconds = j.value("duration_seconds", 0.0);
  return s;
}

}  // namespace

Bytes EncryptSnapshot(const Snapshot& s, Cipher cipher, const Key32& repo_public_key) {
  json errors = json::array();
  for (const SnapshotError& e : s.errors) errors.push_back({{"path", e.path}, {"message", e.message}});
  json j = {{"time_ns", s.time_ns},   {"host", s.host},       {"user", s.user},
            {"paths", s.paths},       {"tags", s.tags},       {"tree", s.tree.Hex()},
            {"partial", s.partial},   {"summary", SummaryToJson(s.summary)},
            {"errors", errors},       {"program_version", s.program_version}};
  if (s.parent) j["parent"] = s.parent->Hex();
  if (s.original) j["original"] = s.original->Hex();
  // Paths and error texts may hold bytes that are not UTF-8; replace rather than fail.
  std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);

  Key32 data_key = Key32::Random();
  Bytes out(std::begin(kMagic), std::end(kMagic));
  out.push_back(kSnapshotVersion);
  Bytes sealed = SealKeyTo(repo_public_key, data_key);
  out.insert(out.end(), sealed.begin(), sealed.end());
  SealAppend(cipher, data_key, AsBytes(text), AsBytes(kSnapshotAad), out);
  return out;
}

absl::StatusOr<Snapshot> DecryptSnapshot(ByteView stored, const KeyPair& repo_keys) {
  constexpr size_t kPrefix = 4 + 1 + kSealedKeySize;
  if (stored.size() < kPrefix || !std::equal(std::begin(kMagic), std::end(kMagic), stored.begin()))
    return absl::DataLossError("not a coffer snapshot (bad magic)");
  if (stored[4] != kSnapshotVersion)
    return absl::DataLossError(absl::StrCat("unsupported snapshot version ", stored[4]));
  COFFER_ASSIGN_OR_RETURN(Key32 data_key, OpenSealedKey(repo_keys, stored.subspan(5, kSealedKeySize)));
  COFFER_ASSIGN_OR_RETURN(Bytes text, Open(data_key, stored.subspan(kPrefix), AsBytes(kSnapshotAad)));
  return ParseSnapshot(text);
}

absl::StatusOr<Snapshot> ParseSnapshot(ByteView text) {
  Snapshot s;
  try {
    json j = json::parse(AsChars(text));
    s.time_ns = Int<int64_t>(j.at("time_ns"));
    s.host = j.at("host").get<std::string>();
    s.user = j.value("user", "");
    s.paths = j.at("paths").get<std::vector<std::string>>();
    s.tags = j.value("tags", std::vector<std::string>{});
    auto tree = Id::FromHex(j.at("tree").get<std::string>());
    if (!tree) return absl::DataLossError("snapshot: malformed tree id");
    s.tree = *tree;
    if (j.contains("parent")) s.parent = Id::FromHex(j["parent"].get<std::string>());
    if (j.contains("original")) s.original = Id::FromHex(j["original"].get<std::string>());
    s.partial = j.value("partial", false);
    if (j.contains("summary")) s.summary = SummaryFromJson(j["summary"]);
    for (const json& e : j.value("errors", json::array()))
      s.errors.push_back({e.value("path", ""), e.value("message", "")});
    s.program_version = j.value("program_version", "");
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("snapshot: malformed: ", e.what()));
  }
  return s;
}

}  // namespace coffer
