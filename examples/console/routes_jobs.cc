// Jobs, the dashboard's numbers and CSV reports.
#include <ctime>
#include <sstream>

#include "console.h"
#include "fleet.h"

namespace console {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDay = 86400 * kSecond;

nlohmann::json ParseField(const nlohmann::json& v) {
  if (!v.is_string()) return v;
  nlohmann::json doc = nlohmann::json::parse(v.get<std::string>(), nullptr, false);
  return doc.is_discarded() ? v : doc;
}

nlohmann::json JobRow(nlohmann::json row) {
  for (const char* key : {"progress", "summary", "request"})
    if (row.contains(key)) row[key] = ParseField(row[key]);
  return row;
}

constexpr const char* kJobSelect =
    "SELECT j.id, j.agent_id, a.name AS agent, a.host, j.kind, j.state, j.trigger, j.created_ns, "
    "j.started_ns, j.ended_ns, j.progress, j.summary, j.error, j.snapshot_id, j.request "
    "FROM jobs j LEFT JOIN agents a ON a.id = j.agent_id ";

nlohmann::json Rate(Console& c, int64_t since) {
  auto row = c.db.QueryOne(
      "SELECT SUM(state = 'succeeded') AS ok, SUM(state = 'failed') AS failed, "
      "SUM(state IN ('running', 'queued')) AS running FROM jobs WHERE "
      "(ended_ns >= ?) OR (ended_ns IS NULL AND created_ns >= ?)",
      {since, since});
  int64_t ok = (*row)["ok"].is_null() ? 0 : (*row)["ok"].get<int64_t>();
  int64_t failed = (*row)["failed"].is_null() ? 0 : (*row)["failed"].get<int64_t>();
  int64_t running = (*row)["running"].is_null() ? 0 : (*row)["running"].get<int64_t>();
  nlohmann::json rate =
      ok + failed > 0 ? nlohmann::json(double(ok) / double(ok + failed)) : nlohmann::json(nullptr);
  return {{"succeeded", ok}, {"failed", failed}, {"running", running}, {"success_rate", rate}};
}

std::string Day(int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / kSecond);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string Rfc3339(int64_t ns) {
  if (ns == 0) return "";
  std::time_t t = static_cast<std::time_t>(ns / kSecond);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "2026-11-27" (UTC midnight) or nanoseconds; `fallback` when absent or bad.
int64_t ParseTime(const std::string& text, int64_t fallback) {
  if (text.empty()) return fallback;
  std::tm tm{};
  if (strptime(text.c_str(), "%Y-%m-%d", &tm) != nullptr) return int64_t(timegm(&tm)) * kSecond;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  return end && *end == '\0' ? v : fallback;
}

std::string Csv(const nlohmann::json& v) {
  std::string s;
  if (v.is_null()) return "";
  if (v.is_string())
    s = v.get<std::string>();
  else
    s = v.dump();
  // Spreadsheet formula injection: a leading =, +, - or @ is quoted away.
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '@' || (s[0] == '-' && !v.is_number())))
    s = "'" + s;
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

void SendCsv(httplib::Response& res, const std::string& name,
             const std::vector<std::string>& header, const nlohmann::json& rows) {
  std::ostringstream out;
  for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << header[i];
  out << "\r\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < header.size(); ++i)
      out << (i ? "," : "") << Csv(row.value(header[i], nlohmann::json(nullptr)));
    out << "\r\n";
  }
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  res.set_header("Cache-Control", "no-store");
  res.set_content(out.str(), "text/csv; charset=utf-8");
}

void JobsCsv(Console& c, const httplib::Request& req, httplib::Response& res) {
  int64_t now = NowNs();
  int64_t from = ParseTime(req.get_param_value("from"), now - 30 * kDay);
  int64_t to = ParseTime(req.get_param_value("to"), now) + (req.has_param("to") ? kDay : 0);
  std::string agent = req.get_param_value("agent");
  nlohmann::json rows = nlohmann::json::array();
  for (auto row :
       c.db.Query(std::string(kJobSelect) +
                      "WHERE j.created_ns >= ? AND j.created_ns < ? AND "
                      "(? = '' OR j.agent_id = CAST(? AS INTEGER)) ORDER BY j.created_ns",
                  {from, to, agent, agent})) {
    row = JobRow(row);
    const nlohmann::json& s = row["summary"];
    row["started"] = Rfc3339(row["started_ns"].is_number() ? row["started_ns"].get<int64_t>() : 0);
    row["ended"] = Rfc3339(row["ended_ns"].is_number() ? row["ended_ns"].get<int64_t>() : 0);
    if (s.is_object()) {
      for (const char* key : {"files", "bytes", "bytes_added", "bytes_added_stored", "errors",
                              "duration_seconds", "text"})
        row[key] = s.value(key, nlohmann::json(nullptr));
    }
    rows.push_back(row);
  }
  SendCsv(res, "coffer-jobs.csv",
          {"id", "agent", "host", "kind", "state", "trigger", "started", "ended", "snapshot_id",
           "files", "bytes", "bytes_added", "bytes_added_stored", "errors", "duration_seconds",
           "text", "error"},
          rows);
}

void StorageCsv(Console& c, const httplib::Request& req, httplib::Response& res) {
  int64_t now = NowNs();
  int64_t from = ParseTime(req.get_param_value("from"), now - 30 * kDay);
  int64_t to = ParseTime(req.get_param_value("to"), now) + (req.has_param("to") ? kDay : 0);
  std::string agent = req.get_param_value("agent");
  nlohmann::json rows = c.db.Query(
      "SELECT s.time_ns, a.name AS agent, a.host, s.repository, s.repo_id, s.snapshots, "
      "s.logical_bytes, s.unique_bytes, s.stored_bytes, s.repository_bytes, s.dedup_ratio "
      "FROM storage_samples s JOIN agents a ON a.id = s.agent_id "
      "WHERE s.time_ns >= ? AND s.time_ns < ? AND (? = '' OR s.agent_id = CAST(? AS INTEGER)) "
      "ORDER BY s.time_ns",
      {from, to, agent, agent});
  for (auto& row : rows) row["time"] = Rfc3339(row["time_ns"].get<int64_t>());
  SendCsv(res, "coffer-storage.csv",
          {"time", "agent", "host", "repository", "repo_id", "snapshots", "logical_bytes",
           "unique_bytes", "stored_bytes", "repository_bytes", "dedup_ratio"},
          rows);
}

}  // namespace

nlohmann::json DashboardJson(Console& c) {
  int64_t now = NowNs();
  nlohmann::json agents = AgentsJson(c);
  nlohmann::json counts = {
      {"total", 0}, {"online", 0}, {"offline", 0}, {"overdue", 0}, {"revoked", 0}};
  nlohmann::json overdue = nlohmann::json::array();
  nlohmann::json storage = nlohmann::json::array();
  std::map<std::string, nlohmann::json> repositories;
  for (const auto& a : agents) {
    if (a["revoked"].get<bool>()) {
      counts["revoked"] = counts["revoked"].get<int>() + 1;
      continue;
    }
    counts["total"] = counts["total"].get<int>() + 1;
    const char* key = a["online"].get<bool>() ? "online" : "offline";
    counts[key] = counts[key].get<int>() + 1;
    if (a["overdue"].get<bool>()) {
      counts["overdue"] = counts["overdue"].get<int>() + 1;
      overdue.push_back({{"id", a["id"]},
                         {"name", a["name"]},
                         {"due_ns", a.value("due_ns", 0)},
                         {"last_success_ns", a["last_success_ns"]}});
    }
    if (a["storage"].is_object()) {
      nlohmann::json s = a["storage"];
      s["agent_id"] = a["id"];
      s["agent"] = a["name"];
      storage.push_back(s);
      std::string repo_key = s.value("repo_id", "");
      nlohmann::json& r = repositories[repo_key];
      // The newest sample of any agent describes the repository best.
      if (r.is_null() || r["time_ns"].get<int64_t>() < s["time_ns"].get<int64_t>()) {
        nlohmann::json agents_of = r.is_null() ? nlohmann::json::array() : r["agents"];
        r = {{"repo_id", repo_key},
             {"repository", s["repository"]},
             {"repository_bytes", s["repository_bytes"]},
             {"time_ns", s["time_ns"]},
             {"agents", agents_of}};
      }
      r["agents"].push_back(a["name"]);
    }
  }
  nlohmann::json repos = nlohmann::json::array();
  for (auto& [key, r] : repositories) {
    int64_t logical = 0;
    for (const auto& s : storage)
      if (s.value("repo_id", "") == key) logical += s["logical_bytes"].get<int64_t>();
    r["logical_bytes"] = logical;
    repos.push_back(r);
  }
  nlohmann::json daily = nlohmann::json::array();
  int64_t today = now - now % kDay;
  for (int i = 13; i >= 0; --i) {
    int64_t start = today - i * kDay;
    auto row = c.db.QueryOne(
        "SELECT SUM(state = 'succeeded') AS ok, SUM(state = 'failed') AS failed FROM jobs "
        "WHERE ended_ns >= ? AND ended_ns < ?",
        {start, start + kDay});
    daily.push_back({{"day", Day(start)},
                     {"succeeded", (*row)["ok"].is_null() ? 0 : (*row)["ok"].get<int64_t>()},
                     {"failed", (*row)["failed"].is_null() ? 0 : (*row)["failed"].get<int64_t>()}});
  }
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& j :
       c.db.Query(std::string(kJobSelect) + "WHERE j.state = 'failed' AND j.created_ns >= ? "
                                            "ORDER BY j.created_ns DESC LIMIT 10",
                  {now - 7 * kDay}))
    failed.push_back(JobRow(j));
  nlohmann::json running = nlohmann::json::array();
  for (const auto& j :
       c.db.Query(std::string(kJobSelect) + "WHERE j.state IN ('running', 'queued') "
                                            "ORDER BY j.created_ns DESC LIMIT 20"))
    running.push_back(JobRow(j));
  nlohmann::json recent = nlohmann::json::array();
  for (const auto& j : c.db.Query(std::string(kJobSelect) + "ORDER BY j.created_ns DESC LIMIT 8"))
    recent.push_back(JobRow(j));
  return {{"now_ns", now},
          {"recent_jobs", recent},
          {"agents", counts},
          {"last_24h", Rate(c, now - kDay)},
          {"last_7d", Rate(c, now - 7 * kDay)},
          {"daily", daily},
          {"failed_jobs", failed},
          {"running_jobs", running},
          {"overdue_agents", overdue},
          {"storage", storage},
          {"repositories", repos}};
}

void AddJobRoutes(Console& c, httplib::Server& server) {
  server.Get("/api/v1/jobs", Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
               std::string agent = req.get_param_value("agent");
               std::string state = req.get_param_value("state");
               int64_t limit = req.has_param("limit")
                                   ? std::clamp<int64_t>(
                                         std::atoll(req.get_param_value("limit").c_str()), 1, 1000)
                                   : 100;
               nlohmann::json out = nlohmann::json::array();
               for (const auto& j :
                    c.db.Query(std::string(kJobSelect) + "WHERE (? = '' OR j.agent_id = CAST(? AS "
                                                         "INTEGER)) AND (? = '' OR j.state = ?) "
                                                         "ORDER BY j.created_ns DESC LIMIT ?",
                               {agent, agent, state, state, limit}))
                 out.push_back(JobRow(j));
               SendJson(res, out);
             }));
  server.Get(R"(/api/v1/jobs/([0-9a-f]+))",
             Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
               auto j = c.db.QueryOne(std::string(kJobSelect) + "WHERE j.id = ?",
                                      {req.matches[1].str()});
               if (!j) return SendError(res, 404, "no such job");
               SendJson(res, JobRow(*j));
             }));
  server.Get("/api/v1/dashboard", Admin(c, [&c](const httplib::Request&, httplib::Response& res) {
               SendJson(res, DashboardJson(c));
             }));
  server.Get("/api/v1/reports/jobs.csv",
             Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
               JobsCsv(c, req, res);
             }));
  server.Get("/api/v1/reports/storage.csv",
             Admin(c, [&c](const httplib::Request& req, httplib::Response& res) {
               StorageCsv(c, req, res);
             }));
}

}  // namespace console
