// ValidateObjectName: the one definition of a well-formed object name, shared
// by every store so that a name valid on one store is valid on all of them.
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "store/store.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

// Components starting with this are the local store's temporary files; a
// name containing one could collide with them, so no store accepts it.
constexpr std::string_view kTempPrefix = ".tmp-";

absl::Status Invalid(std::string_view name, std::string_view why) {
  // CHexEscape keeps a NUL or control character in a name readable.
  return absl::InvalidArgumentError(
      StoreCat("invalid object name \"",
               absl::CHexEscape(absl::string_view(name.data(), name.size())), "\": ", why));
}

}  // namespace

absl::Status ValidateObjectName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("invalid object name: empty");
  if (name.find('\0') != std::string_view::npos) return Invalid(name, "contains a NUL byte");
  if (name.front() == '/') return Invalid(name, "must be relative (starts with '/')");
  if (name.back() == '/') return Invalid(name, "ends with '/'");

  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view component = name.substr(start, end - start);
    if (component.empty()) return Invalid(name, "empty path component (\"//\")");
    if (component == "." || component == "..")
      return Invalid(name, StoreCat("path component \"", component, "\" is not allowed"));
    if (component.substr(0, kTempPrefix.size()) == kTempPrefix)
      return Invalid(name, "path components starting with \".tmp-\" are reserved");
    start = end + 1;
  }
  return absl::OkStatus();
}

}  // namespace coffer
