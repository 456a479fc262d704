// S3's error answers as absl::Status, worded the same way for every request:
// the store (its Describe()), the object or operation, S3's error code and
// message, and what to do about it. Used by the S3 store for every non-2xx
// answer it does not handle itself.
//
// Codes: NoSuchKey → NotFound; NoSuchBucket → NotFound naming the bucket;
// InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken, InvalidToken,
// RequestTimeTooSkewed → Unauthenticated ("S3 rejected the credentials for
// …", with where they came from); AccessDenied → PermissionDenied; SlowDown,
// InternalError, ServiceUnavailable, RequestTimeout, BadDigest (a body damaged
// on the way) → Unavailable; a wrong region (301/307 redirects,
// AuthorizationHeaderMalformed) → FailedPrecondition naming the right region
// when S3 says it; NotImplemented → Unimplemented; InvalidRange and other
// client errors → InvalidArgument.
// Without a code (HEAD answers have no body) the HTTP status decides, as
// HttpStatusToCode says.
//
// Server text is shortened, stripped of control characters, and scrubbed of
// `secrets` (the secret key, session token and request signature), so an
// error message never carries one even if a server echoes it.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "store/http_client.h"

namespace coffer {

struct S3ErrorContext {
  std::string_view store;  // Describe() of the store.
  std::string_view bucket;
  std::string_view region;             // The configured region.
  std::string_view credential_source;  // Where the credentials came from.
  std::string_view object;             // The object name, or "" ...
  std::string_view operation;          // ... and then what was being done ("listing x/").
  std::vector<std::string_view> secrets;
};

absl::Status S3ResponseError(const HttpResponse& response, const S3ErrorContext& context);

// `text` shortened to `limit` bytes, control characters replaced by spaces,
// and every occurrence of a non-empty secret replaced by "[redacted]".
std::string S3SanitizeServerText(std::string_view text,
                                 const std::vector<std::string_view>& secrets, size_t limit = 400);

}  // namespace coffer
