// Returning strings to C callers: copies in memory that coffer_free() frees,
// and JSON documents serialised so that no byte sequence can make them fail.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "coffer/coffer.h"

namespace coffer::capi {

// A malloc'ed, NUL-terminated copy; throws std::bad_alloc when out of memory.
char* CopyString(std::string_view s);

// Compact JSON; invalid UTF-8 in strings is replaced by U+FFFD.
std::string DumpJson(const nlohmann::json& doc);

// *out = CopyString(DumpJson(doc)) when out is not NULL; returns COFFER_OK.
coffer_status ReturnJson(const nlohmann::json& doc, char** out);

}  // namespace coffer::capi
