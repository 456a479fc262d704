// OAuth2 access tokens for the GCS store.
//
// Where they come from (GcsTokenSourceFromEnvironment), first match wins:
//  1. GOOGLE_OAUTH_ACCESS_TOKEN: an access token used as given (as gcloud
//     and terraform accept it); it is never refreshed, so it works until it
//     expires (typically an hour).
//  2. GOOGLE_APPLICATION_CREDENTIALS: the path of a service-account JSON key
//     file. A JWT signed with its key (gcs_service_account.h) is exchanged at
//     the key's token_uri for an access token (grant type
//     urn:ietf:params:oauth:grant-type:jwt-bearer, scope devstorage.read_write);
//     the token is cached and fetched again once less than `refresh_margin`
//     (5 minutes; half the lifetime for tokens living under 10 minutes) of its
//     lifetime remains, or after the server refused it. Should that early
//     refresh fail, the old token is used until it expires.
// Without either, Unauthenticated naming both variables. (With
// STORAGE_EMULATOR_HOST the GCS store asks for no credentials at all.)
//
// Secrets — the private key, the JWT, access tokens — never appear in a
// message: errors name the key file, the service account's e-mail and the
// token endpoint, plus the OAuth error code and description the endpoint sent.
//
// Thread-safety: Token() and Invalidate() may be called from many threads; a
// refresh is done by one caller while the others wait for its result.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/gcs_service_account.h"
#include "store/http_client.h"

namespace coffer {

class GcsTokenSource {
 public:
  virtual ~GcsTokenSource() = default;
  // A current access token (the part after "Bearer "). Unauthenticated when
  // the token endpoint refuses the credentials, Unavailable when it cannot
  // be reached or answers 5xx.
  virtual absl::StatusOr<std::string> Token() = 0;
  // Forgets `refused`, a token from Token() the server answered 401 to,
  // unless a newer one has replaced it already. Returns true when the next
  // Token() may return a different token (so retrying the request makes sense).
  virtual bool Invalidate(std::string_view refused) {
    (void)refused;
    return false;
  }
  // For messages, e.g. "service-account key file /k.json (sa@p.iam.gserviceaccount.com)".
  virtual std::string Describe() const = 0;
};

// A fixed token; `description` says where it came from.
std::shared_ptr<GcsTokenSource> NewStaticGcsTokenSource(std::string token, std::string description);

struct ServiceAccountTokenOptions {
  std::string scope = std::string(kGcsReadWriteScope);
  // Fetch a new token when less than this (at most half the token's
  // lifetime) remains of the current one's life.
  absl::Duration refresh_margin = absl::Minutes(5);
  // The JWT's lifetime (exp - iat); Google accepts at most an hour.
  absl::Duration jwt_lifetime = absl::Hours(1);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  HttpClientOptions http = HttpClientOptionsFromEnvironment();
};

// A token source exchanging `key`'s JWT at key.token_uri. Nothing is fetched
// until the first Token().
absl::StatusOr<std::shared_ptr<GcsTokenSource>> NewServiceAccountTokenSource(
    ServiceAccountKey key, ServiceAccountTokenOptions options = {});

// The token source the environment names (see above).
absl::StatusOr<std::shared_ptr<GcsTokenSource>> GcsTokenSourceFromEnvironment(
    ServiceAccountTokenOptions options = {});

}  // namespace coffer
