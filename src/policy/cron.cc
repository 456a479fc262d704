#include "policy/cron.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace coffer {
namespace {

constexpr std::string_view kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::string_view kMonthFullNames[] = {"January",   "February", "March",    "April",
                                                "May",       "June",     "July",     "August",
                                                "September", "October",  "November", "December"};
constexpr std::string_view kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Field {
  std::string_view name;
  int min, max;                             // accepted values (day-of-week accepts 7 for Sunday)
  int star_max;                             // the end of "*" (day-of-week: 6)
  const std::string_view* names = nullptr;  // names[i] stands for min + i
  int name_count = 0;
  bool seven_is_sunday = false;
};

constexpr Field kMinute{"minute", 0, 59, 59};
constexpr Field kHour{"hour", 0, 23, 23};
constexpr Field kDayOfMonth{"day-of-month", 1, 31, 31};
constexpr Field kMonth{"month", 1, 12, 12, kMonthNames, 12};
constexpr Field kDayOfWeek{"day-of-week", 0, 7, 6, kDayNames, 7, /*seven_is_sunday=*/true};

// Splits on any of `separators`; empty pieces are kept unless skip_empty.
std::vector<std::string_view> Split(std::string_view text, std::string_view separators,
                                    bool skip_empty) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = text.find_first_of(separators, start);
    std::string_view piece = text.substr(start, end == text.npos ? text.npos : end - start);
    if (!piece.empty() || !skip_empty) out.push_back(piece);
    if (end == text.npos) return out;
    start = end + 1;
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (absl::ascii_toupper(static_cast<unsigned char>(a[i])) !=
        absl::ascii_toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

struct Macro {
  std::string_view name, expansion;
};
constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

absl::Status FieldError(const Field& f, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(f.name), ": ", std::string(message)));
}

absl::StatusOr<int> ParseNumber(std::string_view text, const Field& f) {
  if (text.empty()) return FieldError(f, "a value is missing");
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return FieldError(f, absl::StrCat("\"", std::string(text), "\" is not a number"));
    value = std::min(value * 10 + (c - '0'), 100000);  // out of range anyway; no overflow
  }
  return value;
}

absl::StatusOr<int> ParseValue(std::string_view text, const Field& f) {
  int value = 0;
  if (!text.empty() && absl::ascii_isalpha(static_cast<unsigned char>(text[0]))) {
    int found = -1;
    for (int i = 0; i < f.name_count; ++i)
      if (EqualsIgnoreCase(text, f.names[i])) found = f.min + i;
    if (found < 0) {
      if (f.name_count == 0)
        return FieldError(f, absl::StrCat("\"", std::string(text), "\" is not a number"));
      return FieldError(f, absl::StrCat("unknown name \"", std::string(text), "\" (expected ",
                                        std::string(f.names[0]), "..",
                                        std::string(f.names[f.name_count - 1]), ")"));
    }
    value = found;
  } else {
    auto number = ParseNumber(text, f);
    if (!number.ok()) return number.status();
    value = *number;
  }
  if (value < f.min || value > f.max)
    return FieldError(
        f, absl::StrCat("value ", std::string(text), " is out of range ", f.min, "-", f.max));
  return value;
}

// One comma-separated item: "*", "a", "a-b", each optionally "/step".
absl::Status ParseItem(std::string_view item, const Field& f, uint64_t* bits) {
  if (item.empty()) return FieldError(f, "empty item in a list");
  std::string_view base = item, step_text;
  bool has_step = false;
  if (size_t slash = item.find('/'); slash != item.npos) {
    base = item.substr(0, slash);
    step_text = item.substr(slash + 1);
    has_step = true;
  }
  int lo, hi;
  if (base == "*") {
    lo = f.min;
    hi = f.star_max;
  } else if (size_t dash = base.find('-'); dash != base.npos) {
    auto a = ParseValue(base.substr(0, dash), f);
    if (!a.ok()) return a.status();
    auto b = ParseValue(base.substr(dash + 1), f);
    if (!b.ok()) return b.status();
    lo = *a;
    hi = *b;
    if (f.seven_is_sunday && hi == 0 && lo > 0) hi = 7;  // "FRI-SUN"
    if (lo > hi)
      return FieldError(f, absl::StrCat("range \"", std::string(base), "\" runs backwards"));
  } else {
    auto a = ParseValue(base, f);
    if (!a.ok()) return a.status();
    lo = hi = *a;
    if (has_step) hi = f.star_max;  // "10/20": from 10 to the end
  }
  int step = 1;
  if (has_step) {
    auto s = ParseNumber(step_text, f);
    if (!s.ok()) return s.status();
    int span = f.star_max - f.min;
    if (*s < 1 || *s > span)
      return FieldError(
          f, absl::StrCat("step \"", std::string(step_text), "\" must be between 1 and ", span));
    step = *s;
  }
  for (int v = lo; v <= hi; v += step)
    *bits |= uint64_t{1} << (v == 7 && f.seven_is_sunday ? 0 : v);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ParseField(std::string_view text, const Field& f) {
  uint64_t bits = 0;
  for (std::string_view item : Split(text, ",", /*skip_empty=*/false)) {
    absl::Status s = ParseItem(item, f, &bits);
    if (!s.ok()) return s;
  }
  return bits;
}

int MaxDaysIn(int month) {  // over all years: February has 29 in leap years
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month - 1];
}

std::string JoinAlternatives(const std::vector<std::string>& items, std::string_view word) {
  if (items.size() == 1) return items[0];
  std::vector<std::string> head(items.begin(), items.end() - 1);
  return absl::StrCat(absl::StrJoin(head, ", "), " ", std::string(word), " ", items.back());
}

// The only way a parsed expression can never fire: the day-of-month alone
// decides and none of its days exists in any of the chosen months.
absl::Status CheckCanFire(const CronSpec& spec) {
  if (!spec.day_of_month_restricted || spec.day_of_week_restricted) return absl::OkStatus();
  std::vector<std::string> days, months;
  for (int d = 1; d <= 31; ++d)
    if (spec.days_of_month[d]) days.push_back(absl::StrCat(d));
  for (int m = 1; m <= 12; ++m) {
    if (!spec.months[m]) continue;
    for (int d = 1; d <= MaxDaysIn(m); ++d)
      if (spec.days_of_month[d]) return absl::OkStatus();
    months.push_back(std::string(kMonthFullNames[m - 1]));
  }
  std::string what = days.size() == 1 ? absl::StrCat("day-of-month ", days[0], " never occurs")
                                      : absl::StrCat("days of month ",
                                                     JoinAlternatives(days, "and"), " never occur");
  return absl::InvalidArgumentError(
      absl::StrCat(what, " in ", JoinAlternatives(months, "or"), ": the schedule never fires"));
}

}  // namespace

bool CronSpec::MatchesDay(absl::CivilDay day) const {
  if (!months[day.month()]) return false;
  bool dom = days_of_month[day.day()];
  // absl::Weekday runs Monday = 0 .. Sunday = 6; cron counts Sunday = 0.
  int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;
  bool dow = days_of_week[weekday];
  if (day_of_month_restricted && day_of_week_restricted) return dom || dow;
  if (day_of_month_restricted) return dom;
  if (day_of_week_restricted) return dow;
  return true;
}

absl::StatusOr<CronSpec> ParseCron(std::string_view text) {
  std::vector<std::string_view> fields = Split(text, " \t\n", /*skip_empty=*/true);
  if (fields.size() == 1 && !fields[0].empty() && fields[0][0] == '@') {
    std::string name = absl::AsciiStrToLower(std::string(fields[0]));
    for (const Macro& m : kMacros) {
      if (m.name != name) continue;
      auto spec = ParseCron(m.expansion);
      if (spec.ok()) spec->text = name;
      return spec;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown macro \"", std::string(fields[0]),
                     "\" (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
                     "@hourly)"));
  }
  if (fields.size() != 5)
    return absl::InvalidArgumentError(
        absl::StrCat("expected 5 fields (minute hour day-of-month month day-of-week) or a macro "
                     "like @daily, got ",
                     fields.size(), " in \"", std::string(text), "\""));
  static constexpr const Field* kFields[] = {&kMinute, &kHour, &kDayOfMonth, &kMonth, &kDayOfWeek};
  uint64_t bits[5];
  for (int i = 0; i < 5; ++i) {
    auto parsed = ParseField(fields[i], *kFields[i]);
    if (!parsed.ok()) return parsed.status();
    bits[i] = *parsed;
  }
  CronSpec spec;
  spec.text = std::string(fields[0]);
  for (int i = 1; i < 5; ++i) absl::StrAppend(&spec.text, " ", std::string(fields[i]));
  spec.minutes = std::bitset<60>(bits[0]);
  spec.hours = std::bitset<24>(bits[1]);
  spec.days_of_month = std::bitset<32>(bits[2]);
  spec.months = std::bitset<13>(bits[3]);
  spec.days_of_week = std::bitset<7>(bits[4]);
  spec.day_of_month_restricted = spec.days_of_month.count() != 31;
  spec.day_of_week_restricted = !spec.days_of_week.all();
  absl::Status can_fire = CheckCanFire(spec);
  if (!can_fire.ok()) return can_fire;
  return spec;
}

}  // namespace coffer
