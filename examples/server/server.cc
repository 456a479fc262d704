#include "server.h"

#include <signal.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "coffer/coffer.h"
#include "login_throttle.h"
#include "metrics.h"
#include "object_service.h"
#include "users.h"

namespace server {
namespace {

// Packs are at most 1 GiB plus one chunk; a bigger body is refused (413).
constexpr size_t kMaxObjectBytes = (size_t{1} << 30) + (size_t{128} << 20);

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Control characters and quotes escaped, so a request path cannot forge log lines.
std::string LogSafe(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "Basic base64(user:password)" -> user, password.
bool ParseBasic(const std::string& header, std::string& user, std::string& password) {
  constexpr std::string_view kBasic = "Basic ";
  if (header.size() <= kBasic.size() || header.compare(0, kBasic.size(), kBasic) != 0) return false;
  std::string encoded = header.substr(kBasic.size());
  std::string decoded(encoded.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        encoded.data(), encoded.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  decoded.resize(length);
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  user = decoded.substr(0, colon);
  password = decoded.substr(colon + 1);
  sodium_memzero(decoded.data(), decoded.size());
  return true;
}

class Server {
 public:
  Server(const ServerOptions& options, coffer_store* store)
      : options_(options),
        objects_(store, options.append_only),
        throttle_(options.max_failed_logins, std::chrono::seconds(60)) {
    if (!options.users_file.empty()) {
      users_ = std::make_unique<UserDirectory>(options.users_file);
      users_->Load();
    }
  }

  void Install(httplib::Server& http) {
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
    });
    // [\s\S]: object names may hold any character but NUL, newlines included.
    const std::string any = R"(/[\s\S]+)";
    http.Get(any, [this](const httplib::Request& req, httplib::Response& res) {
      Serve(req, res, &ObjectService::Get);
    });
    http.Put(any, [this](const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& read) { ServeUpload(req, res, read); });
    http.Delete(any, [this](const httplib::Request& req, httplib::Response& res) {
      Serve(req, res, &ObjectService::Delete);
    });
  }

 private:
  using Handler = void (ObjectService::*)(const httplib::Request&, httplib::Response&,
                                          const std::string&);
  // Runs one request once its login and path are allowed; returns the bytes
  // of request body it took in.
  using Action = std::function<uint64_t(const std::string& key)>;

  void Serve(const httplib::Request& req, httplib::Response& res, Handler handler) {
    Serve(req, res, [&](const std::string& key) -> uint64_t {
      (objects_.*handler)(req, res, key);
      return req.body.size();
    });
  }

  // Uploads are read only after the login is checked, so a client without
  // one cannot make the server hold its body in memory.
  void ServeUpload(const httplib::Request& req, httplib::Response& res,
                   const httplib::ContentReader& read) {
    Serve(req, res, [&](const std::string& key) -> uint64_t {
      std::string body;
      if (uint64_t announced = req.get_header_value<uint64_t>("Content-Length"); announced > 0)
        body.reserve(static_cast<size_t>(std::min<uint64_t>(announced, kMaxObjectBytes)));
      bool whole = read([&](const char* data, size_t length) {
        body.append(data, length);
        return true;
      });
      if (!whole) {
        SetError(res, 400, "the request body could not be read whole");
        return body.size();
      }
      objects_.Put(req, res, key, body);
      return body.size();
    });
  }

  void Serve(const httplib::Request& req, httplib::Response& res, const Action& action) {
    auto start = std::chrono::steady_clock::now();
    metrics_.in_flight()++;
    std::string user;
    uint64_t bytes_in = 0;
    const std::string key = req.path.substr(1);
    if (Authorize(req, res, key, user)) {
      bytes_in = action(key);
    } else if (req.method == "PUT") {
      // The unread body must not be taken for the next request.
      res.set_header("Connection", "close");
    }
    if (res.status == -1) res.status = 200;  // what httplib would send; logged as such
    metrics_.in_flight()--;
    metrics_.Record(user, res.status, bytes_in, res.body.size());
    if (options_.access_log) {
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      char line[160];
      std::snprintf(line, sizeof line, " %d %llu %zu %.1fms", res.status,
                    static_cast<unsigned long long>(bytes_in), res.body.size(), ms);
      std::lock_guard<std::mutex> lock(log_mu_);
      // Never the Authorization header or the query's secrets (there are none).
      std::cout << UtcNow() << " " << req.remote_addr << " " << (user.empty() ? "-" : user) << " "
                << req.method << " \"" << LogSafe(req.path) << "\"" << line << "\n"
                << std::flush;
    }
  }

  // Decides whether the request may touch `key`; answers 401/403/429 itself.
  bool Authorize(const httplib::Request& req, httplib::Response& res, const std::string& key,
                 std::string& user) {
    const std::string owner = key.substr(0, key.find('/'));
    if (!users_) {
      // No logins: the path's owner names the metrics, if it is a valid name.
      if (ValidUserName(owner)) user = owner;
      return true;
    }
    if (long wait = throttle_.RetryAfter(req.remote_addr); wait > 0) {
      res.set_header("Retry-After", std::to_string(wait));
      SetError(
          res, 429,
          "too many failed logins from this address; try again in " + std::to_string(wait) + " s");
      return false;
    }
    std::string name, password;
    bool valid = ParseBasic(req.get_header_value("Authorization"), name, password) &&
                 users_->Verify(name, password);
    sodium_memzero(password.data(), password.size());
    if (!valid) {
      throttle_.RecordFailure(req.remote_addr);
      metrics_.FailedLogin();
      res.set_header("WWW-Authenticate", "Basic realm=\"coffer\", charset=\"UTF-8\"");
      SetError(res, 401,
               req.has_header("Authorization") ? "wrong user name or password"
                                               : "credentials required (HTTP Basic)");
      return false;
    }
    user = name;
    if (owner != name) {
      SetError(res, 403, "user " + name + " may only reach paths under /" + name + "/");
      return false;
    }
    return true;
  }

  const ServerOptions& options_;
  ObjectService objects_;
  std::unique_ptr<UserDirectory> users_;
  LoginThrottle throttle_;
  Metrics metrics_;
  std::mutex log_mu_;
};

struct StoreCloser {
  void operator()(coffer_store* s) const { coffer_store_close(s); }
};

}  // namespace

int RunServer(const ServerOptions& options) {
  if (options.users_file.empty() && !IsLoopback(options.host)) {
    std::cerr << "coffer-server: without --users anyone could reach every repository; listening "
                 "on "
              << options.host << " needs --users FILE (only a loopback address may do without)\n";
    return 2;
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    std::cerr << "coffer-server: --tls-cert and --tls-key go together\n";
    return 2;
  }
  coffer_store* raw_store = nullptr;
  coffer_error* err = nullptr;
  if (coffer_store_open(options.store.c_str(), &raw_store, &err) != COFFER_OK) {
    std::cerr << "coffer-server: cannot open store: " << coffer_error_message(err) << "\n";
    coffer_error_free(err);
    return 1;
  }
  std::unique_ptr<coffer_store, StoreCloser> store(raw_store);

  // Stop signals are taken by one thread with sigwait, never by a handler
  // interrupting a request; every thread started from here inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(options, store.get());
  } catch (const std::exception& e) {
    std::cerr << "coffer-server: " << e.what() << "\n";
    return 1;
  }
  std::unique_ptr<httplib::Server> http;
  const bool tls = !options.tls_cert.empty();
  if (tls) {
    http = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!http->is_valid()) {
      std::cerr << "coffer-server: cannot load the TLS certificate " << options.tls_cert
                << " or key " << options.tls_key << "\n";
      return 1;
    }
  } else {
    http = std::make_unique<httplib::Server>();
  }
  const int threads = options.threads;
  http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http->set_payload_max_length(kMaxObjectBytes);
  http->set_read_timeout(60);
  http->set_write_timeout(60);
  http->set_keep_alive_timeout(5);
  // Small answers go out at once instead of waiting for a delayed ACK.
  http->set_tcp_nodelay(true);
  server->Install(*http);

  int port = options.port;
  if (port == 0) {
    port = http->bind_to_any_port(options.host);
    if (port < 0) port = 0;
  } else if (!http->bind_to_port(options.host, port)) {
    port = 0;
  }
  if (port == 0) {
    std::cerr << "coffer-server: cannot listen on " << options.host << ":" << options.port << "\n";
    return 1;
  }
  std::atomic<bool> stopping{false};
  std::thread stopper([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    stopping = true;
    if (signal_number != 0) {
      std::cerr << "coffer-server: stopping (finishing requests in flight)\n";
      http->stop();
    }
  });
  std::cout << "coffer-server listening on " << (tls ? "https" : "http") << "://" << options.host
            << ":" << port << (options.append_only ? " (append-only)" : "") << std::endl;
  if (options.users_file.empty())
    std::cerr << "coffer-server: warning: no --users file, so no logins are checked\n";
  http->listen_after_bind();
  // listen_after_bind returns once stopped, after its workers finished.
  if (!stopping) pthread_kill(stopper.native_handle(), SIGTERM);  // stopped otherwise: wake it
  stopper.join();
  std::cerr << "coffer-server: stopped\n";
  return stopping ? 0 : 1;
}

}  // namespace server
