// Lower-case hexadecimal encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace coffer {

std::string HexEncode(ByteView data);
// Returns nullopt unless `hex` has an even length and only hex digits.
std::optional<Bytes> HexDecode(std::string_view hex);

}  // namespace coffer
