// Policies: parsing, validation errors that name the field, and the JSON
// round trip.
#include "policy/policy.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "policy/retention_json.h"

using coffer::ParsePolicy;
using coffer::Policy;
using coffer::PolicyToJson;

namespace {

constexpr const char* kFullPolicy = R"({
  "name": "laptop-home",
  "paths": ["/home/ann", "/etc"],
  "includes": ["*.pdf"],
  "excludes": ["**/.cache", "*.tmp"],
  "tags": ["laptop"],
  "repository": "s3://bucket/repo",
  "schedule": {"cron": "0  2 * * *", "time_zone": "Europe/Berlin"},
  "retention": {"keep_last": 3, "keep_daily": 7, "keep_weekly": 4, "keep_monthly": 12,
                "keep_yearly": 3, "keep_within": "2d", "keep_tags": ["keep"],
                "time_zone": "Europe/Berlin"}
})";

Policy Parsed(const std::string& text) {
  auto policy = ParsePolicy(text);
  INFO(text << ": " << policy.status().ToString());
  REQUIRE(policy.ok());
  return *policy;
}

std::string ErrorOf(const std::string& text) {
  auto policy = ParsePolicy(text);
  INFO(text);
  REQUIRE_FALSE(policy.ok());
  CHECK(policy.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(policy.status().message());
}

}  // namespace

TEST_CASE("a full policy parses into its fields") {
  Policy p = Parsed(kFullPolicy);
  CHECK(p.name == "laptop-home");
  CHECK(p.paths == std::vector<std::string>{"/home/ann", "/etc"});
  CHECK(p.includes == std::vector<std::string>{"*.pdf"});
  CHECK(p.excludes == std::vector<std::string>{"**/.cache", "*.tmp"});
  CHECK(p.tags == std::vector<std::string>{"laptop"});
  CHECK(p.repository == "s3://bucket/repo");
  CHECK(p.schedule.cron == "0 2 * * *");  // normalised
  CHECK(p.schedule.time_zone == "Europe/Berlin");
  CHECK(p.retention.keep_last == 3);
  CHECK(p.retention.keep_hourly == 0);
  CHECK(p.retention.keep_daily == 7);
  CHECK(p.retention.keep_weekly == 4);
  CHECK(p.retention.keep_monthly == 12);
  CHECK(p.retention.keep_yearly == 3);
  CHECK(p.retention.keep_within == absl::Hours(48));
  CHECK(p.retention.keep_tags == std::vector<std::string>{"keep"});
  CHECK(p.retention.time_zone == "Europe/Berlin");
}

TEST_CASE("every policy field is optional") {
  Policy p = Parsed("{}");
  CHECK(p == Policy());
  CHECK(p.schedule.cron.empty());
  CHECK(p.schedule.time_zone == "UTC");
  CHECK(p.retention.time_zone == "UTC");
  CHECK(Parsed(R"({"name": null, "paths": null, "retention": null})") == Policy());
  CHECK(Parsed(R"({"schedule": {}})") == Policy());
}

TEST_CASE("retention takes the schedule's time zone unless it names its own") {
  Policy p = Parsed(R"({"schedule": {"cron": "@daily", "time_zone": "America/New_York"},
                        "retention": {"keep_daily": 7}})");
  CHECK(p.retention.time_zone == "America/New_York");
  p = Parsed(R"({"schedule": {"cron": "@daily", "time_zone": "America/New_York"}})");
  CHECK(p.retention.time_zone == "America/New_York");
  p = Parsed(R"({"schedule": {"cron": "@daily", "time_zone": "America/New_York"},
                 "retention": {"keep_daily": 7, "time_zone": "UTC"}})");
  CHECK(p.retention.time_zone == "UTC");
}

TEST_CASE("policies round-trip through their canonical JSON") {
  Policy p = Parsed(kFullPolicy);
  std::string json = PolicyToJson(p);
  CHECK(json ==
        R"({"name":"laptop-home","paths":["/home/ann","/etc"],"includes":["*.pdf"],)"
        R"("excludes":["**/.cache","*.tmp"],"tags":["laptop"],"repository":"s3://bucket/repo",)"
        R"("schedule":{"cron":"0 2 * * *","time_zone":"Europe/Berlin"},)"
        R"("retention":{"keep_last":3,"keep_daily":7,"keep_weekly":4,"keep_monthly":12,)"
        R"("keep_yearly":3,"keep_within":"2d","keep_tags":["keep"],"time_zone":"Europe/Berlin"}})");
  CHECK(Parsed(json) == p);
  CHECK(PolicyToJson(Parsed(json)) == json);
  CHECK(nlohmann::json::parse(PolicyToJson(p, 2)) == nlohmann::json::parse(json));

  SECTION("the empty policy") {
    CHECK(PolicyToJson(Policy()) ==
          R"({"name":"","paths":[],"includes":[],"excludes":[],"tags":[],)"
          R"("retention":{"time_zone":"UTC"}})");
    CHECK(Parsed(PolicyToJson(Policy())) == Policy());
  }
  SECTION("policies built in code") {
    Policy q;
    q.name = "db";
    q.paths = {"/var/lib/db"};
    q.schedule.time_zone = "Asia/Tokyo";  // no cron: kept anyway
    q.retention.keep_hourly = -1;
    q.retention.keep_within = absl::Hours(36) + absl::Minutes(5);
    q.retention.time_zone = "UTC";
    REQUIRE(coffer::ValidatePolicy(q).ok());
    std::string text = PolicyToJson(q);
    CHECK_THAT(text, Catch::Contains(R"("schedule":{"time_zone":"Asia/Tokyo"})"));
    CHECK_THAT(text, Catch::Contains(R"("keep_hourly":-1,"keep_within":"1d12h5min")"));
    CHECK(Parsed(text) == q);
  }
  SECTION("macros are kept, in lower case") {
    Policy m = Parsed(R"({"schedule": {"cron": "@Weekly"}})");
    CHECK(m.schedule.cron == "@weekly");
    CHECK(Parsed(PolicyToJson(m)) == m);
  }
}

TEST_CASE("unknown fields are rejected by name, with a suggestion") {
  CHECK(ErrorOf(R"({"nmae": "x"})") == R"(unknown field "nmae" (did you mean "name"?))");
  CHECK(ErrorOf(R"({"retention": {"keep_dayly": 7}})") ==
        R"(retention: unknown field "keep_dayly" (did you mean "keep_daily"?))");
  CHECK(ErrorOf(R"({"schedule": {"crn": "@daily"}})") ==
        R"(schedule: unknown field "crn" (did you mean "cron"?))");
  CHECK(ErrorOf(R"({"frequency": "daily"})") == R"(unknown field "frequency")");
}

TEST_CASE("bad values are rejected with the field's name") {
  CHECK(ErrorOf(R"({"retention": {"keep_daily": -5}})") ==
        "retention.keep_daily: must be >= 0 (or -1 for unlimited), got -5");
  CHECK(ErrorOf(R"({"retention": {"keep_last": -2}})") ==
        "retention.keep_last: must be >= 0 (or -1 for unlimited), got -2");
  CHECK(ErrorOf(R"({"retention": {"keep_daily": "7"}})") ==
        "retention.keep_daily: must be an integer, not a string");
  CHECK(ErrorOf(R"({"retention": {"keep_weekly": 1.5}})") ==
        "retention.keep_weekly: must be an integer, not a number");
  CHECK(ErrorOf(R"({"retention": {"keep_yearly": 99999999999}})") ==
        "retention.keep_yearly: must be at most 2147483647");
  CHECK_THAT(ErrorOf(R"({"retention": {"keep_within": "7x"}})"),
             Catch::StartsWith("retention.keep_within: bad duration \"7x\": unknown unit \"x\""));
  CHECK(ErrorOf(R"({"retention": {"keep_within": 7}})") ==
        "retention.keep_within: must be a string, not an integer");
  CHECK(ErrorOf(R"({"retention": {"keep_tags": "keep"}})") ==
        "retention.keep_tags: must be an array of strings, not a string");
  CHECK(ErrorOf(R"({"retention": {"keep_tags": ["a", ""]}})") ==
        "retention.keep_tags[1]: must be a non-empty string");
  CHECK_THAT(ErrorOf(R"({"retention": {"keep_last": 1, "time_zone": "Europe/Berln"}})"),
             Catch::StartsWith("retention.time_zone: unknown time zone \"Europe/Berln\""));
  CHECK(ErrorOf(R"({"retention": [1]})") == "retention: must be a JSON object, not an array");
  CHECK(ErrorOf(R"({"schedule": {"cron": "0 0 30 2 *"}})") ==
        "schedule.cron: day-of-month 30 never occurs in February: the schedule never fires");
  CHECK(ErrorOf(R"({"schedule": {"cron": "0 25 * * *"}})") ==
        "schedule.cron: hour: value 25 is out of range 0-23");
  CHECK(ErrorOf(R"({"schedule": {"cron": ""}})") == "schedule.cron: must not be empty");
  CHECK_THAT(ErrorOf(R"({"schedule": {"cron": "@daily", "time_zone": "Mars/Olympus"}})"),
             Catch::StartsWith("schedule.time_zone: unknown time zone \"Mars/Olympus\""));
  CHECK(ErrorOf(R"({"schedule": "@daily"})") == "schedule: must be a JSON object, not a string");
  CHECK(ErrorOf(R"({"paths": "/home"})") == "paths: must be an array of strings, not a string");
  CHECK(ErrorOf(R"({"paths": ["/home", ""]})") == "paths[1]: must be a non-empty string");
  CHECK(ErrorOf(R"({"excludes": [3]})") == "excludes[0]: must be a non-empty string");
  CHECK(ErrorOf(R"({"name": 3})") == "name: must be a string, not an integer");
  CHECK(ErrorOf(R"({"repository": ""})") == "repository: must not be empty");
  CHECK(ErrorOf("[]") == "policy: must be a JSON object, not an array");
  CHECK_THAT(ErrorOf("{\"name\": "), Catch::StartsWith("policy: not valid JSON: parse error"));
}

TEST_CASE("ValidatePolicy checks policies built in code") {
  Policy p;
  p.paths = {"/a", ""};
  CHECK(std::string(coffer::ValidatePolicy(p).message()) == "paths[1]: must be a non-empty string");
  p = Policy();
  p.retention.keep_monthly = -3;
  CHECK(std::string(coffer::ValidatePolicy(p).message()) ==
        "retention.keep_monthly: must be >= 0 (or -1 for unlimited), got -3");
  p = Policy();
  p.schedule.cron = "@reboot";
  CHECK_THAT(std::string(coffer::ValidatePolicy(p).message()),
             Catch::StartsWith("schedule.cron: unknown macro \"@reboot\""));
  CHECK(coffer::ValidatePolicy(Policy()).ok());
}

TEST_CASE("a retention object reads and writes on its own") {
  auto rules = coffer::ParseRetentionRules(R"({"keep_last": 2, "keep_within": "36h"})");
  REQUIRE(rules.ok());
  CHECK(rules->keep_last == 2);
  CHECK(rules->keep_within == absl::Hours(36));
  CHECK(rules->time_zone == "UTC");
  CHECK(coffer::RetentionRulesToJson(*rules).dump() ==
        R"({"keep_last":2,"keep_within":"1d12h","time_zone":"UTC"})");
  auto again = coffer::RetentionRulesFromJson(
      nlohmann::json::parse(coffer::RetentionRulesToJson(*rules).dump()));
  REQUIRE(again.ok());
  CHECK(*again == *rules);
  auto bad = coffer::ParseRetentionRules(R"({"keep_lats": 2})");
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()) ==
        R"(retention: unknown field "keep_lats" (did you mean "keep_last"?))");

  CHECK(coffer::LooksLikePolicyObject(nlohmann::json::parse(R"({"retention": {}})")));
  CHECK(coffer::LooksLikePolicyObject(nlohmann::json::parse(R"({"paths": []})")));
  CHECK_FALSE(coffer::LooksLikePolicyObject(nlohmann::json::parse(R"({"keep_last": 1})")));
  CHECK_FALSE(coffer::LooksLikePolicyObject(nlohmann::json::parse("[]")));
}
