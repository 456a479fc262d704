// Argon2id: turns a password into the key that wraps a key slot.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "crypto/secret.h"

namespace coffer {

struct KdfParams {
  uint64_t ops_limit = 3;                  // Argon2id passes
  uint64_t mem_limit = 64ull << 20;        // bytes
  Bytes salt;                              // 16 bytes, random per key slot
};

// Defaults for new key slots (64 MiB, 3 passes: ~0.1-0.2 s here) with a fresh salt.
KdfParams NewKdfParams();
// Validates bounds (ops 1..16, memory 8 KiB..4 GiB, salt 16 bytes) so a
// hostile key slot cannot make us allocate without limit: InvalidArgument.
absl::Status ValidateKdfParams(const KdfParams& params);
absl::StatusOr<Key32> DeriveKeyFromPassword(std::string_view password, const KdfParams& params);

}  // namespace coffer
