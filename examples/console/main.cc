// coffer-console: a web portal and REST API that manages coffer agents.
//   coffer-console --listen 127.0.0.1:8080 --db console.db [--tls-cert C --tls-key K]
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "coffer/coffer.h"
#include "console.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void Stop(int) { g_stop = 1; }

// The first administrator password: $COFFER_CONSOLE_ADMIN_PASSWORD, or a
// generated one printed once. Only its Argon2id hash is stored.
void BootstrapAdmin(console::Console& c) {
  if (c.db.Setting("admin_password_hash")) return;
  const char* env = std::getenv("COFFER_CONSOLE_ADMIN_PASSWORD");
  std::string password = env != nullptr ? env : "";
  bool generated = password.empty();
  if (generated) password = console::RandomHex(12);
  c.db.SetSetting("admin_password_hash", console::HashPassword(password));
  if (generated)
    std::fprintf(stderr,
                 "coffer-console: the administrator password is %s\n"
                 "  (shown only this once; log in as the administrator and keep it safe)\n",
                 password.c_str());
  sodium_memzero(password.data(), password.size());
}

bool SplitListen(const std::string& listen, std::string& host, int& port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long p = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (end == nullptr || *end != '\0' || p < 0 || p > 65535) return false;
  port = static_cast<int>(p);
  return !host.empty();
}

}  // namespace

namespace console {
std::string Console::PublicUrl() const {
  if (!options.public_url.empty()) return options.public_url;
  return (options.tls_cert.empty() ? "http://" : "https://") + options.listen;
}
}  // namespace console

int main(int argc, char** argv) {
  console::Options options;
  CLI::App app{"coffer-console: manage a fleet of coffer backup agents from a web browser",
               "coffer-console"};
  app.add_option("--listen", options.listen,
                 "Address and port to listen on (HOST:PORT; port 0 picks one)")
      ->capture_default_str();
  app.add_option("--db", options.db_path, "SQLite database file (created if missing)")
      ->capture_default_str();
  app.add_option("--tls-cert", options.tls_cert, "PEM certificate chain: serve HTTPS");
  app.add_option("--tls-key", options.tls_key, "PEM private key for --tls-cert");
  app.add_option("--public-url", options.public_url,
                 "URL agents use to reach the console (shown in enrollment commands; default: "
                 "derived from --listen)");
  app.add_option("--agent-dist", options.agent_dist,
                 "Directory with the agent files install.sh hands out: coffer (or bin/coffer) "
                 "and libcoffer.so.0 (or lib/libcoffer.so.0); default: next to this program");
  app.add_option("--overdue-grace", options.overdue_grace_seconds,
                 "Seconds a scheduled backup may be late before its agent counts as overdue")
      ->capture_default_str();
  app.add_option("--session-hours", options.session_hours, "Lifetime of a login session")
      ->capture_default_str();
  app.footer(
      "The first administrator password comes from $COFFER_CONSOLE_ADMIN_PASSWORD, or is\n"
      "generated and printed once. The database holds no secrets: passwords as Argon2id\n"
      "hashes, tokens and credentials as hashes; repository passwords stay on the agents.\n"
      "Exit codes: 0 stopped by a signal, 1 failure (see the message), 2 usage error.");
  CLI11_PARSE(app, argc, argv);
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    std::fprintf(stderr, "coffer-console: error: --tls-cert and --tls-key go together\n");
    return 2;
  }
  std::string host;
  int port = 0;
  if (!SplitListen(options.listen, host, port)) {
    std::fprintf(stderr, "coffer-console: error: --listen: expected HOST:PORT, got \"%s\"\n",
                 options.listen.c_str());
    return 2;
  }
  if (sodium_init() < 0) {
    std::fprintf(stderr, "coffer-console: error: libsodium failed to initialise\n");
    return 1;
  }
  try {
    console::Console c(options);
    BootstrapAdmin(c);
    if (!c.dist.Locate(options.agent_dist)) {
      if (!options.agent_dist.empty()) {
        std::fprintf(stderr, "coffer-console: error: --agent-dist: %s\n", c.dist.problem().c_str());
        return 1;
      }
      std::fprintf(stderr,
                   "coffer-console: warning: %s: /install.sh is unavailable and enrollment "
                   "tokens show only the enroll command (see --agent-dist)\n",
                   c.dist.problem().c_str());
    }
    // Commands live in memory: jobs still queued when the console stopped
    // were never handed to their agent.
    c.db.Exec(
        "UPDATE jobs SET state = 'failed', ended_ns = ?, error = 'the console restarted before "
        "the agent took this job; start it again' WHERE state = 'queued'",
        {console::NowNs()});

    std::unique_ptr<httplib::Server> server;
    if (!options.tls_cert.empty()) {
      auto tls =
          std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
      if (!tls->is_valid()) {
        std::fprintf(stderr, "coffer-console: error: cannot load --tls-cert/--tls-key\n");
        return 1;
      }
      server = std::move(tls);
    } else {
      server = std::make_unique<httplib::Server>();
    }
    // Long polls and browse calls each hold a thread while they wait.
    server->new_task_queue = [] { return new httplib::ThreadPool(64); };
    server->set_keep_alive_timeout(5);
    server->set_payload_max_length(8 << 20);
    server->set_pre_routing_handler([&c](const httplib::Request&, httplib::Response&) {
      c.counters.http_requests++;
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server->set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown error";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          std::fprintf(stderr, "coffer-console: %s %s: %s\n", req.method.c_str(), req.path.c_str(),
                       what.c_str());
          console::SendError(res, 500, "internal error (see the console's log)");
        });
    console::AddAuthRoutes(c, *server);
    console::AddAgentProtocolRoutes(c, *server);
    console::AddFleetRoutes(c, *server);
    console::AddJobRoutes(c, *server);
    console::AddRestoreRoutes(c, *server);
    console::AddMetricsRoute(c, *server);
    console::AddWebRoutes(*server);
    console::AddInstallRoutes(c, *server);
    server->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.status == 404 && res.body.empty())
        console::SendError(res, 404, "no such endpoint: " + req.path);
    });

    if (port == 0) {
      port = server->bind_to_any_port(host);
    } else if (!server->bind_to_port(host, port)) {
      port = -1;
    }
    if (port < 0) {
      std::fprintf(stderr, "coffer-console: error: cannot listen on %s\n", options.listen.c_str());
      return 1;
    }
    if (c.options.listen.rfind(":0") == c.options.listen.size() - 2)
      c.options.listen = host + ":" + std::to_string(port);
    std::printf("coffer-console %s listening on %s://%s:%d\n", coffer_version(),
                options.tls_cert.empty() ? "http" : "https", host.c_str(), port);
    std::fflush(stdout);
    std::signal(SIGINT, Stop);
    std::signal(SIGTERM, Stop);
    std::signal(SIGPIPE, SIG_IGN);
    // Signal handlers may not take locks: a watcher ends the waits and the server.
    std::thread watcher([&] {
      while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      c.hub.Close();
      server->stop();
    });
    server->listen_after_bind();
    g_stop = 1;
    watcher.join();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coffer-console: error: %s\n", e.what());
    return 1;
  }
}
