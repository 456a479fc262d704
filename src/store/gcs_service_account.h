// Google service-account keys (the JSON key files the Cloud console hands
// out) and the RS256-signed JWT that OAuth2's JWT-bearer grant (RFC 7523)
// exchanges for an access token.
//
// Key file fields read: "type" (must be "service_account"), "client_email",
// "private_key" (PEM, PKCS#8 or PKCS#1 RSA), and optionally "private_key_id"
// (the JWT's "kid") and "token_uri" (https://oauth2.googleapis.com/token
// when absent). Errors name the file and the field, never the key: the
// private key lives only in an OpenSSL EVP_PKEY once parsed, and the text
// copies read from the file are wiped.
//
// JWT (RFC 7519, JWS compact serialization per RFC 7515): header
// {"alg":"RS256","typ":"JWT","kid":...}, claims {iss, scope, aud, iat, exp},
// each part base64url without padding, signed with RSASSA-PKCS1-v1_5 SHA-256.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/bytes.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace coffer {

inline constexpr std::string_view kGoogleDefaultTokenUri = "https://oauth2.googleapis.com/token";
inline constexpr std::string_view kGcsReadWriteScope =
    "https://www.googleapis.com/auth/devstorage.read_write";

struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_id;  // May be empty.
  std::string token_uri;
  std::shared_ptr<EVP_PKEY> private_key;  // RSA; never printed.
  std::string origin;                     // Where it came from, for messages ("key file /x.json").
};

// Parses a key file's contents. `origin` names the source in messages.
// InvalidArgument naming `origin` and the field for malformed JSON (with the
// byte offset, never the text around it), a missing or non-string field, a
// type other than "service_account", or a private key OpenSSL cannot read as
// an RSA key.
absl::StatusOr<ServiceAccountKey> ParseServiceAccountKey(std::string_view json,
                                                         std::string_view origin);

// Reads and parses a key file: NotFound / PermissionDenied / InvalidArgument
// naming `path`.
absl::StatusOr<ServiceAccountKey> LoadServiceAccountKey(const std::string& path);

// Base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(ByteView data);

// The signed assertion for the token request: issued at `now`, expiring
// `lifetime` later (Google accepts at most one hour), audience token_uri.
absl::StatusOr<std::string> MakeServiceAccountJwt(const ServiceAccountKey& key,
                                                  std::string_view scope, absl::Time now,
                                                  absl::Duration lifetime = absl::Hours(1));

}  // namespace coffer
