// HttpClient against a real HTTP server (cpp-httplib) on 127.0.0.1, started
// by each test on a free port and stopped when it ends.
#include "store/http_client.h"

#include <httplib.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/temp_dir.h"

using namespace coffer;
using namespace std::chrono_literals;

namespace {

// Register handlers on server(), then Start(). With a certificate and key it
// serves HTTPS.
class TestServer {
 public:
  TestServer() : server_(std::make_unique<httplib::Server>()) {}
  TestServer(const std::string& cert_path, const std::string& key_path)
      : server_(std::make_unique<httplib::SSLServer>(cert_path.c_str(), key_path.c_str())),
        scheme_("https") {}
  ~TestServer() { Stop(); }

  httplib::Server& server() { return *server_; }

  void Start() {
    REQUIRE(server_->is_valid());
    port_ = server_->bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 500 && !server_->is_running(); ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(server_->is_running());
  }

  void Stop() {
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return scheme_ + "://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::string scheme_ = "http";
  std::thread thread_;
  int port_ = 0;
};

std::unique_ptr<HttpClient> NewClient(HttpClientOptions options = {}) {
  absl::StatusOr<std::unique_ptr<HttpClient>> client = HttpClient::Create(std::move(options));
  REQUIRE(client.ok());
  return std::move(*client);
}

HttpResponse MustSend(HttpClient& client, const HttpRequest& request) {
  absl::StatusOr<HttpResponse> response = client.Send(request);
  INFO(response.status().ToString());
  REQUIRE(response.ok());
  return std::move(*response);
}

}  // namespace

TEST_CASE("HTTP client GETs a body, the status and headers, and sends its own headers") {
  TestServer server;
  server.server().Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Echo", req.get_header_value("X-Request"));
    res.set_content("hello world", "text/plain");
  });
  server.Start();
  std::unique_ptr<HttpClient> client = NewClient();

  // An empty value goes out as "X-Empty:" (checked with a raw socket; this
  // server drops empty headers when parsing), and must not break the request.
  HttpResponse response =
      MustSend(*client, {"GET", server.Url("/hello?x=1"), {{"X-Request", "abc"}, {"X-Empty", ""}}});
  CHECK(response.status == 200);
  CHECK(ToString(response.body) == "hello world");
  CHECK(response.Header("x-echo") == "abc");
  CHECK(response.Header("content-type") == "text/plain");
  CHECK(response.Header("content-length") == "11");
  CHECK(!response.Header("X-Echo"));  // Names are lower-cased; look them up that way.
}

TEST_CASE("HTTP client PUTs and POSTs a body with its length and no 100-continue wait") {
  TestServer server;
  std::mutex mu;
  std::string received;
  std::string received_length;
  std::string received_expect;
  std::string received_method;
  bool received_content_type = false;
  auto store = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    received = req.body;
    received_length = req.get_header_value("Content-Length");
    received_expect = req.get_header_value("Expect");
    received_method = req.method;
    received_content_type = req.has_header("Content-Type");
    res.status = 201;
  };
  server.server().Put("/obj", store);
  server.server().Post("/obj", store);
  server.Start();
  std::unique_ptr<HttpClient> client = NewClient();

  SECTION("a multi-MiB PUT arrives whole") {
    std::string body(3 * 1024 * 1024 + 7, '\0');
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 131 + i / 4096);
    HttpResponse response = MustSend(*client, {"PUT", server.Url("/obj"), {}, AsBytes(body)});
    CHECK(response.status == 201);
    std::lock_guard lock(mu);
    CHECK(received_method == "PUT");
    CHECK(received_length == std::to_string(body.size()));
    CHECK(received_expect.empty());
    CHECK(received == body);
    // libcurl adds no Content-Type of its own: Azure's SharedKey signs it.
    CHECK(!received_content_type);
  }
  SECTION("a POST keeps its method, and an empty body is Content-Length 0") {
    HttpResponse response = MustSend(*client, {"POST", server.Url("/obj"), {}, {}});
    CHECK(response.status == 201);
    std::lock_guard lock(mu);
    CHECK(received_method == "POST");
    CHECK(received_length == "0");
  }
}

TEST_CASE("HTTP client HEAD gets headers and no body, DELETE uses its method") {
  TestServer server;
  std::atomic<int> deletes{0};
  server.server().Get("/obj", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("ETag", "\"abc\"");
    res.set_content(std::string(1000, 'x'), "application/octet-stream");
  });
  server.server().Delete("/obj", [&](const httplib::Request&, httplib::Response& res) {
    ++deletes;
    res.status = 204;
  });
  server.Start();
  std::unique_ptr<HttpClient> client = NewClient();

  HttpResponse head = MustSend(*client, {"HEAD", server.Url("/obj"), {}, {}});
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.Header("content-length") == "1000");
  CHECK(head.Header("etag") == "\"abc\"");

  HttpResponse deleted = MustSend(*client, {"DELETE", server.Url("/obj"), {}, {}});
  CHECK(deleted.status == 204);
  CHECK(deletes == 1);
}

TEST_CASE("HTTP client returns error statuses as responses, with their bodies") {
  TestServer server;
  server.server().Get(R"(/status/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.status = std::stoi(req.matches[1]);
    res.set_content("<Error><Code>Nope</Code></Error>", "application/xml");
  });
  server.Start();
  std::unique_ptr<HttpClient> client = NewClient();

  for (int status : {403, 404, 412, 416, 503}) {
    HttpResponse response =
        MustSend(*client, {"GET", server.Url("/status/" + std::to_string(status)), {}, {}});
    CHECK(response.status == status);
    CHECK(ToString(response.body) == "<Error><Code>Nope</Code></Error>");
  }
  CHECK(HttpStatusToCode(200) == absl::StatusCode::kOk);
  CHECK(HttpStatusToCode(206) == absl::StatusCode::kOk);
  CHECK(HttpStatusToCode(401) == absl::StatusCode::kUnauthenticated);
  CHECK(HttpStatusToCode(403) == absl::StatusCode::kPermissionDenied);
  CHECK(HttpStatusToCode(404) == absl::StatusCode::kNotFound);
  CHECK(HttpStatusToCode(412) == absl::StatusCode::kFailedPrecondition);
  CHECK(HttpStatusToCode(416) == absl::StatusCode::kInvalidArgument);
  CHECK(HttpStatusToCode(429) == absl::StatusCode::kUnavailable);
  CHECK(HttpStatusToCode(503) == absl::StatusCode::kUnavailable);
  CHECK(HttpStatusToCode(301) == absl::StatusCode::kUnknown);
}

TEST_CASE("HTTP client reuses connections between requests") {
  TestServer server;
  server.server().Get("/a", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("a", "text/plain");
  });
  server.Start();
  std::unique_ptr<HttpClient> client = NewClient();

  CHECK(MustSend(*client, {"GET", server.Url("/a"), {}, {}}).new_connections == 1);
  CHECK(MustSend(*client, {"GET", server.Url("/a"), {}, {}}).new_connections == 0);
  CHECK(MustSend(*client, {"HEAD", server.Url("/a"), {}, {}}).new_connections == 0);
  CHECK(client->IdleHandles() == 1);
}

TEST_CASE("HTTP client runs at most max_parallel_requests at once") {
  TestServer server;
  std::atomic<int> in_flight{0};
  std::atomic<int> most{0};
  server.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    int now = ++in_flight;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(100ms);
    --in_flight;
    res.set_content("ok", "text/plain");
  });
  server.Start();
  HttpClientOptions options;
  options.max_parallel_requests = 2;
  std::unique_ptr<HttpClient> client = NewClient(options);

  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      absl::StatusOr<HttpResponse> response = client->Send({"GET", server.Url("/slow"), {}, {}});
      if (response.ok() && response->status == 200) ++ok;
    });
  for (std::thread& thread : threads) thread.join();
  CHECK(ok == 6);
  CHECK(most <= 2);
  CHECK(most >= 1);
  CHECK(client->IdleHandles() <= 2);
}

TEST_CASE("HTTP client reports a refused connection as Unavailable without the query") {
  int port = 0;
  {
    TestServer closed;
    closed.Start();
    port = closed.port();
  }  // Nothing listens there now.
  std::unique_ptr<HttpClient> client = NewClient();
  const std::string url =
      "http://user:hunter2@127.0.0.1:" + std::to_string(port) + "/bucket/key?X-Amz-Signature=s3cr3t";
  absl::StatusOr<HttpResponse> response =
      client->Send({"GET", url, {{"Authorization", "AWS4-HMAC-SHA256 Signature=topsecret"}}, {}});
  REQUIRE(response.status().code() == absl::StatusCode::kUnavailable);
  const std::string message(response.status().message());
  INFO(message);
  CHECK(message.find("GET http://127.0.0.1:" + std::to_string(port) + "/bucket/key") !=
        std::string::npos);
  CHECK(message.find("s3cr3t") == std::string::npos);
  CHECK(message.find("hunter2") == std::string::npos);
  CHECK(message.find("topsecret") == std::string::npos);
}

TEST_CASE("HTTP client gives up on a server that stops answering") {
  // Declared before the server: its handler threads read it until they stop.
  std::atomic<bool> release{false};
  TestServer server;
  server.server().Get("/stall", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 500 && !release; ++i) std::this_thread::sleep_for(10ms);
    res.set_content("late", "text/plain");
  });
  server.Start();
  HttpClientOptions options;
  SECTION("the low-speed limit") {
    options.low_speed_bytes_per_second = 1;
    options.low_speed_time = 1s;
  }
  SECTION("the whole-request timeout") { options.request_timeout = 300ms; }
  std::unique_ptr<HttpClient> client = NewClient(options);

  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<HttpResponse> response = client->Send({"GET", server.Url("/stall?t=1"), {}, {}});
  auto elapsed = std::chrono::steady_clock::now() - start;
  release = true;
  REQUIRE(response.status().code() == absl::StatusCode::kUnavailable);
  INFO(response.status().message());
  CHECK(response.status().message().find("/stall") != std::string_view::npos);
  CHECK(response.status().message().find("t=1") == std::string_view::npos);
  CHECK(elapsed < 4s);
}

TEST_CASE("HTTP client streams a successful body into a sink") {
  TestServer server;
  const std::string big(2 * 1024 * 1024 + 3, 'b');
  server.server().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/octet-stream");
  });
  server.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("<Error>NoSuchKey</Error>", "application/xml");
  });
  server.Start();
  std::unique_ptr<HttpClient> client = NewClient();
  std::string sunk;
  int pieces = 0;
  HttpRequest request{"GET", server.Url("/big"), {}, {}};
  request.body_sink = [&](ByteView piece) {
    sunk += AsChars(piece);
    ++pieces;
    return absl::OkStatus();
  };

  SECTION("a 2xx body goes to the sink, in pieces") {
    HttpResponse response = MustSend(*client, request);
    CHECK(response.status == 200);
    CHECK(response.body.empty());
    CHECK(sunk == big);
    CHECK(pieces > 1);
  }
  SECTION("an error document is collected, not sunk") {
    request.url = server.Url("/missing");
    HttpResponse response = MustSend(*client, request);
    CHECK(response.status == 404);
    CHECK(ToString(response.body) == "<Error>NoSuchKey</Error>");
    CHECK(sunk.empty());
  }
  SECTION("a sink's error stops the transfer and is returned") {
    request.body_sink = [](ByteView) { return absl::DataLossError("checksum mismatch"); };
    absl::StatusOr<HttpResponse> response = client->Send(request);
    CHECK(response.status() == absl::DataLossError("checksum mismatch"));
  }
}

TEST_CASE("HTTP client reports a response cut short as Unavailable") {
  TestServer server;
  server.server().Get("/cut", [](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(100, "application/octet-stream",
                             [](size_t, size_t, httplib::DataSink& sink) {
                               sink.write("0123456789", 10);
                               return false;  // Drops the connection after 10 of 100 bytes.
                             });
  });
  server.Start();
  std::unique_ptr<HttpClient> client = NewClient();
  absl::StatusOr<HttpResponse> response = client->Send({"GET", server.Url("/cut"), {}, {}});
  CHECK(response.status().code() == absl::StatusCode::kUnavailable);
  CHECK(response.status().message().find("/cut") != std::string_view::npos);
}

TEST_CASE("HTTP client verifies TLS peers unless given their CA or told not to") {
  testing::TempDir dir;
  const std::string cert = (dir / "cert.pem").string();
  const std::string key = (dir / "key.pem").string();
  // A self-signed certificate for 127.0.0.1 (the openssl program is part of
  // Debian's openssl package, which libcurl's TLS already depends on).
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
      " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key + "' -out '" + cert + "' >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  TestServer server(cert, key);
  server.server().Get("/tls", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("secure", "text/plain");
  });
  server.Start();

  SECTION("an unknown CA is refused, and that is not worth retrying") {
    std::unique_ptr<HttpClient> client = NewClient();
    absl::StatusOr<HttpResponse> response = client->Send({"GET", server.Url("/tls"), {}, {}});
    CHECK(response.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(response.status().message().find(server.Url("/tls")) != std::string_view::npos);
  }
  SECTION("ca_file trusts the server's certificate") {
    HttpClientOptions options;
    options.ca_file = cert;
    std::unique_ptr<HttpClient> client = NewClient(options);
    CHECK(ToString(MustSend(*client, {"GET", server.Url("/tls"), {}, {}}).body) == "secure");
  }
  SECTION("verify_tls = false accepts any certificate") {
    HttpClientOptions options;
    options.verify_tls = false;
    std::unique_ptr<HttpClient> client = NewClient(options);
    CHECK(MustSend(*client, {"GET", server.Url("/tls"), {}, {}}).status == 200);
  }
}

TEST_CASE("HTTP client refuses bad requests and options before sending anything") {
  std::unique_ptr<HttpClient> client = NewClient();
  SECTION("a header value with a line break (header injection)") {
    absl::StatusOr<HttpResponse> response = client->Send(
        {"GET", "http://127.0.0.1:1/", {{"X-Token", "secret\r\nInjected: yes"}}, {}});
    CHECK(response.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(response.status().message().find("X-Token") != std::string_view::npos);
    CHECK(response.status().message().find("secret") == std::string_view::npos);
  }
  SECTION("a URL scheme other than http and https") {
    CHECK(client->Send({"GET", "file:///etc/passwd", {}, {}}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  SECTION("options that cannot work") {
    HttpClientOptions options;
    options.max_parallel_requests = 0;
    CHECK(HttpClient::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
    options.max_parallel_requests = 1;
    options.ca_file = "/nonexistent/ca.pem";
    absl::StatusOr<std::unique_ptr<HttpClient>> created = HttpClient::Create(options);
    CHECK(created.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(created.status().message().find("/nonexistent/ca.pem") != std::string_view::npos);
  }
}

TEST_CASE("RedactUrl keeps scheme, host, port and path only") {
  CHECK(RedactUrl("https://bucket.s3.amazonaws.com/a/b?X-Amz-Signature=x#frag") ==
        "https://bucket.s3.amazonaws.com/a/b");
  CHECK(RedactUrl("http://user:pw@127.0.0.1:9000/c?sv=1&sig=2") == "http://127.0.0.1:9000/c");
  CHECK(RedactUrl("http://user:pw@host") == "http://host");
  CHECK(RedactUrl("http://host:80") == "http://host:80");
  CHECK(RedactUrl("https://acct.blob.core.windows.net/c/a%40b") ==
        "https://acct.blob.core.windows.net/c/a%40b");
}

TEST_CASE("HTTP client options from the environment name a private CA") {
  setenv("COFFER_CACERT", "/nonexistent/ca.pem", 1);
  coffer::HttpClientOptions options = coffer::HttpClientOptionsFromEnvironment();
  unsetenv("COFFER_CACERT");
  CHECK(options.ca_file == "/nonexistent/ca.pem");
  CHECK(options.verify_tls);
  auto client = coffer::HttpClient::Create(options);
  REQUIRE_FALSE(client.ok());
  CHECK_THAT(std::string(client.status().message()), Catch::Contains("/nonexistent/ca.pem"));
}

namespace {

// Answers one connection with fixed bytes, then closes it: responses no
// well-behaved server library would send.
class RawOneShotServer {
 public:
  explicit RawOneShotServer(std::string answer) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    REQUIRE(listen(fd_, 1) == 0);
    thread_ = std::thread([this, answer] {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)recv(c, buf, sizeof buf, 0);
      (void)send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      shutdown(c, SHUT_RDWR);
      close(c);
    });
  }
  ~RawOneShotServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/x"; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("HTTP client treats a dropped connection as Unavailable, never as a short answer") {
  std::unique_ptr<HttpClient> client = NewClient();
  SECTION("cut inside the headers") {
    RawOneShotServer server("HTTP/1.1 206 Partial Content\r\nContent-Type: x\r\nContent-Le");
    auto response = client->Send({"GET", server.Url()});
    REQUIRE(absl::IsUnavailable(response.status()));
    CHECK_THAT(std::string(response.status().message()), Catch::Contains("middle of the response headers"));
  }
  SECTION("a success whose body has no length") {
    RawOneShotServer server("HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\npartial bo");
    auto response = client->Send({"GET", server.Url()});
    REQUIRE(absl::IsUnavailable(response.status()));
    CHECK_THAT(std::string(response.status().message()), Catch::Contains("Content-Length"));
  }
  SECTION("an error status without a length is still an answer") {
    RawOneShotServer server("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\nno such thing");
    auto response = client->Send({"GET", server.Url()});
    REQUIRE(response.ok());
    CHECK(response->status == 404);
  }
}
