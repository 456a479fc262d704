// Key slots: add, list, remove (by id prefix) and change password.
#include <algorithm>
#include <cctype>

#include "capi/error.h"
#include "capi/handles.h"
#include "capi/json_views.h"
#include "capi/output.h"

using coffer::capi::Fail;
using coffer::capi::Guard;

namespace coffer::capi {
namespace {

KdfParams HandleKdf(const coffer_repo& repo) {
  KdfParams kdf = NewKdfParams();  // fresh salt per slot
  kdf.ops_limit = repo.kdf_ops_limit;
  kdf.mem_limit = repo.kdf_mem_limit;
  return kdf;
}

constexpr size_t kMinPrefix = 4;

// The one slot whose id starts with `prefix`.
absl::StatusOr<Id> ResolveKeyPrefix(Repository& repo, std::string_view raw) {
  std::string prefix(raw);
  for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool hex = std::all_of(prefix.begin(), prefix.end(),
                         [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (!hex || prefix.size() < kMinPrefix || prefix.size() > 2 * Id::kSize)
    return absl::InvalidArgumentError(Cat("key id \"", raw,
                                          "\" must be a key id or a prefix of at least ",
                                          kMinPrefix, " hex digits"));
  auto keys = repo.ListKeys();
  if (!keys.ok()) return keys.status();
  std::vector<Id> matches;
  for (const KeySlotEntry& k : *keys)
    if (k.id.Hex().starts_with(prefix)) matches.push_back(k.id);
  if (matches.empty()) return absl::NotFoundError(Cat("no key slot matches \"", raw, "\""));
  if (matches.size() > 1)
    return absl::InvalidArgumentError(Cat("key id prefix \"", raw, "\" matches ", matches.size(),
                                          " key slots; give more digits"));
  return matches.front();
}

}  // namespace
}  // namespace coffer::capi

extern "C" {

COFFER_API coffer_status coffer_key_add(coffer_repo* repo, const char* new_password,
                                        const char* label, int write_only, char** key_id_out,
                                        coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    if (key_id_out != nullptr) *key_id_out = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(new_password);
    coffer::KeySlotInfo info;
    if (label != nullptr) info.label = label;
    info.write_only = write_only != 0;
    auto id = repo->repo->AddKey(new_password, info, coffer::capi::HandleKdf(*repo));
    if (!id.ok()) return Fail(err, id.status());
    if (key_id_out != nullptr) *key_id_out = coffer::capi::CopyString(id->Hex());
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_key_list(coffer_repo* repo, char** json_out, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(json_out);
    *json_out = nullptr;
    COFFER_CAPI_LEASE(repo);
    auto keys = repo->repo->ListKeys();
    if (!keys.ok()) return Fail(err, keys.status());
    nlohmann::json out = nlohmann::json::array();
    for (const coffer::KeySlotEntry& k : *keys) out.push_back(coffer::capi::KeyJson(k));
    return coffer::capi::ReturnJson(out, json_out);
  });
}

COFFER_API coffer_status coffer_key_remove(coffer_repo* repo, const char* key_id_or_prefix,
                                           coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(key_id_or_prefix);
    auto id = coffer::capi::ResolveKeyPrefix(*repo->repo, key_id_or_prefix);
    if (!id.ok()) return Fail(err, id.status());
    absl::Status removed = repo->repo->RemoveKey(*id);
    if (!removed.ok()) return Fail(err, removed);
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_key_change_password(coffer_repo* repo, const char* new_password,
                                                    coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(new_password);
    auto id = repo->repo->ChangePassword(new_password, coffer::capi::HandleKdf(*repo));
    if (!id.ok()) return Fail(err, id.status());
    return COFFER_OK;
  });
}

}  // extern "C"
