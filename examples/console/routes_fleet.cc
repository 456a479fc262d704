// Administrator endpoints for the fleet: enrollment tokens, agents
// (list, assign a policy, run a job now, revoke) and policies (CRUD).
#include "console.h"
#include "fleet.h"

namespace console {
namespace {

void CreateToken(Console& c, const httplib::Request& req, httplib::Response& res) {
  auto body = BodyJson(req, res);
  if (!body) return;
  std::string label = body->value("label", "new agent");
  int64_t hours = body->value("hours", int64_t{24});
  if (hours < 1 || hours > 24 * 30) return SendError(res, 400, "hours: 1 to 720");
  SqlValue policy = nullptr;
  if (body->contains("policy_id") && (*body)["policy_id"].is_number_integer()) {
    int64_t pid = (*body)["policy_id"].get<int64_t>();
    if (!c.db.QueryOne("SELECT id FROM policies WHERE id = ?", {pid}))
      return SendError(res, 404, "no policy " + std::to_string(pid));
    policy = pid;
  }
  std::string token = RandomHex(24);
  int64_t now = NowNs();
  auto row = c.db.QueryOne(
      "INSERT INTO enrollment_tokens(token_hash, label, policy_id, created_ns, expires_ns) "
      "VALUES(?, ?, ?, ?, ?) RETURNING id",
      {HashToken(token), label, policy, now, now + hours * 3600 * 1'000'000'000});
  InstallCommands commands = InstallCommandsFor(c, token);
  nlohmann::json answer = {{"id", (*row)["id"]},
                           {"token", token},
                           {"expires_ns", now + hours * 3600 * 1'000'000'000},
                           {"command", commands.install},
                           {"enroll_command", commands.enroll},
                           {"install_available", c.dist.available()}};
  if (!commands.install_private_ca.empty())
    answer["command_private_ca"] = commands.install_private_ca;
  SendJson(res, answer, 201);
}

void UpdateAgent(Console& c, const httplib::Request& req, httplib::Response& res) {
  int64_t id = PathId(req);
  auto body = BodyJson(req, res);
  if (!body) return;
  if (!c.db.QueryOne("SELECT id FROM agents WHERE id = ?", {id}))
    return SendError(res, 404, "no agent " + std::to_string(id));
  if (body->contains("policy_id")) {
    const auto& p = (*body)["policy_id"];
    if (p.is_null()) {
      c.db.Exec("UPDATE agents SET policy_id = NULL WHERE id = ?", {id});
    } else if (p.is_number_integer()) {
      if (!c.db.QueryOne("SELECT id FROM policies WHERE id = ?", {p.get<int64_t>()}))
        return SendError(res, 404, "no policy " + std::to_string(p.get<int64_t>()));
      c.db.Exec("UPDATE agents SET policy_id = ? WHERE id = ?", {p.get<int64_t>(), id});
    } else {
      return SendError(res, 400, "policy_id: an integer or null");
    }
    c.hub.Nudge(id);
  }
  if (body->contains("name") && (*body)["name"].is_string() &&
      !(*body)["name"].get<std::string>().empty())
    c.db.Exec("UPDATE agents SET name = ? WHERE id = ?", {(*body)["name"].get<std::string>(), id});
  SendJson(res, *AgentJson(c, id));
}

void RunNow(Console& c, const httplib::Request& req, httplib::Response& res) {
  int64_t id = PathId(req);
  auto body = BodyJson(req, res);
  if (!body) return;
  std::string kind = body->value("kind", "backup");
  if (kind != "backup" && kind != "check" && kind != "forget" && kind != "prune")
    return SendError(res, 400, "kind: backup, check, forget or prune");
  auto agent = c.db.QueryOne("SELECT revoked_ns, policy_id FROM agents WHERE id = ?", {id});
  if (!agent) return SendError(res, 404, "no agent " + std::to_string(id));
  if (!(*agent)["revoked_ns"].is_null()) return SendError(res, 409, "the agent is revoked");
  if ((*agent)["policy_id"].is_null()) return SendError(res, 409, "the agent has no policy");
  std::string job_id = RandomHex(16);
  c.db.Exec(
      "INSERT INTO jobs(id, agent_id, kind, state, trigger, created_ns) "
      "VALUES(?, ?, ?, 'queued', 'console', ?)",
      {job_id, id, kind, NowNs()});
  c.hub.Send(id, {{"id", job_id}, {"type", "run"}, {"kind", kind}, {"job_id", job_id}});
  SendJson(res, {{"job_id", job_id}}, 202);
}

nlohmann::json PoliciesJson(Console& c) {
  nlohmann::json out = nlohmann::json::array();
  for (auto p : c.db.Query("SELECT p.id, p.name, p.body, p.version, p.updated_ns, "
                           "(SELECT COUNT(*) FROM agents a WHERE a.policy_id = p.id AND "
                           "a.revoked_ns IS NULL) AS agents "
                           "FROM policies p ORDER BY p.name")) {
    p["policy"] = nlohmann::json::parse(p["body"].get<std::string>());
    p.erase("body");
    out.push_back(p);
  }
  return out;
}

void NudgeAgentsOf(Console& c, int64_t policy_id) {
  for (const auto& a : c.db.Query("SELECT id FROM agents WHERE policy_id = ?", {policy_id}))
    c.hub.Nudge(a["id"].get<int64_t>());
}

void SavePolicy(Console& c, const httplib::Request& req, httplib::Response& res, bool create) {
  auto body = BodyJson(req, res);
  if (!body) return;
  std::string error;
  auto policy = ValidatePolicy(*body, error);
  if (!policy) return SendError(res, 400, error);
  std::string name = (*policy)["name"].get<std::string>();
  try {
    if (create) {
      auto row = c.db.QueryOne(
          "INSERT INTO policies(name, body, version, updated_ns) VALUES(?, ?, 1, ?) RETURNING id",
          {name, policy->dump(), NowNs()});
      return SendJson(res, {{"id", (*row)["id"]}, {"policy", *policy}, {"version", 1}}, 201);
    }
    int64_t id = PathId(req);
    if (c.db.Exec("UPDATE policies SET name = ?, body = ?, version = version + 1, updated_ns = ? "
                  "WHERE id = ?",
                  {name, policy->dump(), NowNs(), id}) == 0)
      return SendError(res, 404, "no policy " + std::to_string(id));
    NudgeAgentsOf(c, id);
    SendJson(res, {{"id", id}, {"policy", *policy}});
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find("UNIQUE") != std::string::npos)
      return SendError(res, 409, "a policy named \"" + name + "\" exists already");
    throw;
  }
}

}  // namespace

void AddFleetRoutes(Console& c, httplib::Server& server) {
  server.Get("/api/v1/tokens", Admin(c, [&c](const httplib::Request&, httplib::Response& res) {
               SendJson(res, c.db.Query("SELECT id, label, policy_id, created_ns, expires_ns, "
                                        "used_by_agent FROM enrollment_tokens ORDER BY id DESC"));
             }));
  server.Post("/api/v1/tokens", Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
                CreateToken(c, req, res);
              }));
  server.Delete(R"(/api/v1/tokens/(\d+))",
                Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
                  c.db.Exec("DELETE FROM enrollment_tokens WHERE id = ?", {PathId(req)});
                  SendJson(res, {{"ok", true}});
                }));

  server.Get("/api/v1/agents", Admin(c, [&c](const httplib::Request&, httplib::Response& res) {
               SendJson(res, AgentsJson(c));
             }));
  server.Get(R"(/api/v1/agents/(\d+))",
             Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
               auto a = AgentJson(c, PathId(req));
               if (!a) return SendError(res, 404, "no such agent");
               SendJson(res, *a);
             }));
  server.Put(R"(/api/v1/agents/(\d+))",
             Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
               UpdateAgent(c, req, res);
             }));
  server.Post(
      R"(/api/v1/agents/(\d+)/run)",
      Admin(c, [&c](const httplib::Request& req, httplib::Response& res) { RunNow(c, req, res); }));
  server.Post(R"(/api/v1/agents/(\d+)/revoke)",
              Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
                int64_t id = PathId(req);
                if (c.db.Exec("UPDATE agents SET revoked_ns = COALESCE(revoked_ns, ?) WHERE id = ?",
                              {NowNs(), id}) == 0)
                  return SendError(res, 404, "no such agent");
                c.hub.Nudge(id);
                SendJson(res, {{"ok", true}});
              }));

  server.Get("/api/v1/policies", Admin(c, [&c](const httplib::Request&, httplib::Response& res) {
               SendJson(res, PoliciesJson(c));
             }));
  server.Post("/api/v1/policies",
              Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
                SavePolicy(c, req, res, true);
              }));
  server.Put(R"(/api/v1/policies/(\d+))",
             Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
               SavePolicy(c, req, res, false);
             }));
  server.Delete(R"(/api/v1/policies/(\d+))",
                Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
                  int64_t id = PathId(req);
                  auto users = c.db.Query("SELECT id FROM agents WHERE policy_id = ?", {id});
                  c.db.Exec("UPDATE agents SET policy_id = NULL WHERE policy_id = ?", {id});
                  c.db.Exec("UPDATE enrollment_tokens SET policy_id = NULL WHERE policy_id = ?",
                            {id});
                  if (c.db.Exec("DELETE FROM policies WHERE id = ?", {id}) == 0)
                    return SendError(res, 404, "no such policy");
                  for (const auto& a : users) c.hub.Nudge(a["id"].get<int64_t>());
                  SendJson(res, {{"ok", true}, {"unassigned_agents", users.size()}});
                }));
}

}  // namespace console
