// Argon2id: turns a password into the key that wraps a key slot.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "crypto/secret.h"

namespace coffer {

// The default cost: 4 passes over 56 MiB. Against RFC 9106's second
// recommendation (3 passes over 64 MiB) it takes the same time here
// (~0.18 s: fewer fresh pages to fault in, one more pass), costs an
// attacker at least as much per guess whether counted as memory x passes
// (224 vs 192 MiB) or as area x time (memory^2 x passes: 12,544 vs 12,288),
// and leaves 8 MiB less at the peak of every command that opens a
// repository: the derivation is that peak for short commands.
struct KdfParams {
  uint64_t ops_limit = 4;                  // Argon2id passes
  uint64_t mem_limit = 56ull << 20;        // bytes
  Bytes salt;                              // 16 bytes, random per key slot
};

// Defaults for new key slots (see KdfParams) with a fresh salt.
KdfParams NewKdfParams();
// Validates bounds (ops 1..16, memory 8 KiB..4 GiB, salt 16 bytes) so a
// hostile key slot cannot make us allocate without limit: InvalidArgument.
absl::Status ValidateKdfParams(const KdfParams& params);
absl::StatusOr<Key32> DeriveKeyFromPassword(std::string_view password, const KdfParams& params);

}  // namespace coffer
