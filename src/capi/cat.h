// String concatenation for error messages.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace coffer::capi {

// Concatenates strings (std or absl string views, C strings) and numbers.
// Debian's Abseil keeps absl::string_view distinct from std::string_view, so
// absl::StrCat does not take the latter.
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  auto append = [&out](const auto& part) {
    using T = std::decay_t<decltype(part)>;
    if constexpr (std::is_same_v<T, bool>)
      out += part ? "true" : "false";
    else if constexpr (std::is_arithmetic_v<T>)
      out += std::to_string(part);
    else if constexpr (std::is_same_v<T, absl::string_view>)
      out.append(part.data(), part.size());
    else
      out += std::string_view(part);
  };
  (append(parts), ...);
  return out;
}

}  // namespace coffer::capi
