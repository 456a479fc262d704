#include "store/gcs_credentials.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "store/gcs_location.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

using nlohmann::json;

constexpr std::string_view kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
// Longest server-provided text quoted in a message.
constexpr size_t kMaxQuoted = 300;

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// A token goes into an Authorization header: visible ASCII only.
bool IsWellFormedToken(std::string_view token) {
  if (token.empty()) return false;
  for (char c : token)
    if (c <= ' ' || c > '~') return false;
  return true;
}

// Server-provided text for a message: printable, bounded, and dropped
// altogether should it quote the assertion we sent.
std::string Quote(std::string_view text, std::string_view jwt) {
  for (size_t start = 0; start < jwt.size();) {
    size_t dot = jwt.find('.', start);
    if (dot == std::string_view::npos) dot = jwt.size();
    std::string_view part = jwt.substr(start, dot - start);
    if (part.size() >= 16 && text.find(part) != std::string_view::npos) return "(text withheld)";
    start = dot + 1;
  }
  std::string out;
  for (char c : text.substr(0, kMaxQuoted)) out += (c >= ' ' && c <= '~') ? c : '?';
  if (text.size() > kMaxQuoted) out += "...";
  return out;
}

class StaticTokenSource final : public GcsTokenSource {
 public:
  StaticTokenSource(std::string token, std::string description)
      : token_(std::move(token)), description_(std::move(description)) {}
  ~StaticTokenSource() override { Wipe(token_); }
  absl::StatusOr<std::string> Token() override { return token_; }
  std::string Describe() const override { return description_; }

 private:
  std::string token_;
  const std::string description_;
};

class ServiceAccountTokenSource final : public GcsTokenSource {
 public:
  ServiceAccountTokenSource(ServiceAccountKey key, ServiceAccountTokenOptions options,
                            std::unique_ptr<HttpClient> http)
      : key_(std::move(key)),
        options_(std::move(options)),
        http_(std::move(http)),
        description_(StoreCat(key_.origin, " (", key_.client_email, ")")) {}
  ~ServiceAccountTokenSource() override { Wipe(token_); }

  absl::StatusOr<std::string> Token() override {
    absl::MutexLock lock(&mu_);
    const absl::Time now = options_.clock();
    // Short-lived tokens are refreshed halfway, not on every call.
    const absl::Duration margin = std::min(options_.refresh_margin, lifetime_ / 2);
    if (!token_.empty() && expiry_ - now > margin) return token_;
    absl::StatusOr<Fetched> fetched = Fetch(now);
    if (!fetched.ok()) {
      // An early refresh that failed leaves a token that still works.
      if (!token_.empty() && expiry_ > now) return token_;
      return fetched.status();
    }
    Wipe(token_);
    token_ = std::move(fetched->token);
    lifetime_ = fetched->lifetime;
    expiry_ = now + lifetime_;
    return token_;
  }

  bool Invalidate(std::string_view refused) override {
    absl::MutexLock lock(&mu_);
    if (token_ == refused) Wipe(token_);
    return true;
  }

  std::string Describe() const override { return description_; }

 private:
  struct Fetched {
    std::string token;
    absl::Duration lifetime;
  };

  std::string Where() const {
    return StoreCat("token endpoint ", RedactUrl(key_.token_uri), " for ", description_);
  }

  absl::StatusOr<Fetched> Fetch(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::StatusOr<std::string> jwt =
        MakeServiceAccountJwt(key_, options_.scope, now, options_.jwt_lifetime);
    if (!jwt.ok()) return jwt.status();
    std::string body = StoreCat("grant_type=", GcsPercentEncode(kJwtBearerGrant),
                                "&assertion=", GcsPercentEncode(*jwt));
    HttpRequest request{
        "POST",
        key_.token_uri,
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
        AsBytes(body)};
    absl::StatusOr<HttpResponse> response = http_->Send(request);
    Wipe(body);
    absl::StatusOr<Fetched> result =
        response.ok()
            ? ReadTokenResponse(*response, *jwt)
            : absl::Status(response.status().code(),
                           StoreCat(Where(), ": ", std::string(response.status().message())));
    Wipe(*jwt);
    // The reply carries the token in plain text.
    if (response.ok() && !response->body.empty())
      OPENSSL_cleanse(response->body.data(), response->body.size());
    return result;
  }

  absl::StatusOr<Fetched> ReadTokenResponse(HttpResponse& response, std::string_view jwt) const {
    json doc = json::parse(AsChars(response.body), nullptr, /*allow_exceptions=*/false);
    if (response.status != 200) {
      // OAuth2 errors (RFC 6749 §5.2): {"error": code, "error_description": text}.
      std::string detail;
      if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) {
        detail = Quote(doc["error"].get<std::string>(), jwt);
        if (doc.contains("error_description") && doc["error_description"].is_string())
          detail += ": " + Quote(doc["error_description"].get<std::string>(), jwt);
      }
      absl::StatusCode code = HttpStatusToCode(response.status);
      // Any other refusal of the assertion means the credentials are not accepted.
      if (code != absl::StatusCode::kUnavailable) code = absl::StatusCode::kUnauthenticated;
      return absl::Status(code, StoreCat(Where(), ": refused the service-account JWT (HTTP ",
                                         response.status, detail.empty() ? "" : " ", detail, ")"));
    }
    if (!doc.is_object())
      return absl::UnavailableError(StoreCat(Where(), ": the reply is not a JSON object"));
    auto token = doc.find("access_token");
    if (token == doc.end() || !token->is_string() ||
        !IsWellFormedToken(token->get_ref<const std::string&>()))
      return absl::UnavailableError(
          StoreCat(Where(), ": the reply has no well-formed \"access_token\""));
    if (auto type = doc.find("token_type");
        type != doc.end() &&
        (!type->is_string() || !absl::EqualsIgnoreCase(type->get<std::string>(), "Bearer")))
      return absl::UnavailableError(StoreCat(Where(), ": the reply's token_type is not Bearer"));
    // expires_in is seconds; absent means the default hour.
    int64_t seconds = 3600;
    if (auto expires = doc.find("expires_in"); expires != doc.end()) {
      if (expires->is_number_integer()) {
        seconds = expires->get<int64_t>();
      } else if (expires->is_string()) {
        seconds = std::strtoll(expires->get_ref<const std::string&>().c_str(), nullptr, 10);
      } else {
        seconds = 0;
      }
      if (seconds <= 0)
        return absl::UnavailableError(StoreCat(Where(), ": the reply's expires_in is not valid"));
    }
    Fetched fetched{std::move(token->get_ref<std::string&>()), absl::Seconds(seconds)};
    return fetched;
  }

  const ServiceAccountKey key_;
  const ServiceAccountTokenOptions options_;
  const std::unique_ptr<HttpClient> http_;
  const std::string description_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time expiry_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration lifetime_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::shared_ptr<GcsTokenSource> NewStaticGcsTokenSource(std::string token,
                                                        std::string description) {
  return std::make_shared<StaticTokenSource>(std::move(token), std::move(description));
}

absl::StatusOr<std::shared_ptr<GcsTokenSource>> NewServiceAccountTokenSource(
    ServiceAccountKey key, ServiceAccountTokenOptions options) {
  if (key.private_key == nullptr)
    return absl::InvalidArgumentError(StoreCat(key.origin, ": no private key loaded"));
  absl::StatusOr<std::unique_ptr<HttpClient>> http = HttpClient::Create(options.http);
  if (!http.ok()) return http.status();
  return std::shared_ptr<GcsTokenSource>(std::make_shared<ServiceAccountTokenSource>(
      std::move(key), std::move(options), *std::move(http)));
}

absl::StatusOr<std::shared_ptr<GcsTokenSource>> GcsTokenSourceFromEnvironment(
    ServiceAccountTokenOptions options) {
  if (const char* token = std::getenv("GOOGLE_OAUTH_ACCESS_TOKEN"); token && *token) {
    std::string trimmed(absl::StripAsciiWhitespace(token));
    if (!IsWellFormedToken(trimmed))
      return absl::InvalidArgumentError(
          "GOOGLE_OAUTH_ACCESS_TOKEN contains spaces or control characters");
    return NewStaticGcsTokenSource(std::move(trimmed),
                                   "access token from GOOGLE_OAUTH_ACCESS_TOKEN");
  }
  if (const char* path = std::getenv("GOOGLE_APPLICATION_CREDENTIALS"); path && *path) {
    absl::StatusOr<ServiceAccountKey> key = LoadServiceAccountKey(path);
    if (!key.ok())
      return absl::Status(key.status().code(), StoreCat("GOOGLE_APPLICATION_CREDENTIALS: ",
                                                        std::string(key.status().message())));
    return NewServiceAccountTokenSource(*std::move(key), std::move(options));
  }
  return absl::UnauthenticatedError(
      "no Google Cloud credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account JSON "
      "key file, or GOOGLE_OAUTH_ACCESS_TOKEN to an access token (or STORAGE_EMULATOR_HOST for "
      "an emulator)");
}

}  // namespace coffer
