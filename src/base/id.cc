#include "base/id.h"

#include <algorithm>

#include "base/hex.h"

namespace coffer {

Id Id::FromBytes(ByteView b) {
  Id id;
  std::copy_n(b.begin(), std::min(b.size(), kSize), id.bytes.begin());
  return id;
}

std::optional<Id> Id::FromHex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::nullopt;
  auto decoded = HexDecode(hex);
  if (!decoded) return std::nullopt;
  return FromBytes(*decoded);
}

std::string Id::Hex() const { return HexEncode(bytes); }

bool Id::IsZero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace coffer
