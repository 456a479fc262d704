// The agents' side of the API: enrollment (with a one-time token), the long
// poll that carries policies and commands, job and storage reports, and the
// answers to browse calls. Agents authenticate with their own credential.
#include <chrono>

#include "console.h"

namespace console {
namespace {

// "policy_id:version", or "none": the agent asks again when it changes.
nlohmann::json PolicyFor(Console& c, int64_t agent_id) {
  auto row = c.db.QueryOne(
      "SELECT p.id, p.name, p.body, p.version FROM agents a JOIN policies p ON p.id = a.policy_id "
      "WHERE a.id = ?",
      {agent_id});
  if (!row) return {{"tag", "none"}, {"policy", nullptr}};
  std::string tag = std::to_string((*row)["id"].get<int64_t>()) + ":" +
                    std::to_string((*row)["version"].get<int64_t>());
  return {{"tag", tag},
          {"policy", nlohmann::json::parse((*row)["body"].get<std::string>())},
          {"policy_id", (*row)["id"]},
          {"policy_name", (*row)["name"]}};
}

void Enroll(Console& c, const httplib::Request& req, httplib::Response& res) {
  auto body = BodyJson(req, res);
  if (!body) return;
  std::string token = body->value("token", "");
  std::string host = body->value("host", "");
  if (token.empty() || token.size() > 128) return SendError(res, 400, "\"token\" is required");
  int64_t now = NowNs();
  std::string credential = RandomHex(32);
  auto agent_id = c.db.Transaction([&]() -> std::optional<int64_t> {
    auto row = c.db.QueryOne(
        "SELECT id, label, policy_id FROM enrollment_tokens "
        "WHERE token_hash = ? AND used_by_agent IS NULL AND expires_ns > ?",
        {HashToken(token), now});
    if (!row) return std::nullopt;
    std::string name = body->value("name", "");
    if (name.empty()) name = host.empty() ? (*row)["label"].get<std::string>() : host;
    SqlValue policy = nullptr;
    if (!(*row)["policy_id"].is_null()) policy = (*row)["policy_id"].get<int64_t>();
    auto inserted = c.db.QueryOne(
        "INSERT INTO agents(name, host, version, os, credential_hash, policy_id, enrolled_ns, "
        "last_seen_ns) VALUES(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {name, host, body->value("version", ""), body->value("os", ""), HashToken(credential),
         policy, now, now});
    int64_t id = (*inserted)["id"].get<int64_t>();
    c.db.Exec("UPDATE enrollment_tokens SET used_by_agent = ? WHERE id = ?",
              {id, (*row)["id"].get<int64_t>()});
    return id;
  });
  if (!agent_id)
    return SendError(res, 403, "the enrollment token is unknown, used already or expired");
  SendJson(res, {{"agent_id", *agent_id}, {"credential", credential}}, 201);
}

void Poll(Console& c, int64_t agent_id, const httplib::Request& req, httplib::Response& res) {
  int64_t wait_s = 25;
  if (req.has_param("wait"))
    wait_s = std::clamp<int64_t>(std::atoll(req.get_param_value("wait").c_str()), 0, 55);
  std::string known_tag = req.get_param_value("policy_tag");
  c.db.Exec(
      "UPDATE agents SET last_seen_ns = ?, version = COALESCE(NULLIF(?, ''), version), "
      "host = COALESCE(NULLIF(?, ''), host) WHERE id = ?",
      {NowNs(), req.get_param_value("version"), req.get_param_value("host"), agent_id});
  nlohmann::json policy = PolicyFor(c, agent_id);
  nlohmann::json commands = nlohmann::json::array();
  if (policy["tag"] == known_tag) {
    commands = c.hub.Take(agent_id, std::chrono::seconds(wait_s));
    policy = PolicyFor(c, agent_id);  // it may have changed while we waited
    c.db.Exec("UPDATE agents SET last_seen_ns = ? WHERE id = ?", {NowNs(), agent_id});
  }
  nlohmann::json out = {
      {"commands", commands}, {"policy_tag", policy["tag"]}, {"server_time_ns", NowNs()}};
  if (policy["tag"] != known_tag) {
    out["policy"] = policy["policy"];
    out["policy_name"] = policy.value("policy_name", "");
  }
  SendJson(res, out);
}

void StoreJob(Console& c, int64_t agent_id, const nlohmann::json& job) {
  std::string id = job.value("id", "");
  std::string state = job.value("state", "");
  if (id.empty() || id.size() > 64 || state.empty()) return;
  auto text = [](const nlohmann::json& v) -> SqlValue {
    if (v.is_null()) return nullptr;
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  auto integer = [](const nlohmann::json& j, const char* key) -> SqlValue {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return nullptr;
    return it->get<int64_t>();
  };
  int64_t now = NowNs();
  // A job the console created (a restore it asked for) keeps its request;
  // a finished job is never set back to running by a late progress report.
  c.db.Exec(
      "INSERT INTO jobs(id, agent_id, kind, state, trigger, created_ns, started_ns, ended_ns, "
      "progress, summary, error, snapshot_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT(id) DO UPDATE SET state = excluded.state, "
      "started_ns = COALESCE(excluded.started_ns, jobs.started_ns), "
      "ended_ns = COALESCE(excluded.ended_ns, jobs.ended_ns), "
      "progress = COALESCE(excluded.progress, jobs.progress), "
      "summary = COALESCE(excluded.summary, jobs.summary), "
      "error = COALESCE(excluded.error, jobs.error), "
      "snapshot_id = COALESCE(excluded.snapshot_id, jobs.snapshot_id) "
      "WHERE jobs.agent_id = excluded.agent_id AND jobs.state NOT IN ('succeeded', 'failed')",
      {id, agent_id, job.value("kind", "backup"), state, job.value("trigger", "schedule"),
       job.contains("started_ns") && job["started_ns"].is_number_integer()
           ? job["started_ns"].get<int64_t>()
           : now,
       integer(job, "started_ns"), integer(job, "ended_ns"),
       text(job.value("progress", nlohmann::json())), text(job.value("summary", nlohmann::json())),
       text(job.value("error", nlohmann::json())),
       text(job.value("snapshot_id", nlohmann::json()))});
}

void StoreStats(Console& c, int64_t agent_id, const nlohmann::json& r) {
  const nlohmann::json& s = r.value("stats", nlohmann::json::object());
  auto n = [&s](const char* key) -> int64_t {
    auto it = s.find(key);
    return it != s.end() && it->is_number() ? it->get<int64_t>() : 0;
  };
  double ratio = s.contains("dedup_ratio") && s["dedup_ratio"].is_number()
                     ? s["dedup_ratio"].get<double>()
                     : 0.0;
  int64_t time = r.contains("time_ns") && r["time_ns"].is_number_integer()
                     ? r["time_ns"].get<int64_t>()
                     : NowNs();
  c.db.Exec(
      "INSERT INTO storage_samples(agent_id, time_ns, repository, repo_id, snapshots, "
      "logical_bytes, unique_bytes, stored_bytes, repository_bytes, dedup_ratio) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {agent_id, time, r.value("repository", ""), r.value("repo_id", ""), n("snapshots"),
       n("logical_bytes"), n("unique_bytes"), n("stored_bytes"), n("repository_bytes"), ratio});
  c.db.Exec("UPDATE agents SET repository = ?, repo_id = ? WHERE id = ?",
            {r.value("repository", ""), r.value("repo_id", ""), agent_id});
}

void Reports(Console& c, int64_t agent_id, const httplib::Request& req, httplib::Response& res) {
  auto body = BodyJson(req, res);
  if (!body) return;
  auto reports = body->value("reports", nlohmann::json::array());
  if (!reports.is_array()) return SendError(res, 400, "\"reports\" must be an array");
  size_t accepted = 0;
  c.db.Transaction([&] {
    for (const auto& r : reports) {
      if (!r.is_object()) continue;
      std::string type = r.value("type", "");
      if (type == "job" && r.contains("job") && r["job"].is_object()) {
        StoreJob(c, agent_id, r["job"]);
      } else if (type == "stats") {
        StoreStats(c, agent_id, r);
      } else {
        continue;
      }
      ++accepted;
    }
    return 0;
  });
  c.counters.reports_received += static_cast<int64_t>(accepted);
  c.db.Exec("UPDATE agents SET last_seen_ns = ? WHERE id = ?", {NowNs(), agent_id});
  SendJson(res, {{"accepted", accepted}});
}

}  // namespace

void AddAgentProtocolRoutes(Console& c, httplib::Server& server) {
  server.Post("/api/v1/agent/enroll",
              [&c](const httplib::Request& req, httplib::Response& res) { Enroll(c, req, res); });
  server.Get("/api/v1/agent/poll", [&c](const httplib::Request& req, httplib::Response& res) {
    if (auto id = RequireAgent(c, req, res)) Poll(c, *id, req, res);
  });
  server.Post("/api/v1/agent/reports", [&c](const httplib::Request& req, httplib::Response& res) {
    if (auto id = RequireAgent(c, req, res)) Reports(c, *id, req, res);
  });
  server.Post(R"(/api/v1/agent/answers/([0-9a-f]+))",
              [&c](const httplib::Request& req, httplib::Response& res) {
                auto id = RequireAgent(c, req, res);
                if (!id) return;
                auto body = BodyJson(req, res);
                if (!body) return;
                if (!c.hub.Answer(*id, req.matches[1], std::move(*body)))
                  return SendError(res, 404, "nobody waits for this answer any more");
                SendJson(res, {{"ok", true}});
              });
}

}  // namespace console
