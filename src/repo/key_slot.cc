#include "repo/key_slot.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/base64.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "repo/json_int.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {

using nlohmann::json;
using json_int::Int;
using json_int::IntOr;


std::string KeyB64(const Key32& k) { return Base64Encode(k.view()); }

std::optional<Key32> KeyFromB64(const json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) return std::nullopt;
  auto bytes = Base64Decode(j[field].get<std::string>());
  if (!bytes || bytes->size() != Key32::kSize) return std::nullopt;
  return Key32::FromBytes(*bytes);
}

}  // namespace

absl::StatusOr<ParsedKeySlot> ParseKeySlot(ByteView stored) {
  ParsedKeySlot slot;
  try {
    json j = json::parse(AsChars(stored));
    if (Int<int64_t>(j.at("coffer_key_slot")) != 1)
      return absl::FailedPreconditionError("key slot: unsupported version");
    const json& kdf = j.at("kdf");
    if (kdf.at("algorithm").get<std::string>() != "argon2id")
      return absl::DataLossError("key slot: unknown KDF algorithm");
    slot.kdf.ops_limit = Int<uint64_t>(kdf.at("ops"));
    slot.kdf.mem_limit = Int<uint64_t>(kdf.at("mem"));
    auto salt = Base64Decode(kdf.at("salt").get<std::string>());
    auto envelope = Base64Decode(j.at("keys").get<std::string>());
    if (!salt || !envelope) return absl::DataLossError("key slot: malformed base64");
    slot.kdf.salt = std::move(*salt);
    slot.envelope = std::move(*envelope);
    slot.info.host = j.value("host", "");
    slot.info.user = j.value("user", "");
    slot.info.label = j.value("label", "");
    slot.info.created_unix = IntOr(j, "created_unix", int64_t{0});
    slot.info.write_only = j.value("access", "full") == "write-only";
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("key slot: malformed: ", e.what()));
  }
  COFFER_RETURN_IF_ERROR(Annotate(ValidateKdfParams(slot.kdf), "key slot"));
  return slot;
}

absl::StatusOr<Bytes> CreateKeySlot(const MasterKeys& keys, std::string_view password,
                                    const KdfParams& kdf, const KeySlotInfo& info) {
  COFFER_RETURN_IF_ERROR(ValidateKdfParams(kdf));
  COFFER_ASSIGN_OR_RETURN(Key32 wrap_key, DeriveKeyFromPassword(password, kdf));
  json secret = {{"id_key", KeyB64(keys.id_key)},
                 {"index_key", KeyB64(keys.index_key)},
                 {"public_key", KeyB64(keys.public_key)}};
  if (!info.write_only && keys.secret_key) secret["secret_key"] = KeyB64(*keys.secret_key);
  std::string secret_text = secret.dump();
  Bytes envelope = Seal(Cipher::kXChaCha20Poly1305, wrap_key, AsBytes(secret_text), AsBytes(kKeySlotAad));
  std::fill(secret_text.begin(), secret_text.end(), '\0');
  json slot = {{"coffer_key_slot", 1},
               {"kdf", {{"algorithm", "argon2id"}, {"ops", kdf.ops_limit}, {"mem", kdf.mem_limit},
                        {"salt", Base64Encode(kdf.salt)}}},
               {"host", info.host},
               {"user", info.user},
               {"label", info.label},
               {"created_unix", info.created_unix},
               {"access", info.write_only || !keys.secret_key ? "write-only" : "full"},
               {"keys", Base64Encode(envelope)}};
  return ToBytes(slot.dump(2, ' ', false, json::error_handler_t::replace));
}

absl::StatusOr<KeySlotInfo> ReadKeySlotInfo(ByteView stored) {
  COFFER_ASSIGN_OR_RETURN(ParsedKeySlot slot, ParseKeySlot(stored));
  return slot.info;
}

absl::StatusOr<MasterKeys> OpenKeySlot(ByteView stored, std::string_view password) {
  COFFER_ASSIGN_OR_RETURN(ParsedKeySlot slot, ParseKeySlot(stored));
  COFFER_ASSIGN_OR_RETURN(Key32 wrap_key, DeriveKeyFromPassword(password, slot.kdf));
  auto plain = Open(wrap_key, slot.envelope, AsBytes(kKeySlotAad));
  if (!plain.ok()) return absl::UnauthenticatedError("wrong password");
  auto keys = ParseKeySlotKeys(*plain);
  std::fill(plain->begin(), plain->end(), 0);
  return keys;
}

absl::StatusOr<MasterKeys> ParseKeySlotKeys(ByteView plain) {
  MasterKeys keys;
  try {
    json j = json::parse(AsChars(plain));
    auto id_key = KeyFromB64(j, "id_key");
    auto index_key = KeyFromB64(j, "index_key");
    auto public_key = KeyFromB64(j, "public_key");
    if (!id_key || !index_key || !public_key) return absl::DataLossError("key slot: missing keys");
    keys.id_key = *id_key;
    keys.index_key = *index_key;
    keys.public_key = *public_key;
    if (j.contains("secret_key")) {
      auto secret_key = KeyFromB64(j, "secret_key");
      if (!secret_key) return absl::DataLossError("key slot: malformed secret key");
      keys.secret_key = *secret_key;
    }
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("key slot: malformed keys: ", e.what()));
  }
  // A slot whose public key does not belong to its secret key (or is not a
  // usable X25519 key) would make writers seal data nobody can open.
  if (keys.secret_key && !(KeyPair::FromSecret(*keys.secret_key).public_key == keys.public_key))
    return absl::DataLossError("key slot: public key does not match the secret key");
  if (SealKeyTo(keys.public_key, keys.id_key).size() != kSealedKeySize)
    return absl::DataLossError("key slot: unusable public key");
  return keys;
}

}  // namespace coffer
