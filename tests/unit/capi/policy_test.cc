// Policies and schedules through the C API: validation and normalisation,
// next runs, and retention decisions over coffer_snapshots_list() output.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "capi_test_util.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using coffer::testing::CError;
using coffer::testing::TakeJson;
using nlohmann::json;

namespace {

int64_t Ns(const std::string& rfc3339) {
  absl::Time t;
  std::string why;
  REQUIRE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &why));
  return absl::ToUnixNanos(t);
}

std::string Rfc3339(int64_t ns) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", absl::FromUnixNanos(ns), absl::UTCTimeZone());
}

json Evaluate(const std::string& retention, const json& snapshots) {
  char* out = nullptr;
  CError err;
  coffer_status s =
      coffer_retention_evaluate(retention.c_str(), snapshots.dump().c_str(), &out, err.out());
  INFO(err.message());
  REQUIRE(s == COFFER_OK);
  return TakeJson(out);
}

}  // namespace

TEST_CASE("coffer_policy_validate returns the normalised policy") {
  const char* policy = R"({"name": "home", "paths": ["/home"],
      "schedule": {"cron": "0   2 * * *", "time_zone": "Europe/Berlin"},
      "retention": {"keep_daily": 7, "keep_within": "36h"}})";
  char* normalized = nullptr;
  CError err;
  REQUIRE(coffer_policy_validate(policy, &normalized, err.out()) == COFFER_OK);
  json doc = TakeJson(normalized);
  CHECK(doc["schedule"] == json{{"cron", "0 2 * * *"}, {"time_zone", "Europe/Berlin"}});
  CHECK(doc["retention"] ==
        json{{"keep_daily", 7}, {"keep_within", "1d12h"}, {"time_zone", "Europe/Berlin"}});
  CHECK(doc["excludes"] == json::array());
  // Validating the normalised form gives it back unchanged.
  REQUIRE(coffer_policy_validate(doc.dump().c_str(), &normalized, err.out()) == COFFER_OK);
  CHECK(TakeJson(normalized) == doc);
  // The output is optional.
  CHECK(coffer_policy_validate(policy, nullptr, nullptr) == COFFER_OK);
}

TEST_CASE("coffer_policy_validate names the bad field") {
  char* normalized = reinterpret_cast<char*>(1);
  CError err;
  CHECK(coffer_policy_validate(R"({"retention": {"keep_daily": -3}})", &normalized, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(normalized == nullptr);
  CHECK(err.message() == "retention.keep_daily: must be >= 0 (or -1 for unlimited), got -3");
  CHECK(coffer_policy_validate(R"({"retention": {"keep_dayly": 7}})", nullptr, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == R"(retention: unknown field "keep_dayly" (did you mean "keep_daily"?))");
  CHECK(coffer_policy_validate(R"({"schedule": {"cron": "0 0 30 2 *"}})", nullptr, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() ==
        "schedule.cron: day-of-month 30 never occurs in February: the schedule never fires");
  CHECK(coffer_policy_validate("{", nullptr, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(err.message(), Catch::StartsWith("policy_json: not valid JSON"));
  CHECK(coffer_policy_validate(nullptr, nullptr, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "coffer_policy_validate: argument `policy_json` is NULL");
}

TEST_CASE("coffer_schedule_next_run takes a policy or its schedule") {
  int64_t next = 0;
  CError err;
  const int64_t after = Ns("2026-03-28T12:00:00Z");
  REQUIRE(coffer_schedule_next_run(
              R"({"name": "x", "schedule": {"cron": "30 2 * * *", "time_zone": "Europe/Berlin"}})",
              after, &next, err.out()) == COFFER_OK);
  // 02:30 does not exist on 2026-03-29 in Berlin: the run is at 03:00 CEST.
  CHECK(Rfc3339(next) == "2026-03-29T01:00:00+00:00");
  REQUIRE(coffer_schedule_next_run(R"({"cron": "@daily"})", after, &next, err.out()) == COFFER_OK);
  CHECK(Rfc3339(next) == "2026-03-29T00:00:00+00:00");
  REQUIRE(coffer_schedule_next_run(R"({"cron": "@daily"})", next, &next, err.out()) == COFFER_OK);
  CHECK(Rfc3339(next) == "2026-03-30T00:00:00+00:00");

  CHECK(coffer_schedule_next_run(R"({"paths": ["/x"]})", after, &next, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(next == 0);
  CHECK(err.message() == "schedule.cron: the policy has no schedule");
  CHECK(coffer_schedule_next_run(R"({"cron": "@daily", "time_zone": "Moon/Base"})", after, &next,
                                 err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(err.message(), Catch::StartsWith("schedule.time_zone: unknown time zone"));
  CHECK(coffer_schedule_next_run(R"({"cron": "@yearly"})", INT64_MAX - 1, &next, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(err.message(), Catch::Contains("2262"));
  CHECK(coffer_schedule_next_run("\"@daily\"", after, &next, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "policy_json: must be a JSON object (a policy or its \"schedule\")");
  CHECK(coffer_schedule_next_run(R"({"cron": "@daily"})", after, nullptr, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "coffer_schedule_next_run: argument `next_unix_ns` is NULL");
}

TEST_CASE("coffer_retention_evaluate decides per snapshot, with reasons") {
  // Shaped like coffer_snapshots_list() output; extra members are ignored.
  json snapshots = json::array();
  for (int day = 1; day <= 4; ++day) {
    std::string time = "2026-05-0" + std::to_string(day) + "T23:30:00Z";
    snapshots.push_back(json{{"id", "s" + std::to_string(day)},
                             {"short_id", "s" + std::to_string(day)},
                             {"time", time},
                             {"time_ns", Ns(time)},
                             {"host", "web"},
                             {"user", "root"},
                             {"paths", {"/srv", "/etc"}},
                             {"tags", day == 1 ? json{"release"} : json::array()},
                             {"partial", false}});
  }
  SECTION("a retention object") {
    json decisions = Evaluate(R"({"keep_last": 1, "keep_tags": ["release"]})", snapshots);
    CHECK(decisions == json::parse(R"([
      {"id": "s4", "keep": true, "reasons": ["last 1"], "group": "web:/etc,/srv"},
      {"id": "s3", "keep": false, "reasons": [], "group": "web:/etc,/srv"},
      {"id": "s2", "keep": false, "reasons": [], "group": "web:/etc,/srv"},
      {"id": "s1", "keep": true, "reasons": ["tag release"], "group": "web:/etc,/srv"}])"));
  }
  SECTION("a whole policy: retention takes the schedule's time zone") {
    json decisions = Evaluate(R"({"name": "web",
        "schedule": {"cron": "@daily", "time_zone": "Europe/Berlin"},
        "retention": {"keep_daily": 2}})",
                              snapshots);
    REQUIRE(decisions.size() == 4);
    CHECK(decisions[0]["reasons"] == json{"daily 2026-05-05"});  // 01:30 CEST
    CHECK(decisions[1]["reasons"] == json{"daily 2026-05-04"});
    CHECK(decisions[2]["keep"] == false);
  }
  SECTION("\"time\" serves when \"time_ns\" is missing") {
    for (json& s : snapshots) s.erase("time_ns");
    json decisions = Evaluate(R"({"keep_last": 2})", snapshots);
    CHECK(decisions[0]["id"] == "s4");
    CHECK(decisions[1]["id"] == "s3");
  }
}

TEST_CASE("coffer_retention_evaluate refuses what it cannot decide") {
  char* out = reinterpret_cast<char*>(1);
  CError err;
  const char* one = R"([{"id": "a", "time_ns": 1, "host": "h", "paths": ["/"]}])";
  CHECK(coffer_retention_evaluate("{}", one, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(out == nullptr);
  CHECK(err.message() == "no keep rule: refusing to forget everything");
  CHECK(coffer_retention_evaluate(R"({"name": "p"})", one, &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "no keep rule: refusing to forget everything");
  CHECK(coffer_retention_evaluate(R"({"keep_daily": -7})", one, &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "retention.keep_daily: must be >= 0 (or -1 for unlimited), got -7");
  CHECK(coffer_retention_evaluate("[]", one, &out, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "retention_json: must be a JSON object (a policy or its \"retention\")");
  CHECK(coffer_retention_evaluate(R"({"keep_last": 1})", "{}", &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(err.message(), Catch::StartsWith("snapshots_json: must be a JSON array"));
  CHECK(coffer_retention_evaluate(R"({"keep_last": 1})", R"([{"time_ns": 1}])", &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "snapshots_json[0]: has no \"id\"");
  CHECK(coffer_retention_evaluate(R"({"keep_last": 1})", R"([{"id": "a"}])", &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "snapshots_json[0]: has no \"time_ns\" (or \"time\")");
  CHECK(coffer_retention_evaluate(R"({"keep_last": 1})", R"([{"id": "a", "time_ns": "1"}])", &out,
                                  err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "snapshots_json[0].time_ns: must be an integer (ns since 1970)");
  CHECK(coffer_retention_evaluate(R"({"keep_last": 1})", "[", &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(err.message(), Catch::StartsWith("snapshots_json: not valid JSON"));
  CHECK(coffer_retention_evaluate(R"({"keep_last": 1})", nullptr, &out, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(err.message() == "coffer_retention_evaluate: argument `snapshots_json` is NULL");
  CHECK(coffer_retention_evaluate(R"({"keep_last": 1})", "[]", nullptr, err.out()) ==
        COFFER_ERROR_INVALID_ARGUMENT);
  REQUIRE(coffer_retention_evaluate(R"({"keep_last": 1})", "[]", &out, err.out()) == COFFER_OK);
  CHECK(TakeJson(out) == json::array());
}

TEST_CASE("retention decisions over a real repository's snapshot list") {
  coffer::testing::TempDir dir;
  std::filesystem::path source = dir / "source";
  coffer::testing::WriteFile(source / "a.txt", "a");
  auto repo = coffer::testing::InitRepo((dir / "repo").string());
  std::vector<std::string> ids;
  for (const char* tag : {"keep", "plain", "plain"}) {
    coffer::testing::BackupOptionsPtr opts(coffer_backup_options_new());
    REQUIRE(coffer_backup_options_add_path(opts.get(), source.c_str(), nullptr) == COFFER_OK);
    REQUIRE(coffer_backup_options_add_tag(opts.get(), tag, nullptr) == COFFER_OK);
    REQUIRE(coffer_backup_options_set_host(opts.get(), "box", nullptr) == COFFER_OK);
    coffer_backup_options_set_files_cache(opts.get(), 0);
    char* result = nullptr;
    REQUIRE(coffer_backup(repo.get(), opts.get(), &result, nullptr) == COFFER_OK);
    ids.push_back(TakeJson(result)["snapshot_id"].get<std::string>());
  }
  char* list = nullptr;
  REQUIRE(coffer_snapshots_list(repo.get(), nullptr, &list, nullptr) == COFFER_OK);
  std::unique_ptr<char, void (*)(void*)> owned(list, coffer_free);
  char* out = nullptr;
  CError err;
  REQUIRE(coffer_retention_evaluate(R"({"keep_last": 1, "keep_tags": ["keep"]})", list, &out,
                                    err.out()) == COFFER_OK);
  json decisions = TakeJson(out);
  REQUIRE(decisions.size() == 3);
  std::map<std::string, json> by_id;
  for (const json& d : decisions) by_id[d["id"].get<std::string>()] = d;
  CHECK(by_id[ids[0]]["reasons"] == json{"tag keep"});
  CHECK(by_id[ids[1]]["keep"] == false);
  CHECK(by_id[ids[2]]["reasons"] == json{"last 1"});
  CHECK(by_id[ids[2]]["group"] == "box:" + source.string());
}
