// Runs coffer-server: the HTTP(S) listener, who may reach which path, the
// access log, /healthz and /metrics, and a graceful stop on SIGTERM or
// SIGINT (no new connections; requests in flight are answered first).
#pragma once

#include <string>

namespace server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (printed at start)
  std::string store;
  bool append_only = false;
  std::string users_file;  // empty: no logins (only on a loopback address)
  std::string tls_cert, tls_key;
  bool access_log = true;
  int threads = 64;
  int max_failed_logins = 5;  // per client address and minute
};

// Serves until a stop signal; returns the process exit code. Prints
// "coffer-server listening on http(s)://HOST:PORT" once ready.
int RunServer(const ServerOptions& options);

}  // namespace server
