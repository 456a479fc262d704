#include "repo/config.h"

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


}  // namespace

absl::Status ValidateConfig(const RepoConfig& c) {
  if (c.version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "repository format version ", c.version, " is not supported (this coffer reads version ",
        kFormatVersion, ")"));
  }
  if (!ParseChunkerAlgorithm(c.chunker_algorithm)) {
    return absl::FailedPreconditionError(
        absl::StrCat("unknown chunker algorithm \"", c.chunker_algorithm, "\""));
  }
  COFFER_RETURN_IF_ERROR(ValidateChunkerParams(c.chunker));
  if (c.pack_size < (1u << 20) || c.pack_size > (1u << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pack size ", c.pack_size, " is out of range (1 MiB to 1 GiB)"));
  }
  if (c.object_lock && (c.object_lock->days < 1 || c.object_lock->days > 36500))
    return absl::InvalidArgumentError(
        absl::StrCat("object lock retention of ", c.object_lock->days, " days is out of range (1 to 36500)"));
  return absl::OkStatus();
}

Bytes EncryptConfig(const RepoConfig& c, const Key32& index_key) {
  nlohmann::json j = {
      {"version", c.version},
      {"repo_id", c.repo_id.Hex()},
      {"chunker",
       {{"algorithm", c.chunker_algorithm},
        {"min_size", c.chunker.min_size},
        {"avg_size", c.chunker.avg_size},
        {"max_size", c.chunker.max_size}}},
      {"data_cipher", std::string(CipherName(c.data_cipher))},
      {"compression", {{"codec", std::string(CodecName(c.compression.codec))}, {"level", c.compression.level}}},
      {"pack_size", c.pack_size},
      {"created_unix", c.created_unix},
  };
  if (c.object_lock)
    j["object_lock"] = {{"days", c.object_lock->days},
                        {"mode", std::string(RetentionModeName(c.object_lock->mode))}};
  return Seal(Cipher::kXChaCha20Poly1305, index_key, AsBytes(j.dump()), AsBytes(kConfigAad));
}

absl::StatusOr<RepoConfig> ParseConfig(ByteView json) {
  RepoConfig c;
  try {
    auto j = nlohmann::json::parse(AsChars(json));
    c.version = Int<uint32_t>(j.at("version"));
    auto id = Id::FromHex(j.at("repo_id").get<std::string>());
    if (!id) return absl::DataLossError("config: malformed repo_id");
    c.repo_id = *id;
    const auto& ch = j.at("chunker");
    c.chunker_algorithm = ch.at("algorithm").get<std::string>();
    c.chunker.min_size = Int<uint32_t>(ch.at("min_size"));
    c.chunker.avg_size = Int<uint32_t>(ch.at("avg_size"));
    c.chunker.max_size = Int<uint32_t>(ch.at("max_size"));
    auto cipher = ParseCipherName(j.at("data_cipher").get<std::string>());
    auto codec = ParseCodecName(j.at("compression").at("codec").get<std::string>());
    if (!cipher || !codec) return absl::DataLossError("config: unknown cipher or codec");
    c.data_cipher = *cipher;
    c.compression.codec = *codec;
    c.compression.level = Int<int>(j.at("compression").at("level"));
    c.pack_size = Int<uint32_t>(j.at("pack_size"));
    c.created_unix = Int<int64_t>(j.at("created_unix"));
    if (j.contains("object_lock")) {
      const auto& lock = j.at("object_lock");
      auto mode = ParseRetentionMode(lock.at("mode").get<std::string>());
      if (!mode) return absl::DataLossError("config: unknown object_lock.mode");
      c.object_lock = ObjectLockPolicy{Int<uint32_t>(lock.at("days")), *mode};
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("config: malformed: ", e.what()));
  }
  COFFER_RETURN_IF_ERROR(Annotate(ValidateConfig(c), "config"));
  return c;
}

absl::StatusOr<RepoConfig> DecryptConfig(ByteView stored, const Key32& index_key) {
  auto plain = Open(index_key, stored, AsBytes(kConfigAad));
  if (!plain.ok()) return Annotate(plain.status(), "config");
  return ParseConfig(*plain);
}

}  // namespace coffer
