// Durations in policies: terms like "7d" and "1y6m" with fixed-length units.
#include "policy/duration.h"

#include <catch2/catch.hpp>
#include <string>

using coffer::FormatPolicyDuration;
using coffer::ParsePolicyDuration;

namespace {

absl::Duration Parsed(const std::string& text) {
  auto d = ParsePolicyDuration(text);
  INFO(text << ": " << d.status().ToString());
  REQUIRE(d.ok());
  return *d;
}

std::string ErrorOf(const std::string& text) {
  auto d = ParsePolicyDuration(text);
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(d.status().message());
}

}  // namespace

TEST_CASE("durations add up terms of fixed-length units") {
  CHECK(Parsed("36h") == absl::Hours(36));
  CHECK(Parsed("7d") == absl::Hours(7 * 24));
  CHECK(Parsed("2w") == absl::Hours(14 * 24));
  CHECK(Parsed("1y6m") == absl::Hours((365 + 6 * 30) * 24));
  CHECK(Parsed("90min") == absl::Minutes(90));
  CHECK(Parsed("1d12h") == absl::Hours(36));
  CHECK(Parsed("45s") == absl::Seconds(45));
  CHECK(Parsed("1w1d1h1min1s") == absl::Hours(8 * 24 + 1) + absl::Minutes(1) + absl::Seconds(1));
}

TEST_CASE("durations read m as a month of 30 days and min as minutes") {
  CHECK(Parsed("90m") == absl::Hours(90 * 30 * 24));
  CHECK(Parsed("1m") == absl::Hours(30 * 24));
  CHECK(Parsed("1min") == absl::Minutes(1));
}

TEST_CASE("bad durations are rejected with the reason") {
  CHECK_THAT(ErrorOf(""), Catch::Contains("it is empty"));
  CHECK_THAT(ErrorOf("7"), Catch::Contains("the number 7 has no unit"));
  CHECK_THAT(ErrorOf("d"), Catch::Contains("a unit must follow a number"));
  CHECK_THAT(ErrorOf("7x"), Catch::Contains("unknown unit \"x\""));
  CHECK_THAT(ErrorOf("7D"), Catch::Contains("unknown unit \"D\""));
  CHECK_THAT(ErrorOf("-1d"), Catch::Contains("unexpected character '-'"));
  CHECK_THAT(ErrorOf("1.5d"), Catch::Contains("unexpected character '.'"));
  CHECK_THAT(ErrorOf("7 d"), Catch::Contains("unexpected character ' '"));
  CHECK_THAT(ErrorOf("0d"), Catch::Contains("longer than zero"));
  CHECK_THAT(ErrorOf("9999999999d"), Catch::Contains("too large"));
  CHECK_THAT(ErrorOf("20000y"), Catch::Contains("longer than 10000 years"));
  CHECK_THAT(ErrorOf("3q"), Catch::Contains("bad duration \"3q\""));
}

TEST_CASE("durations format canonically in years, days, hours, minutes, seconds") {
  CHECK(FormatPolicyDuration(absl::Hours(36)) == "1d12h");
  CHECK(FormatPolicyDuration(absl::Hours(14 * 24)) == "14d");
  CHECK(FormatPolicyDuration(Parsed("1y6m")) == "1y180d");
  CHECK(FormatPolicyDuration(absl::Minutes(90)) == "1h30min");
  CHECK(FormatPolicyDuration(absl::Hours(7 * 24)) == "7d");
  CHECK(FormatPolicyDuration(absl::Seconds(61)) == "1min1s");
  for (const char* text : {"36h", "2w", "1y6m", "90min", "90m", "1w1d1h1min1s", "3y"})
    CHECK(Parsed(FormatPolicyDuration(Parsed(text))) == Parsed(text));
}
