// UTF-8 validation shared by the tree encoder (names go into JSON as text
// only when valid) and the GCS store (object names must be valid).
#pragma once

#include <string_view>

namespace coffer {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF — exactly what a JSON string may carry as text.
bool IsValidUtf8(std::string_view s);

}  // namespace coffer
