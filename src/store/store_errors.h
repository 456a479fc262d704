// Error helpers shared by the store implementations, so every store words
// the same failure the same way: "<store>: object <name>: <what>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"

namespace coffer {

// Concatenates strings and numbers. (Debian's Abseil keeps absl::string_view
// distinct from std::string_view, so absl::StrCat does not take the latter.)
template <typename... Parts>
std::string StoreCat(const Parts&... parts) {
  std::string out;
  auto append = [&out](const auto& part) {
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(part)>>)
      out += std::to_string(part);
    else
      out += std::string_view(part);
  };
  (append(parts), ...);
  return out;
}

// `store` is the store's Describe().
absl::Status ObjectError(absl::StatusCode code, std::string_view store, std::string_view name,
                         std::string_view what);

// ValidateObjectName, with the store named in the message.
absl::Status CheckObjectName(std::string_view store, std::string_view name);

// OK when [offset, offset + length) lies within an object of `size` bytes (a
// zero-length range at the very end is fine); InvalidArgument naming the
// object, the range and the size otherwise.
absl::Status CheckObjectRange(std::string_view store, std::string_view name, uint64_t size,
                              uint64_t offset, uint64_t length);

}  // namespace coffer
