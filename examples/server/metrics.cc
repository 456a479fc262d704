#include "metrics.h"

namespace server {

void Metrics::Record(const std::string& user, int status, uint64_t bytes_in, uint64_t bytes_out) {
  std::lock_guard<std::mutex> lock(mu_);
  PerUser& u = users_[user.empty() ? "-" : user];
  u.requests++;
  u.bytes_in += bytes_in;
  u.bytes_out += bytes_out;
  if (status >= 400) u.errors++;
}

std::string Metrics::Render() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  // User names are [A-Za-z0-9._-] (users.h): nothing to escape in a label.
  auto family = [&](const char* name, const char* help, uint64_t PerUser::*field) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    for (const auto& [user, counts] : users_)
      out += std::string(name) + "{user=\"" + user + "\"} " + std::to_string(counts.*field) + "\n";
  };
  family("coffer_server_requests_total", "HTTP requests answered, by user.", &PerUser::requests);
  family("coffer_server_errors_total", "Requests answered with a status of 400 or more, by user.",
         &PerUser::errors);
  family("coffer_server_received_bytes_total", "Request body bytes received, by user.",
         &PerUser::bytes_in);
  family("coffer_server_sent_bytes_total", "Response body bytes sent, by user.",
         &PerUser::bytes_out);
  out +=
      "# HELP coffer_server_failed_logins_total Requests with missing or wrong credentials.\n"
      "# TYPE coffer_server_failed_logins_total counter\n"
      "coffer_server_failed_logins_total " +
      std::to_string(failed_logins_.load()) + "\n";
  out +=
      "# HELP coffer_server_requests_in_flight Requests being handled now.\n"
      "# TYPE coffer_server_requests_in_flight gauge\n"
      "coffer_server_requests_in_flight " +
      std::to_string(in_flight_.load()) + "\n";
  return out;
}

}  // namespace server
