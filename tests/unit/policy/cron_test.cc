// Cron expressions: fields, lists, ranges, steps, names, macros and errors.
#include "policy/cron.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using coffer::CronSpec;
using coffer::ParseCron;

namespace {

CronSpec Parsed(const std::string& text) {
  auto spec = ParseCron(text);
  INFO(text << ": " << spec.status().ToString());
  REQUIRE(spec.ok());
  return *spec;
}

std::string ErrorOf(const std::string& text) {
  auto spec = ParseCron(text);
  INFO(text);
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

template <size_t N>
std::vector<int> Bits(const std::bitset<N>& bits) {
  std::vector<int> out;
  for (size_t i = 0; i < N; ++i)
    if (bits[i]) out.push_back(static_cast<int>(i));
  return out;
}

}  // namespace

TEST_CASE("cron fields take lists, ranges, steps and names") {
  CronSpec spec = Parsed("*/15 0-23/6 1,15 JAN-MAR,dec mon-fri");
  CHECK(Bits(spec.minutes) == std::vector<int>{0, 15, 30, 45});
  CHECK(Bits(spec.hours) == std::vector<int>{0, 6, 12, 18});
  CHECK(Bits(spec.days_of_month) == std::vector<int>{1, 15});
  CHECK(Bits(spec.months) == std::vector<int>{1, 2, 3, 12});
  CHECK(Bits(spec.days_of_week) == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(spec.day_of_month_restricted);
  CHECK(spec.day_of_week_restricted);

  SECTION("a value with a step runs to the end of the field") {
    CHECK(Bits(Parsed("5/20 * * * *").minutes) == std::vector<int>{5, 25, 45});
    CHECK(Bits(Parsed("0 * */10 * *").days_of_month) == std::vector<int>{1, 11, 21, 31});
  }
  SECTION("0 and 7 are Sunday; ranges may end on Sunday") {
    CHECK(Bits(Parsed("0 0 * * 7").days_of_week) == std::vector<int>{0});
    CHECK(Bits(Parsed("0 0 * * FRI-SUN").days_of_week) == std::vector<int>{0, 5, 6});
    CHECK(Bits(Parsed("0 0 * * 5-7").days_of_week) == std::vector<int>{0, 5, 6});
    CHECK(Bits(Parsed("0 0 * * Sat,sun").days_of_week) == std::vector<int>{0, 6});
  }
  SECTION("a field that covers every day is not a restriction") {
    CronSpec all = Parsed("* * * * *");
    CHECK_FALSE(all.day_of_month_restricted);
    CHECK_FALSE(all.day_of_week_restricted);
    CHECK(all.minutes.all());
    CHECK(all.hours.all());
    CronSpec spelled = Parsed("0 0 1-31 * 0-7");
    CHECK_FALSE(spelled.day_of_month_restricted);
    CHECK_FALSE(spelled.day_of_week_restricted);
    CHECK(Parsed("0 0 */2 * *").day_of_month_restricted);
  }
}

TEST_CASE("cron macros expand to their five fields") {
  auto same = [](const CronSpec& a, const CronSpec& b) {
    return a.minutes == b.minutes && a.hours == b.hours && a.days_of_month == b.days_of_month &&
           a.months == b.months && a.days_of_week == b.days_of_week &&
           a.day_of_month_restricted == b.day_of_month_restricted &&
           a.day_of_week_restricted == b.day_of_week_restricted;
  };
  CHECK(same(Parsed("@hourly"), Parsed("0 * * * *")));
  CHECK(same(Parsed("@daily"), Parsed("0 0 * * *")));
  CHECK(same(Parsed("@midnight"), Parsed("0 0 * * *")));
  CHECK(same(Parsed("@weekly"), Parsed("0 0 * * 0")));
  CHECK(same(Parsed("@monthly"), Parsed("0 0 1 * *")));
  CHECK(same(Parsed("@yearly"), Parsed("0 0 1 1 *")));
  CHECK(same(Parsed("@annually"), Parsed("0 0 1 1 *")));
  CHECK(Parsed("@Daily").text == "@daily");
}

TEST_CASE("cron text is normalised to single blanks") {
  CHECK(Parsed("  0   2 * *\t* ").text == "0 2 * * *");
  CHECK(Parsed("*/5 * * * mon").text == "*/5 * * * mon");
}

TEST_CASE("bad cron expressions name the field and the problem") {
  CHECK(ErrorOf("60 * * * *") == "minute: value 60 is out of range 0-59");
  CHECK(ErrorOf("* 24 * * *") == "hour: value 24 is out of range 0-23");
  CHECK(ErrorOf("* * 0 * *") == "day-of-month: value 0 is out of range 1-31");
  CHECK(ErrorOf("* * * 13 *") == "month: value 13 is out of range 1-12");
  CHECK(ErrorOf("* * * * 8") == "day-of-week: value 8 is out of range 0-7");
  CHECK(ErrorOf("* * * * MNO") == "day-of-week: unknown name \"MNO\" (expected SUN..SAT)");
  CHECK(ErrorOf("* * * JANUARY *") == "month: unknown name \"JANUARY\" (expected JAN..DEC)");
  CHECK(ErrorOf("a * * * *") == "minute: \"a\" is not a number");
  CHECK(ErrorOf("*/0 * * * *") == "minute: step \"0\" must be between 1 and 59");
  CHECK(ErrorOf("*/60 * * * *") == "minute: step \"60\" must be between 1 and 59");
  CHECK(ErrorOf("0 0 * * */x") == "day-of-week: \"x\" is not a number");
  CHECK(ErrorOf("5-2 * * * *") == "minute: range \"5-2\" runs backwards");
  CHECK(ErrorOf("1,,2 * * * *") == "minute: empty item in a list");
  CHECK(ErrorOf("1- * * * *") == "minute: a value is missing");
  CHECK(ErrorOf("L * * * *") == "minute: \"L\" is not a number");
  CHECK_THAT(ErrorOf("0 0 * *"), Catch::StartsWith("expected 5 fields (minute hour "
                                                   "day-of-month month day-of-week) or a macro "
                                                   "like @daily, got 4"));
  CHECK_THAT(ErrorOf("0 0 0 * * *"), Catch::Contains("got 6"));
  CHECK_THAT(ErrorOf(""), Catch::Contains("got 0"));
  CHECK_THAT(ErrorOf("@reboot"), Catch::StartsWith("unknown macro \"@reboot\""));
}

TEST_CASE("cron expressions that can never fire are rejected") {
  CHECK(ErrorOf("0 0 30 2 *") ==
        "day-of-month 30 never occurs in February: the schedule never fires");
  CHECK(ErrorOf("0 0 30,31 feb *") ==
        "days of month 30 and 31 never occur in February: the schedule never fires");
  CHECK(ErrorOf("0 0 31 4,6,9,11 *") ==
        "day-of-month 31 never occurs in April, June, September or November: the schedule "
        "never fires");
  // Possible somewhere: February 29th, the 31st in some of the months, or
  // a day of the week that widens the match.
  CHECK(ParseCron("0 0 29 2 *").ok());
  CHECK(ParseCron("0 0 31 2,3 *").ok());
  CHECK(ParseCron("0 0 31 2 MON").ok());
}

TEST_CASE("a day matches when either restricted day field does") {
  const CronSpec both = Parsed("0 0 13 * FRI");
  CHECK(both.MatchesDay(absl::CivilDay(2026, 1, 2)));   // a Friday
  CHECK(both.MatchesDay(absl::CivilDay(2026, 1, 13)));  // a Tuesday, the 13th
  CHECK_FALSE(both.MatchesDay(absl::CivilDay(2026, 1, 14)));
  const CronSpec day_only = Parsed("0 0 13 * *");
  CHECK_FALSE(day_only.MatchesDay(absl::CivilDay(2026, 1, 2)));
  CHECK(day_only.MatchesDay(absl::CivilDay(2026, 1, 13)));
  const CronSpec weekday_only = Parsed("0 0 * * FRI");
  CHECK(weekday_only.MatchesDay(absl::CivilDay(2026, 1, 2)));
  CHECK_FALSE(weekday_only.MatchesDay(absl::CivilDay(2026, 1, 13)));
  const CronSpec month = Parsed("0 0 * MAR *");
  CHECK_FALSE(month.MatchesDay(absl::CivilDay(2026, 2, 28)));
  CHECK(month.MatchesDay(absl::CivilDay(2026, 3, 1)));
}
