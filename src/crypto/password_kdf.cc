#include "crypto/password_kdf.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "crypto/sodium_init.h"

namespace coffer {
namespace {

constexpr uint64_t kMinOps = 1;
constexpr uint64_t kMaxOps = 16;
constexpr uint64_t kMinMem = 8ull << 10;
constexpr uint64_t kMaxMem = 4ull << 30;
constexpr size_t kSaltSize = 16;

static_assert(crypto_pwhash_argon2id_SALTBYTES == kSaltSize);
static_assert(crypto_pwhash_argon2id_OPSLIMIT_MIN <= kMinOps);
static_assert(crypto_pwhash_argon2id_MEMLIMIT_MIN <= kMinMem);

}  // namespace

KdfParams NewKdfParams() {
  KdfParams params;
  params.salt = RandomBytes(kSaltSize);
  return params;
}

absl::Status ValidateKdfParams(const KdfParams& params) {
  if (params.ops_limit < kMinOps || params.ops_limit > kMaxOps) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kdf ops_limit ", params.ops_limit, " is outside ", kMinOps, "..", kMaxOps));
  }
  if (params.mem_limit < kMinMem || params.mem_limit > kMaxMem) {
    return absl::InvalidArgumentError(absl::StrCat("kdf mem_limit ", params.mem_limit,
                                                   " bytes is outside 8 KiB..4 GiB"));
  }
  if (params.salt.size() != kSaltSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("kdf salt has ", params.salt.size(), " bytes, expected ", kSaltSize));
  }
  return absl::OkStatus();
}

absl::StatusOr<Key32> DeriveKeyFromPassword(std::string_view password, const KdfParams& params) {
  if (absl::Status s = ValidateKdfParams(params); !s.ok()) return s;
  if (password.size() > crypto_pwhash_argon2id_PASSWD_MAX) {
    return absl::InvalidArgumentError("password is too long");
  }
  crypto_internal::EnsureSodiumInitialized();
  static const char kEmpty = 0;  // argon2 wants a valid pointer
  const char* pw = password.empty() ? &kEmpty : password.data();
  Key32 key;
  if (crypto_pwhash(key.data(), Key32::kSize, pw, password.size(), params.salt.data(),
                    params.ops_limit, static_cast<size_t>(params.mem_limit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("out of memory deriving key");
  }
  return key;
}

}  // namespace coffer
