// Browsing snapshots and restoring files. The console holds no keys, so
// both go through agents: browsing is a call answered by the agent over its
// poll channel; a restore is a job queued for the agent that writes the
// files (the snapshot's agent or another one with the same repository).
#include <chrono>

#include "console.h"

namespace console {
namespace {

constexpr auto kCallTimeout = std::chrono::seconds(15);

// Forwards a read-only request to an agent and relays its answer.
void CallAgent(Console& c, int64_t agent_id, nlohmann::json command, httplib::Response& res) {
  auto agent = c.db.QueryOne("SELECT revoked_ns FROM agents WHERE id = ?", {agent_id});
  if (!agent) return SendError(res, 404, "no such agent");
  if (!(*agent)["revoked_ns"].is_null()) return SendError(res, 409, "the agent is revoked");
  c.counters.agent_calls++;
  auto answer = c.hub.Call(agent_id, std::move(command), kCallTimeout);
  if (!answer) {
    c.counters.agent_call_timeouts++;
    return SendError(res, 504, "the agent did not answer (is it running and connected?)");
  }
  if (!answer->value("ok", false))
    return SendError(res, 502, "agent: " + answer->value("error", std::string("failed")));
  SendJson(res, (*answer)["result"]);
}

bool IsSnapshotRef(const std::string& ref) {
  if (ref == "latest") return true;
  if (ref.size() < 4 || ref.size() > 64) return false;
  return ref.find_first_not_of("0123456789abcdef") == std::string::npos;
}

void StartRestore(Console& c, const httplib::Request& req, httplib::Response& res) {
  auto body = BodyJson(req, res);
  if (!body) return;
  int64_t source = body->value("source_agent_id", int64_t{0});
  int64_t target = body->value("target_agent_id", source);
  std::string snapshot = body->value("snapshot", "");
  std::string target_dir = body->value("target", "");
  nlohmann::json paths = body->value("paths", nlohmann::json::array());
  if (!IsSnapshotRef(snapshot)) return SendError(res, 400, "snapshot: an id (hex) or \"latest\"");
  if (target_dir.empty() || target_dir[0] != '/')
    return SendError(res, 400, "target: an absolute directory on the target agent");
  if (!paths.is_array()) return SendError(res, 400, "paths: an array of absolute paths");
  for (const auto& p : paths)
    if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>()[0] != '/')
      return SendError(res, 400, "paths: an array of absolute paths");
  auto src = c.db.QueryOne("SELECT repo_id, revoked_ns FROM agents WHERE id = ?", {source});
  auto dst = c.db.QueryOne("SELECT repo_id, revoked_ns, name FROM agents WHERE id = ?", {target});
  if (!src || !dst) return SendError(res, 404, "no such agent");
  if (!(*dst)["revoked_ns"].is_null()) return SendError(res, 409, "the target agent is revoked");
  if (source != target && ((*src)["repo_id"].is_null() || (*src)["repo_id"] == "" ||
                           (*src)["repo_id"] != (*dst)["repo_id"]))
    return SendError(res, 409,
                     "the target agent does not use the same repository (it has not reported "
                     "this repository's id)");
  std::string job_id = RandomHex(16);
  nlohmann::json request = {{"source_agent_id", source},
                            {"snapshot", snapshot},
                            {"paths", paths},
                            {"target", target_dir},
                            {"overwrite", body->value("overwrite", false)}};
  c.db.Exec(
      "INSERT INTO jobs(id, agent_id, kind, state, trigger, created_ns, request) "
      "VALUES(?, ?, 'restore', 'queued', 'console', ?, ?)",
      {job_id, target, NowNs(), request.dump()});
  nlohmann::json command = request;
  command["id"] = job_id;
  command["type"] = "restore";
  command["job_id"] = job_id;
  c.hub.Send(target, command);
  SendJson(res, {{"job_id", job_id}}, 202);
}

}  // namespace

void AddRestoreRoutes(Console& c, httplib::Server& server) {
  server.Get(R"(/api/v1/agents/(\d+)/snapshots)",
             Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
               CallAgent(c, PathId(req), {{"type", "snapshots"}}, res);
             }));
  server.Get(
      R"(/api/v1/agents/(\d+)/browse)",
      Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
        std::string snapshot = req.get_param_value("snapshot");
        std::string path = req.has_param("path") ? req.get_param_value("path") : "/";
        if (!IsSnapshotRef(snapshot))
          return SendError(res, 400, "snapshot: an id (hex) or \"latest\"");
        CallAgent(c, PathId(req), {{"type", "ls"}, {"snapshot", snapshot}, {"path", path}}, res);
      }));
  server.Post("/api/v1/restores",
              Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
                StartRestore(c, req, res);
              }));
}

}  // namespace console
