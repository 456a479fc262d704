#include "policy/time_zone.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace coffer {
namespace {

// IANA names are ASCII letters, digits and "/_+-" ("Etc/GMT+5",
// "America/Port-au-Prince"); this also keeps absolute paths and "..",
// which Abseil would open as files, out.
bool LooksLikeIanaName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  if (name.find("..") != name.npos || name.find("//") != name.npos) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return name != "localtime";
}

}  // namespace

absl::StatusOr<absl::TimeZone> LoadPolicyTimeZone(std::string_view name) {
  absl::TimeZone zone;
  if (!LooksLikeIanaName(name) || !absl::LoadTimeZone(std::string(name), &zone))
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone \"", std::string(name),
                     "\" (expected an IANA name like \"Europe/Berlin\" or \"UTC\")"));
  return zone;
}

}  // namespace coffer
