// The console program's shared state and the helpers its HTTP handlers use.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent_dist.h"
#include "db.h"
#include "hub.h"
#include "security.h"

namespace console {

struct Options {
  std::string listen = "127.0.0.1:8080";
  std::string db_path = "console.db";
  std::string tls_cert;
  std::string tls_key;
  std::string public_url;  // shown in the enrollment command
  std::string agent_dist;  // where coffer and libcoffer.so.0 are; empty: next to the console
  int64_t session_hours = 12;
  int64_t overdue_grace_seconds = 600;  // how late a scheduled backup may be
  int64_t offline_after_seconds = 120;  // no poll for this long: offline
};

struct Counters {
  std::atomic<int64_t> http_requests{0};
  std::atomic<int64_t> http_unauthorized{0};
  std::atomic<int64_t> reports_received{0};
  std::atomic<int64_t> agent_calls{0};
  std::atomic<int64_t> agent_call_timeouts{0};
};

struct Console {
  explicit Console(const Options& o) : options(o), db(o.db_path) {}
  Options options;
  Db db;
  Hub hub;
  LoginThrottle throttle;
  Counters counters;
  AgentDist dist;
  std::string PublicUrl() const;
};

// Responses.
void SendJson(httplib::Response& res, const nlohmann::json& doc, int status = 200);
void SendError(httplib::Response& res, int status, const std::string& message);
// Parses the request body as a JSON object; on failure answers 400 and
// returns nullopt.
std::optional<nlohmann::json> BodyJson(const httplib::Request& req, httplib::Response& res);

// Authentication. RequireAdmin answers 401 (no or expired session) or 403
// (a state-changing request without the session's CSRF token) and returns
// false; RequireAgent answers 401/403 (unknown or revoked credential) and
// returns the agent id.
bool RequireAdmin(Console& c, const httplib::Request& req, httplib::Response& res);
std::optional<int64_t> RequireAgent(Console& c, const httplib::Request& req,
                                    httplib::Response& res);

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
// Wraps a handler so that it runs only for a logged-in administrator.
Handler Admin(Console& c, Handler h);
// The first regex group of the route as an integer (route ids are \d+).
int64_t PathId(const httplib::Request& req);

// Route groups.
void AddAuthRoutes(Console& c, httplib::Server& server);
void AddAgentProtocolRoutes(Console& c, httplib::Server& server);
void AddFleetRoutes(Console& c, httplib::Server& server);    // agents, tokens, policies
void AddJobRoutes(Console& c, httplib::Server& server);      // jobs, dashboard, reports
void AddRestoreRoutes(Console& c, httplib::Server& server);  // browse, restore
void AddMetricsRoute(Console& c, httplib::Server& server);
void AddWebRoutes(httplib::Server& server);                  // the built-in web UI
void AddInstallRoutes(Console& c, httplib::Server& server);  // install.sh, agent files

// The commands an enrollment token is shown with: `install` deploys and
// enrolls an agent on a new machine (curl CONSOLE/install.sh | sudo sh), or
// equals `enroll` when the console has no agent files; `install_private_ca`
// (HTTPS only) is the same with --cacert; `enroll` assumes coffer is there.
struct InstallCommands {
  std::string install;
  std::string install_private_ca;
  std::string enroll;
};
InstallCommands InstallCommandsFor(Console& c, const std::string& token);

// Dashboard numbers (also used by /metrics).
nlohmann::json DashboardJson(Console& c);

}  // namespace console
