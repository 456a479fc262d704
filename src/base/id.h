// A 32-byte identifier: blob IDs (keyed hash of plaintext) and object names
// (SHA-256 of the stored bytes) are both Ids.
#pragma once

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace coffer {

struct Id {
  static constexpr size_t kSize = 32;
  std::array<uint8_t, kSize> bytes{};

  static Id FromBytes(ByteView b);  // REQUIRES: b.size() == kSize
  // Parses 64 hex digits; nullopt otherwise.
  static std::optional<Id> FromHex(std::string_view hex);
  std::string Hex() const;
  std::string ShortHex() const { return Hex().substr(0, 8); }
  bool IsZero() const;

  auto operator<=>(const Id&) const = default;
  bool operator==(const Id&) const = default;

  template <typename H>
  friend H AbslHashValue(H h, const Id& id) {
    // The bytes are already uniformly distributed; 8 of them are plenty.
    uint64_t prefix;
    std::memcpy(&prefix, id.bytes.data(), sizeof(prefix));
    return H::combine(std::move(h), prefix);
  }
};

}  // namespace coffer
