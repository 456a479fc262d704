// Administrator login, sessions, CSRF, and the checks every handler runs.
#include <thread>

#include "console.h"

namespace console {
namespace {

constexpr const char* kCookie = "coffer_session";

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    size_t start = part.find_first_not_of(' ');
    if (start != std::string::npos) part = part.substr(start);
    if (part.compare(0, name.size() + 1, name + "=") == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

bool IsStateChanging(const httplib::Request& req) {
  return req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
}

std::string SessionCookie(const Console& c, const std::string& value, int64_t max_age) {
  std::string cookie = std::string(kCookie) + "=" + value +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (!c.options.tls_cert.empty()) cookie += "; Secure";
  return cookie;
}

std::optional<nlohmann::json> FindSession(Console& c, const httplib::Request& req) {
  std::string token = CookieValue(req, kCookie);
  if (token.empty() || token.size() > 128) return std::nullopt;
  return c.db.QueryOne(
      "SELECT token_hash, csrf FROM sessions WHERE token_hash = ? AND expires_ns > ?",
      {HashToken(token), NowNs()});
}

void Login(Console& c, const httplib::Request& req, httplib::Response& res) {
  std::string client = req.remote_addr;
  if (int64_t wait = c.throttle.SecondsToWait(client); wait > 0) {
    res.set_header("Retry-After", std::to_string(wait));
    return SendError(res, 429,
                     "too many failed logins: try again in " + std::to_string(wait) + " s");
  }
  auto body = BodyJson(req, res);
  if (!body) return;
  std::string password = body->value("password", "");
  auto hash = c.db.Setting("admin_password_hash");
  if (!hash || password.empty() || !VerifyPassword(*hash, password)) {
    c.throttle.Failed(client);
    return SendError(res, 401, "wrong password");
  }
  c.throttle.Succeeded(client);
  std::string token = RandomHex(32);
  std::string csrf = RandomHex(24);
  int64_t now = NowNs();
  int64_t lifetime = c.options.session_hours * 3600;
  c.db.Exec("DELETE FROM sessions WHERE expires_ns <= ?", {now});
  c.db.Exec(
      "INSERT INTO sessions(token_hash, csrf, created_ns, expires_ns, client) "
      "VALUES(?, ?, ?, ?, ?)",
      {HashToken(token), csrf, now, now + lifetime * 1'000'000'000, client});
  res.set_header("Set-Cookie", SessionCookie(c, token, lifetime));
  SendJson(res, {{"ok", true}, {"csrf_token", csrf}});
}

}  // namespace

void SendJson(httplib::Response& res, const nlohmann::json& doc, int status) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, {{"error", message}}, status);
}

std::optional<nlohmann::json> BodyJson(const httplib::Request& req, httplib::Response& res) {
  nlohmann::json doc = nlohmann::json::parse(req.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    SendError(res, 400, "the request body must be a JSON object");
    return std::nullopt;
  }
  return doc;
}

bool RequireAdmin(Console& c, const httplib::Request& req, httplib::Response& res) {
  auto session = FindSession(c, req);
  if (!session) {
    c.counters.http_unauthorized++;
    SendError(res, 401, "log in first");
    return false;
  }
  if (IsStateChanging(req) && !ConstantTimeEquals(req.get_header_value("X-CSRF-Token"),
                                                  (*session)["csrf"].get<std::string>())) {
    SendError(res, 403, "missing or wrong X-CSRF-Token header");
    return false;
  }
  return true;
}

std::optional<int64_t> RequireAgent(Console& c, const httplib::Request& req,
                                    httplib::Response& res) {
  std::string auth = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (auth.compare(0, prefix.size(), prefix) != 0 || auth.size() > 256) {
    c.counters.http_unauthorized++;
    SendError(res, 401, "agent credential required (Authorization: Bearer ...)");
    return std::nullopt;
  }
  auto agent = c.db.QueryOne("SELECT id, revoked_ns FROM agents WHERE credential_hash = ?",
                             {HashToken(auth.substr(prefix.size()))});
  if (!agent) {
    c.counters.http_unauthorized++;
    SendError(res, 401, "unknown agent credential");
    return std::nullopt;
  }
  if (!(*agent)["revoked_ns"].is_null()) {
    SendError(res, 403, "this agent was revoked; enroll it again with a new token");
    return std::nullopt;
  }
  return (*agent)["id"].get<int64_t>();
}

Handler Admin(Console& c, Handler h) {
  return [&c, h](const httplib::Request& req, httplib::Response& res) {
    if (RequireAdmin(c, req, res)) h(req, res);
  };
}

int64_t PathId(const httplib::Request& req) { return std::atoll(req.matches[1].str().c_str()); }

void AddAuthRoutes(Console& c, httplib::Server& server) {
  server.Post("/api/v1/login",
              [&c](const httplib::Request& req, httplib::Response& res) { Login(c, req, res); });
  server.Post("/api/v1/logout", [&c](const httplib::Request& req, httplib::Response& res) {
    if (!RequireAdmin(c, req, res)) return;
    c.db.Exec("DELETE FROM sessions WHERE token_hash = ?", {HashToken(CookieValue(req, kCookie))});
    res.set_header("Set-Cookie", SessionCookie(c, "", 0));
    SendJson(res, {{"ok", true}});
  });
  // The web UI asks this on load: whether it is logged in, and the CSRF token.
  server.Get("/api/v1/session", [&c](const httplib::Request& req, httplib::Response& res) {
    auto session = FindSession(c, req);
    if (!session) return SendError(res, 401, "log in first");
    SendJson(res, {{"ok", true}, {"csrf_token", (*session)["csrf"]}});
  });
  server.Post("/api/v1/password", [&c](const httplib::Request& req, httplib::Response& res) {
    if (!RequireAdmin(c, req, res)) return;
    auto body = BodyJson(req, res);
    if (!body) return;
    auto hash = c.db.Setting("admin_password_hash");
    if (!hash || !VerifyPassword(*hash, body->value("current", "")))
      return SendError(res, 403, "the current password is wrong");
    std::string next = body->value("new", "");
    if (next.size() < 12)
      return SendError(res, 400, "the new password needs 12 characters or more");
    c.db.SetSetting("admin_password_hash", HashPassword(next));
    SendJson(res, {{"ok", true}});
  });
}

}  // namespace console
