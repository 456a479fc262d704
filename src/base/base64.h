// Standard base64 (with padding) for binary values inside JSON documents.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace coffer {

std::string Base64Encode(ByteView data);
std::optional<Bytes> Base64Decode(std::string_view text);

}  // namespace coffer
