// An in-process stand-in for the GCS JSON API (cpp-httplib on 127.0.0.1),
// behaving as Google documents it where the storage emulator does not:
// ifGenerationMatch=0 is an atomic create-if-absent (412 otherwise), uploads
// whose crc32c/md5Hash metadata disagree with the bytes are refused (400),
// and resumable uploads answer 308 with "Range: bytes=0-N" until the last
// byte arrives, accept status queries ("bytes */TOTAL") and DELETE (499).
// Page tokens are opaque (base64, so they need percent-encoding).
//
// Knobs (set before requests are made) inject what real servers do now and
// then: acknowledge fewer bytes than a chunk had, fail a chunk with 503 after
// keeping part of it, finish early (as the emulator does), damage bytes,
// demand a bearer token, or answer anything at all through `intercept`.
//
// FakeTokenEndpoint is an OAuth2 token endpoint for the JWT-bearer grant: it
// verifies the assertion's RS256 signature with the test key's public half
// and its claims, and hands out "ya29.fake-token-N".
#pragma once

#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/base64.h"
#include "gcs_test_keys.h"
#include "store/checksums.h"

namespace coffer::testing {

// Runs a cpp-httplib server on a free port of 127.0.0.1 until destroyed.
class RunningServer {
 public:
  explicit RunningServer(httplib::Server& server) : server_(server) {
    // Without it, a reply's header and body writes meet the client's delayed
    // ACK: 40 ms per request.
    server_.set_tcp_nodelay(true);
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(server_.is_running());
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server& server_;
  std::thread thread_;
  int port_ = 0;
};

class FakeGcsServer {
 public:
  struct Object {
    std::string data;
    int64_t generation = 0;
  };

  // Knobs.
  uint64_t short_ack_bytes = 0;   // Each non-final chunk: acknowledge this many bytes fewer.
  int fail_chunks = 0;            // The next N chunks: keep half, answer 503.
  bool finish_early = false;      // The first chunk finishes the upload (the emulator's way).
  bool damage_uploads = false;    // Flip a byte of every upload before checking hashes.
  bool damage_downloads = false;  // Flip a byte of every alt=media reply.
  std::string required_bearer;    // Non-empty: other Authorization values get 401.
  // Called first for every request; returning true means `res` is the answer.
  std::function<bool(const httplib::Request&, httplib::Response&)> intercept;

  FakeGcsServer() {
    server_.Post(R"(/upload/storage/v1/b/([^/]+)/o)", Handler(&FakeGcsServer::StartUpload));
    server_.Put(R"(/upload/storage/v1/b/([^/]+)/o)", Handler(&FakeGcsServer::PutChunk));
    server_.Delete(R"(/upload/storage/v1/b/([^/]+)/o)", Handler(&FakeGcsServer::CancelSession));
    server_.Get(R"(/storage/v1/b/([^/]+)/o)", Handler(&FakeGcsServer::ListObjects));
    server_.Get(R"(/storage/v1/b/([^/]+)/o/(.+))", Handler(&FakeGcsServer::GetObject));
    server_.Delete(R"(/storage/v1/b/([^/]+)/o/(.+))", Handler(&FakeGcsServer::DeleteObject));
    running_ = std::make_unique<RunningServer>(server_);
  }

  std::string Endpoint() const { return "http://127.0.0.1:" + std::to_string(running_->port()); }

  // Inspection (thread-safe).
  std::map<std::string, Object> Objects() {
    std::lock_guard lock(mu_);
    return objects_;
  }
  std::vector<std::string> Log() {
    std::lock_guard lock(mu_);
    return log_;
  }
  std::vector<nlohmann::json> UploadMetadata() {
    std::lock_guard lock(mu_);
    return metadata_;
  }
  std::vector<std::string> AuthorizationHeaders() {
    std::lock_guard lock(mu_);
    return authorizations_;
  }
  // Content-Range of every PUT to a session, in order.
  std::vector<std::string> ContentRanges() {
    std::lock_guard lock(mu_);
    return content_ranges_;
  }
  int CancelledSessions() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  void PutObject(const std::string& name, const std::string& data) {
    std::lock_guard lock(mu_);
    objects_[name] = Object{data, ++generation_};
  }

 private:
  struct Session {
    std::string name;
    nlohmann::json metadata;
    bool if_absent = false;
    std::string received;
    bool done = false;
  };
  using Method = void (FakeGcsServer::*)(const httplib::Request&, httplib::Response&);

  httplib::Server::Handler Handler(Method method) {
    return [this, method](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        log_.push_back(req.method + " " + req.target);
        authorizations_.push_back(req.get_header_value("Authorization"));
      }
      if (intercept && intercept(req, res)) return;
      if (!required_bearer.empty() &&
          req.get_header_value("Authorization") != "Bearer " + required_bearer) {
        Error(res, 401, "Invalid Credentials", "authError");
        return;
      }
      std::lock_guard lock(mu_);
      (this->*method)(req, res);
    };
  }

  static void Error(httplib::Response& res, int code, const std::string& message,
                    const std::string& reason) {
    nlohmann::json error = {
        {"error",
         {{"code", code},
          {"message", message},
          {"errors", {{{"message", message}, {"domain", "global"}, {"reason", reason}}}}}}};
    res.status = code;
    res.set_content(error.dump(), "application/json");
  }

  nlohmann::json Resource(const std::string& bucket, const std::string& name, const Object& o) {
    return {{"kind", "storage#object"},
            {"bucket", bucket},
            {"name", name},
            {"generation", std::to_string(o.generation)},
            {"size", std::to_string(o.data.size())},
            {"crc32c", Crc32cBase64(AsBytes(o.data))},
            {"md5Hash", Md5Base64(AsBytes(o.data))}};
  }

  // Checks hashes and the precondition, then stores: what GCS does when an
  // upload's last byte has arrived.
  void Finish(const httplib::Request& req, httplib::Response& res, const std::string& name,
              const nlohmann::json& metadata, bool if_absent, std::string data) {
    if (damage_uploads && !data.empty()) data[data.size() / 2] ^= 0x01;
    const std::string crc = Crc32cBase64(AsBytes(data));
    if (metadata.contains("crc32c") && metadata["crc32c"] != crc) {
      Error(res, 400,
            "Provided CRC32C \"" + metadata["crc32c"].get<std::string>() +
                "\" doesn't match calculated CRC32C \"" + crc + "\".",
            "invalid");
      return;
    }
    if (metadata.contains("md5Hash") && metadata["md5Hash"] != Md5Base64(AsBytes(data))) {
      Error(res, 400, "Provided MD5 hash doesn't match calculated MD5 hash.", "invalid");
      return;
    }
    if (if_absent && objects_.count(name)) {
      Error(res, 412, "At least one of the pre-conditions you specified did not hold.",
            "conditionNotMet");
      return;
    }
    Object& object = objects_[name];
    object = Object{std::move(data), ++generation_};
    res.status = 200;
    res.set_content(Resource(req.matches[1], name, object).dump(), "application/json");
  }

  void StartUpload(const httplib::Request& req, httplib::Response& res) {
    const std::string type = req.get_param_value("uploadType");
    const bool if_absent = req.get_param_value("ifGenerationMatch") == "0";
    if (type == "multipart") {
      std::string metadata_text, data;
      if (!ParseMultipart(req, metadata_text, data)) {
        Error(res, 400, "Malformed multipart body.", "invalid");
        return;
      }
      nlohmann::json metadata = nlohmann::json::parse(metadata_text);
      metadata_.push_back(metadata);
      Finish(req, res, metadata["name"], metadata, if_absent, std::move(data));
    } else if (type == "resumable") {
      nlohmann::json metadata = nlohmann::json::parse(req.body);
      metadata_.push_back(metadata);
      const std::string id = "session" + std::to_string(++session_count_);
      sessions_[id] = Session{metadata["name"], metadata, if_absent, "", false};
      // Location carries the session in its query, as GCS's upload_id.
      res.set_header("Location", Endpoint() + "/upload/storage/v1/b/" + req.matches[1].str() +
                                     "/o?uploadType=resumable&upload_id=" + id);
      res.status = 200;
    } else {
      Error(res, 400, "Unsupported uploadType.", "invalid");
    }
  }

  void PutChunk(const httplib::Request& req, httplib::Response& res) {
    auto it = sessions_.find(req.get_param_value("upload_id"));
    if (it == sessions_.end() || it->second.done) {
      Error(res, 404, "No such upload session.", "notFound");
      return;
    }
    Session& session = it->second;
    const std::string range = req.get_header_value("Content-Range");
    content_ranges_.push_back(range);
    uint64_t first = 0, last = 0, total = 0;
    const bool query = std::sscanf(range.c_str(), "bytes */%lu", &total) == 1;
    if (!query && std::sscanf(range.c_str(), "bytes %lu-%lu/%lu", &first, &last, &total) != 3) {
      Error(res, 400, "Bad Content-Range.", "invalid");
      return;
    }
    if (!query) {
      if (first > session.received.size() || last + 1 - first != req.body.size()) {
        Error(res, 400, "Chunk does not continue the upload.", "invalid");
        return;
      }
      std::string body = req.body;
      if (fail_chunks > 0) {
        --fail_chunks;
        body.resize(body.size() / 2);
        session.received.resize(first);
        session.received += body;
        Error(res, 503, "Backend Error", "backendError");
        return;
      }
      session.received.resize(first);  // Bytes sent again replace what was kept.
      session.received += body;
      const bool last_byte = session.received.size() == total;
      if (!last_byte && session.received.size() % (256 * 1024) != 0) {
        Error(res, 400, "Non-final chunks must be a multiple of 256 KiB.", "invalid");
        return;
      }
      if (last_byte || finish_early) {
        nlohmann::json metadata = session.metadata;
        // The emulator, which finishes early, checks no hashes either.
        if (!last_byte) metadata.erase("crc32c"), metadata.erase("md5Hash");
        // The final request's X-Goog-Hash is checked like the metadata's.
        const std::string hash = req.get_header_value("X-Goog-Hash");
        if (last_byte && hash.find("crc32c=" + metadata.value("crc32c", std::string())) != 0)
          metadata["crc32c"] = "mismatched-x-goog-hash";
        session.done = true;
        Finish(req, res, session.name, metadata, session.if_absent, session.received);
        return;
      }
      if (short_ack_bytes > 0 && session.received.size() > short_ack_bytes)
        session.received.resize(session.received.size() - short_ack_bytes);
    }
    res.status = 308;
    if (!session.received.empty())
      res.set_header("Range", "bytes=0-" + std::to_string(session.received.size() - 1));
  }

  void CancelSession(const httplib::Request& req, httplib::Response& res) {
    if (sessions_.erase(req.get_param_value("upload_id")) == 0) {
      Error(res, 404, "No such upload session.", "notFound");
      return;
    }
    ++cancelled_;
    res.status = 499;
  }

  void GetObject(const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[2];
    auto it = objects_.find(name);
    if (it == objects_.end()) {
      Error(res, 404, "No such object: " + req.matches[1].str() + "/" + name, "notFound");
      return;
    }
    if (req.get_param_value("alt") != "media") {
      res.set_content(Resource(req.matches[1], name, it->second).dump(), "application/json");
      return;
    }
    std::string data = it->second.data;
    res.set_header("x-goog-hash", "crc32c=" + Crc32cBase64(AsBytes(data)));
    res.set_header("x-goog-hash", "md5=" + Md5Base64(AsBytes(data)));
    if (damage_downloads && !data.empty()) data[0] ^= 0x01;
    // cpp-httplib cuts a ranged reply out of the whole body itself (and sets
    // Content-Range); only the unsatisfiable case is GCS's own answer here.
    if (req.ranges.size() == 1 && req.ranges[0].first >= 0 &&
        static_cast<uint64_t>(req.ranges[0].first) >= data.size()) {
      Error(res, 416, "The requested range cannot be satisfied.", "requestedRangeNotSatisfiable");
      return;
    }
    if (!req.ranges.empty()) res.status = 206;
    res.set_content(data, "application/octet-stream");
  }

  void DeleteObject(const httplib::Request& req, httplib::Response& res) {
    auto it = objects_.find(req.matches[2]);
    const std::string generation = req.get_param_value("ifGenerationMatch");
    if (it == objects_.end()) {
      Error(res, 404, "No such object: " + req.matches[1].str() + "/" + req.matches[2].str(),
            "notFound");
    } else if (!generation.empty() && generation != std::to_string(it->second.generation)) {
      Error(res, 412, "At least one of the pre-conditions you specified did not hold.",
            "conditionNotMet");
    } else {
      objects_.erase(it);
      res.status = 204;
    }
  }

  void ListObjects(const httplib::Request& req, httplib::Response& res) {
    const std::string prefix = req.get_param_value("prefix");
    const size_t max = std::stoul(
        req.get_param_value("maxResults").empty() ? "1000" : req.get_param_value("maxResults"));
    std::string start;
    if (req.has_param("pageToken")) {
      std::optional<Bytes> decoded = Base64Decode(req.get_param_value("pageToken"));
      if (!decoded) {
        Error(res, 400, "Invalid page token.", "invalid");
        return;
      }
      start = ToString(*decoded);
    }
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json page = {{"kind", "storage#objects"}};
    for (auto it = objects_.lower_bound(std::max(start, prefix)); it != objects_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (items.size() == max) {
        page["nextPageToken"] = Base64Encode(AsBytes(it->first));
        break;
      }
      items.push_back(Resource(req.matches[1], it->first, it->second));
    }
    if (!items.empty()) page["items"] = items;
    res.set_content(page.dump(), "application/json");
  }

  static bool ParseMultipart(const httplib::Request& req, std::string& metadata,
                             std::string& data) {
    const std::string type = req.get_header_value("Content-Type");
    const std::string marker = "boundary=";
    size_t at = type.find(marker);
    if (type.rfind("multipart/related", 0) != 0 || at == std::string::npos) return false;
    const std::string delimiter = "--" + type.substr(at + marker.size());
    const std::string& body = req.body;
    auto part = [&](size_t from, std::string& out, size_t& next) {
      size_t start = body.find("\r\n\r\n", from);
      if (start == std::string::npos) return false;
      start += 4;
      size_t end = body.find("\r\n" + delimiter, start);
      if (end == std::string::npos) return false;
      out = body.substr(start, end - start);
      next = end + 2 + delimiter.size();
      return true;
    };
    if (body.rfind(delimiter + "\r\n", 0) != 0) return false;
    size_t next = 0;
    return part(delimiter.size(), metadata, next) && part(next, data, next) &&
           body.compare(next, 2, "--") == 0;
  }

  httplib::Server server_;
  std::mutex mu_;
  std::map<std::string, Object> objects_;
  std::map<std::string, Session> sessions_;
  std::vector<std::string> log_;
  std::vector<nlohmann::json> metadata_;
  std::vector<std::string> authorizations_;
  std::vector<std::string> content_ranges_;
  int64_t generation_ = 1000;
  int session_count_ = 0;
  int cancelled_ = 0;
  std::unique_ptr<RunningServer> running_;  // Last: stops the server before the state goes.
};

class FakeTokenEndpoint {
 public:
  enum class Mode { kGrant, kRefuse, kUnavailable, kNotJson, kNoToken };
  std::atomic<Mode> mode{Mode::kGrant};
  int expires_in = 3600;

  FakeTokenEndpoint() {
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      assertions_.push_back(req.get_param_value("assertion"));
      grant_types_.push_back(req.get_param_value("grant_type"));
      content_types_.push_back(req.get_header_value("Content-Type"));
      switch (mode.load()) {
        case Mode::kRefuse:
          res.status = 400;
          res.set_content(
              R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})",
              "application/json");
          return;
        case Mode::kUnavailable:
          res.status = 503;
          res.set_content("backend unavailable", "text/plain");
          return;
        case Mode::kNotJson:
          res.set_content("<html>captive portal</html>", "text/html");
          return;
        case Mode::kNoToken:
          res.set_content(R"({"token_type":"Bearer","expires_in":3600})", "application/json");
          return;
        case Mode::kGrant:
          break;
      }
      DecodedJwt jwt = DecodeJwt(req.get_param_value("assertion"));
      if (!VerifyRs256(jwt, public_key_.get()) || jwt.claims["aud"] != Url() ||
          jwt.claims["iss"] != kTestClientEmail) {
        res.status = 400;
        res.set_content(R"({"error":"invalid_grant","error_description":"Bad assertion."})",
                        "application/json");
        return;
      }
      claims_.push_back(jwt.claims);
      nlohmann::json reply = {{"access_token", "ya29.fake-token-" + std::to_string(++issued_)},
                              {"expires_in", expires_in},
                              {"token_type", "Bearer"}};
      res.set_content(reply.dump(), "application/json");
    });
    running_ = std::make_unique<RunningServer>(server_);
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(running_->port()) + "/token";
  }
  int Requests() {
    std::lock_guard lock(mu_);
    return static_cast<int>(assertions_.size());
  }
  std::vector<std::string> Assertions() {
    std::lock_guard lock(mu_);
    return assertions_;
  }
  std::vector<std::string> GrantTypes() {
    std::lock_guard lock(mu_);
    return grant_types_;
  }
  std::vector<std::string> ContentTypes() {
    std::lock_guard lock(mu_);
    return content_types_;
  }
  std::vector<nlohmann::json> Claims() {
    std::lock_guard lock(mu_);
    return claims_;
  }

 private:
  httplib::Server server_;
  std::shared_ptr<EVP_PKEY> public_key_ = PublicKeyOf(TestKey().key.get());
  std::mutex mu_;
  std::vector<std::string> assertions_;
  std::vector<std::string> grant_types_;
  std::vector<std::string> content_types_;
  std::vector<nlohmann::json> claims_;
  int issued_ = 0;
  std::unique_ptr<RunningServer> running_;
};

}  // namespace coffer::testing
