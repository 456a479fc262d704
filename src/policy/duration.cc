#include "policy/duration.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace coffer {
namespace {

struct Unit {
  std::string_view name;
  int64_t seconds;
};

constexpr int64_t kDay = 24 * 3600;

// Longest names first so that "min" is not read as "m" followed by "in".
constexpr Unit kUnits[] = {
    {"min", 60}, {"y", 365 * kDay}, {"m", 30 * kDay}, {"w", 7 * kDay},
    {"d", kDay}, {"h", 3600},       {"s", 1},
};

// Large enough for any sensible retention, small enough that no sum of
// terms can overflow int64 seconds before the total is checked.
constexpr int64_t kMaxNumber = 999999999;
constexpr int64_t kMaxTotal = 10000 * 365 * kDay;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

absl::StatusOr<absl::Duration> ParsePolicyDuration(std::string_view text) {
  auto error = [text](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad duration \"", std::string(text), "\": ", std::string(why),
                     " (expected terms like \"7d\", \"36h\" or \"1y6m\"; units y, m, w, d, h, "
                     "min, s)"));
  };
  if (text.empty()) return error("it is empty");
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!IsDigit(text[pos])) {
      if (IsLetter(text[pos])) return error("a unit must follow a number");
      return error(absl::StrCat("unexpected character '", std::string(1, text[pos]), "'"));
    }
    int64_t number = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      number = number * 10 + (text[pos] - '0');
      if (number > kMaxNumber) return error("a number is too large");
      ++pos;
    }
    size_t unit_start = pos;
    while (pos < text.size() && IsLetter(text[pos])) ++pos;
    std::string_view unit = text.substr(unit_start, pos - unit_start);
    if (unit.empty() && pos < text.size())
      return error(absl::StrCat("unexpected character '", std::string(1, text[pos]), "'"));
    if (unit.empty()) return error(absl::StrCat("the number ", number, " has no unit"));
    const Unit* found = nullptr;
    for (const Unit& u : kUnits)
      if (u.name == unit) found = &u;
    if (found == nullptr) return error(absl::StrCat("unknown unit \"", std::string(unit), "\""));
    total += number * found->seconds;
    if (total > kMaxTotal) return error("it is longer than 10000 years");
  }
  if (total == 0) return error("it must be longer than zero");
  return absl::Seconds(total);
}

std::string FormatPolicyDuration(absl::Duration d) {
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds <= 0) return "0s";
  std::string out;
  static constexpr Unit kFormatUnits[] = {
      {"y", 365 * kDay}, {"d", kDay}, {"h", 3600}, {"min", 60}, {"s", 1}};
  for (const Unit& u : kFormatUnits) {
    if (seconds >= u.seconds) {
      absl::StrAppend(&out, seconds / u.seconds, std::string(u.name));
      seconds %= u.seconds;
    }
  }
  return out;
}

}  // namespace coffer
