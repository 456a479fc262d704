#include "fleet.h"

#include "coffer/coffer.h"
#include "console.h"

namespace console {
namespace {

// The next scheduled run after `after_ns` (library schedule computation), or 0.
int64_t NextRun(const std::string& policy_body, int64_t after_ns) {
  int64_t next = 0;
  if (coffer_schedule_next_run(policy_body.c_str(), after_ns, &next, nullptr) != COFFER_OK)
    return 0;
  return next;
}

nlohmann::json Describe(Console& c, const nlohmann::json& a) {
  int64_t now = NowNs();
  int64_t id = a["id"].get<int64_t>();
  nlohmann::json out = a;
  out.erase("credential_hash");
  out["revoked"] = !a["revoked_ns"].is_null();
  int64_t last_seen = a["last_seen_ns"].is_null() ? 0 : a["last_seen_ns"].get<int64_t>();
  // An agent waiting in a long poll is being seen right now.
  if (c.hub.IsConnected(id)) out["last_seen_ns"] = now;
  out["online"] =
      !out["revoked"].get<bool>() &&
      (c.hub.IsConnected(id) || now - last_seen < c.options.offline_after_seconds * 1'000'000'000);
  auto last_job = c.db.QueryOne(
      "SELECT id, kind, state, trigger, started_ns, ended_ns, summary, error FROM jobs "
      "WHERE agent_id = ? ORDER BY created_ns DESC LIMIT 1",
      {id});
  if (last_job && (*last_job)["summary"].is_string())
    (*last_job)["summary"] =
        nlohmann::json::parse((*last_job)["summary"].get<std::string>(), nullptr, false);
  out["last_job"] = last_job ? *last_job : nlohmann::json(nullptr);
  auto success = c.db.QueryOne(
      "SELECT MAX(ended_ns) AS t FROM jobs WHERE agent_id = ? AND kind = 'backup' AND state = "
      "'succeeded'",
      {id});
  int64_t last_success = success && !(*success)["t"].is_null() ? (*success)["t"].get<int64_t>() : 0;
  out["last_success_ns"] = last_success;
  auto sample = c.db.QueryOne(
      "SELECT time_ns, repository, repo_id, snapshots, logical_bytes, unique_bytes, stored_bytes, "
      "repository_bytes, dedup_ratio FROM storage_samples WHERE agent_id = ? "
      "ORDER BY time_ns DESC, id DESC LIMIT 1",
      {id});
  out["storage"] = sample ? *sample : nlohmann::json(nullptr);
  out["next_run_ns"] = 0;
  out["overdue"] = false;
  out["schedule"] = nullptr;
  if (!a["policy_body"].is_null()) {
    std::string body = a["policy_body"].get<std::string>();
    nlohmann::json policy = nlohmann::json::parse(body, nullptr, false);
    if (policy.is_object() && policy.contains("schedule")) out["schedule"] = policy["schedule"];
    // Due: the first run after the last success (or enrollment); overdue
    // when that is longer ago than the grace period.
    int64_t base = std::max(last_success, a["enrolled_ns"].get<int64_t>());
    int64_t due = NextRun(body, base);
    if (due > 0) {
      out["next_run_ns"] = NextRun(body, std::max(now, last_success));
      out["overdue"] = !out["revoked"].get<bool>() &&
                       now > due + c.options.overdue_grace_seconds * 1'000'000'000;
      out["due_ns"] = due;
    }
  }
  out.erase("policy_body");
  return out;
}

constexpr const char* kAgentSelect =
    "SELECT a.id, a.name, a.host, a.version, a.os, a.policy_id, a.enrolled_ns, a.last_seen_ns, "
    "a.revoked_ns, a.repository, a.repo_id, p.name AS policy_name, p.body AS policy_body "
    "FROM agents a LEFT JOIN policies p ON p.id = a.policy_id ";

}  // namespace

nlohmann::json AgentsJson(Console& c) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a :
       c.db.Query(std::string(kAgentSelect) + "ORDER BY a.revoked_ns IS NOT NULL, a.name"))
    out.push_back(Describe(c, a));
  return out;
}

std::optional<nlohmann::json> AgentJson(Console& c, int64_t agent_id) {
  auto a = c.db.QueryOne(std::string(kAgentSelect) + "WHERE a.id = ?", {agent_id});
  if (!a) return std::nullopt;
  return Describe(c, *a);
}

std::optional<nlohmann::json> ValidatePolicy(const nlohmann::json& policy, std::string& error) {
  if (!policy.is_object()) {
    error = "a policy must be a JSON object";
    return std::nullopt;
  }
  if (policy.value("name", "").empty()) {
    error = "name: a policy needs a name";
    return std::nullopt;
  }
  // The console must never hold a secret: refuse credentials in the URL.
  std::string repo = policy.value("repository", "");
  size_t scheme = repo.find("://");
  if (scheme != std::string::npos) {
    size_t at = repo.find('@', scheme);
    size_t slash = repo.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      error = "repository: credentials do not belong in the URL; they stay on the agents";
      return std::nullopt;
    }
  }
  char* normalized = nullptr;
  coffer_error* err = nullptr;
  if (coffer_policy_validate(policy.dump().c_str(), &normalized, &err) != COFFER_OK) {
    error = coffer_error_message(err);
    coffer_error_free(err);
    return std::nullopt;
  }
  nlohmann::json out = nlohmann::json::parse(normalized);
  coffer_free(normalized);
  return out;
}

}  // namespace console
