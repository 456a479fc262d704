// AWS Signature Version 4 (header-based), as a pure function: a request's
// method, path, query, headers and payload hash in; the canonical request,
// string to sign, signature and Authorization header out. No I/O, no clock:
// the caller passes the time, so the published test vectors reproduce exactly.
//
// Spec: "Signature Version 4 signing process" (AWS General Reference) and, for
// S3's rules, "Authenticating Requests: Using the Authorization Header"
// (Amazon S3 API Reference). What S3 needs and this file does:
//  - the canonical URI is the path URI-encoded once (S3 does not double-encode;
//    other services would pass a twice-encoded path), '/' kept;
//  - query names and values are URI-encoded ('/' too) and sorted by name, then
//    value; a name without a value is "name=";
//  - header names are lower-cased and sorted, values trimmed with inner runs of
//    spaces collapsed, repeated names joined with ',' in the order given;
//  - x-amz-date (and x-amz-security-token with a session token, and
//    x-amz-content-sha256 when asked for) are added and signed.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/bytes.h"

namespace coffer {

// "UNSIGNED-PAYLOAD": S3 accepts it in place of the body's SHA-256 (over TLS
// the transport protects the body; integrity checks are a separate header).
inline constexpr std::string_view kSigV4UnsignedPayload = "UNSIGNED-PAYLOAD";

// Lower-case hex SHA-256 of `data` (the payload hash of a signed body).
std::string SigV4PayloadHash(ByteView data);

// RFC 3986 percent-encoding as SigV4 defines it: every byte except the
// unreserved A-Z a-z 0-9 '-' '_' '.' '~' becomes %XX (upper-case hex); UTF-8
// multi-byte characters are encoded byte by byte. UriEncodePath keeps '/'.
std::string SigV4UriEncode(std::string_view s);
std::string SigV4UriEncodePath(std::string_view path);

// "YYYYMMDDTHHMMSSZ" in UTC, the x-amz-date format.
std::string SigV4AmzDate(absl::Time time);

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // Empty without temporary (STS) credentials.
};

using SigV4Pairs = std::vector<std::pair<std::string, std::string>>;

struct SigV4Request {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // Already URI-encoded path ("/bucket/a%20b"); empty means "/".
  SigV4Pairs query;           // Raw (not yet encoded) names and values, any order.
  SigV4Pairs headers;         // Headers to sign, as sent; must include Host.
  std::string payload_hash;   // SigV4PayloadHash(body) or kSigV4UnsignedPayload.
  // Adds and signs "x-amz-content-sha256: <payload_hash>" (S3 requires it).
  bool add_content_sha256_header = false;
};

struct SigV4Scope {
  std::string region;   // "us-east-1"
  std::string service;  // "s3"
  absl::Time time;      // The request time; x-amz-date is derived from it.
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string credential_scope;  // "20150830/us-east-1/service/aws4_request"
  std::string signed_headers;    // "host;x-amz-date"
  std::string signature;         // Lower-case hex.
  std::string authorization;     // The Authorization header's value.
  // Headers the caller must send besides its own and Authorization:
  // x-amz-date, and x-amz-security-token / x-amz-content-sha256 when used.
  SigV4Pairs added_headers;
};

// Signs `request`. InvalidArgument (naming the field, never a secret) when a
// required field is empty, Host is missing, or a header carries a line break
// or duplicates one the signer adds.
absl::StatusOr<SigV4Signature> SignSigV4(const SigV4Request& request,
                                         const SigV4Credentials& credentials,
                                         const SigV4Scope& scope);

}  // namespace coffer
