// Prometheus text exposition at /metrics: fleet and job gauges from the
// dashboard numbers, plus the console's own counters. It shows aggregates
// only (no names, paths or secrets), so it needs no login, like most
// Prometheus targets; put it behind the network's access rules.
#include <sstream>

#include "console.h"

namespace console {
namespace {

void Metric(std::ostringstream& out, const char* name, const char* type, const char* help,
            const std::string& labels, double value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
      << name << labels << ' ' << value << '\n';
}

double Num(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : 0.0; }

}  // namespace

void AddMetricsRoute(Console& c, httplib::Server& server) {
  server.Get("/metrics", [&c](const httplib::Request&, httplib::Response& res) {
    nlohmann::json d = DashboardJson(c);
    std::ostringstream out;
    out.precision(12);
    const auto& a = d["agents"];
    Metric(out, "coffer_console_agents", "gauge", "Enrolled agents (not revoked).", "",
           Num(a["total"]));
    Metric(out, "coffer_console_agents_online", "gauge", "Agents seen recently.", "",
           Num(a["online"]));
    Metric(out, "coffer_console_agents_overdue", "gauge",
           "Agents whose scheduled backup is overdue.", "", Num(a["overdue"]));
    Metric(out, "coffer_console_agents_revoked", "gauge", "Revoked agents.", "", Num(a["revoked"]));
    for (const char* window : {"last_24h", "last_7d"}) {
      std::string l = std::string("{window=\"") + (window[5] == '2' ? "24h" : "7d") + "\"}";
      Metric(out, "coffer_console_jobs_succeeded", "gauge", "Jobs that succeeded in the window.", l,
             Num(d[window]["succeeded"]));
      Metric(out, "coffer_console_jobs_failed", "gauge", "Jobs that failed in the window.", l,
             Num(d[window]["failed"]));
    }
    int64_t logical = 0, stored = 0;
    for (const auto& s : d["storage"]) {
      logical += s.value("logical_bytes", int64_t{0});
      stored += s.value("stored_bytes", int64_t{0});
    }
    Metric(out, "coffer_console_logical_bytes", "gauge",
           "Sum over agents of the bytes their snapshots hold.", "", double(logical));
    Metric(out, "coffer_console_stored_bytes", "gauge",
           "Sum over agents of what their snapshots' data takes in the repository.", "",
           double(stored));
    Metric(out, "coffer_console_http_requests_total", "counter", "HTTP requests served.", "",
           double(c.counters.http_requests.load()));
    Metric(out, "coffer_console_http_unauthorized_total", "counter", "Requests refused with 401.",
           "", double(c.counters.http_unauthorized.load()));
    Metric(out, "coffer_console_login_failures_total", "counter", "Failed administrator logins.",
           "", double(c.throttle.TotalFailures()));
    Metric(out, "coffer_console_reports_total", "counter", "Agent reports accepted.", "",
           double(c.counters.reports_received.load()));
    Metric(out, "coffer_console_agent_calls_total", "counter", "Browse calls forwarded to agents.",
           "", double(c.counters.agent_calls.load()));
    Metric(out, "coffer_console_agent_call_timeouts_total", "counter",
           "Browse calls agents did not answer in time.", "",
           double(c.counters.agent_call_timeouts.load()));
    Metric(out, "coffer_console_agents_connected", "gauge", "Agents with a poll open now.", "",
           double(c.hub.Connected()));
    res.set_content(out.str(), "text/plain; version=0.0.4");
  });
}

}  // namespace console
