#include "s3_test_server.h"

#include <chrono>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace coffer::testing {
namespace {

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    out[PercentDecode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

// The value of "Name=value" in an Authorization header's comma-separated list.
std::string AuthorizationPart(const std::string& authorization, const std::string& name) {
  size_t at = authorization.find(name + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 1;
  size_t end = authorization.find(',', at);
  return authorization.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// Recomputes the request's signature from what arrived, as S3 does.
std::string CheckSignature(const RecordedRequest& r, const SigV4Credentials& credentials,
                           const std::string& region) {
  const std::string authorization = r.Header("authorization");
  if (!authorization.starts_with("AWS4-HMAC-SHA256 ")) return "no SigV4 Authorization header";
  const std::string payload_hash = r.Header("x-amz-content-sha256");
  if (payload_hash != SigV4PayloadHash(AsBytes(r.body)))
    return "x-amz-content-sha256 is not the SHA-256 of the body";
  // "YYYYMMDDTHHMMSSZ" (absl's %Y would swallow all eight digits).
  const std::string date = r.Header("x-amz-date");
  if (date.size() != 16 || date[8] != 'T' || date[15] != 'Z') return "bad x-amz-date";
  auto field = [&](size_t at, size_t n) { return std::stoi(date.substr(at, n)); };
  absl::Time time = absl::FromCivil(absl::CivilSecond(field(0, 4), field(4, 2), field(6, 2),
                                                      field(9, 2), field(11, 2), field(13, 2)),
                                    absl::UTCTimeZone());
  SigV4Request request;
  request.method = r.method;
  request.canonical_uri = r.path;
  for (const auto& [name, value] : r.query) request.query.emplace_back(name, value);
  std::stringstream signed_names(AuthorizationPart(authorization, "SignedHeaders"));
  std::string name;
  while (std::getline(signed_names, name, ';')) {
    // The signer adds these itself.
    if (name == "x-amz-date" || name == "x-amz-content-sha256" || name == "x-amz-security-token")
      continue;
    if (!r.headers.count(name)) return "signed header " + name + " was not sent";
    request.headers.emplace_back(name, r.Header(name));
  }
  request.payload_hash = payload_hash;
  request.add_content_sha256_header = true;
  if (r.Header("x-amz-security-token") != credentials.session_token)
    return "x-amz-security-token differs from the session token";
  absl::StatusOr<SigV4Signature> expected =
      SignSigV4(request, credentials, SigV4Scope{region, "s3", time});
  if (!expected.ok()) return "cannot recompute: " + expected.status().ToString();
  if (AuthorizationPart(authorization, "SignedHeaders") != expected->signed_headers)
    return "signed headers differ: " + expected->signed_headers;
  if (AuthorizationPart(authorization, "Signature") != expected->signature)
    return "signature differs; expected canonical request:\n" + expected->canonical_request;
  return "";
}

}  // namespace

S3TestServer::S3TestServer(SigV4Credentials credentials, std::string region)
    : credentials_(std::move(credentials)), region_(std::move(region)) {
  auto serve = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
  // cpp-httplib answers Range requests itself by slicing whatever the handler
  // returns; S3's range semantics are the handlers' business here, so the
  // parsed ranges are dropped (the Range header stays visible to handlers).
  // The Request object is not const where it lives, so this is well defined.
  server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    const_cast<httplib::Request&>(req).ranges.clear();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server_.Get(".*", serve);
  server_.Put(".*", serve);
  server_.Post(".*", serve);
  server_.Delete(".*", serve);
}

S3TestServer::~S3TestServer() {
  if (thread_.joinable()) {
    server_.stop();
    thread_.join();
  }
}

void S3TestServer::SetHandler(Handler handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

void S3TestServer::Start() {
  port_ = server_.bind_to_any_port("127.0.0.1");
  REQUIRE(port_ > 0);
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  for (int i = 0; i < 500 && !server_.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(server_.is_running());
}

std::string S3TestServer::Endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void S3TestServer::Serve(const httplib::Request& req, httplib::Response& res) {
  RecordedRequest r;
  r.method = req.method;
  r.target = req.target;
  size_t question = r.target.find('?');
  r.path = r.target.substr(0, question);
  if (question != std::string::npos)
    r.query = ParseQuery(std::string_view(r.target).substr(question + 1));
  for (const auto& [name, value] : req.headers) r.headers[absl::AsciiStrToLower(name)] = value;
  r.body = req.body;
  r.signature_problem = CheckSignature(r, credentials_, region_);
  Handler handler;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(r);
    handler = handler_;
  }
  if (!r.signature_problem.empty()) {
    res.status = 403;
    res.set_content(S3ErrorXml("SignatureDoesNotMatch", r.signature_problem), "application/xml");
    return;
  }
  if (handler) handler(r, res);
}

std::vector<RecordedRequest> S3TestServer::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t S3TestServer::Count(const std::string& method) const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const RecordedRequest& r : requests_) n += r.method == method;
  return n;
}

std::string S3ErrorXml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>TEST</RequestId></Error>";
}

}  // namespace coffer::testing
