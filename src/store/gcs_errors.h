// Turns a GCS JSON API error reply into a Status whose message names the
// store and the object, and whose code follows the Store contract.
//
// GCS answers errors as {"error": {"code": 404, "message": "...",
// "errors": [{"reason": "notFound", ...}]}}; the emulator sometimes answers
// plain text or an empty body. Codes:
//   404 NotFound (a missing bucket is told apart from a missing object by the
//       server's message, "The specified bucket does not exist.", or because
//       the request was about the bucket itself, as a listing is),
//   401 Unauthenticated, 403 PermissionDenied,
//   412 AlreadyExists for a create-if-absent upload, FailedPrecondition otherwise,
//   416 and other 4xx InvalidArgument, but a 400 that rejects an upload's
//       CRC32C/MD5 (damaged on the way) Unavailable, so it is retried,
//   408/429/5xx Unavailable.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "store/http_client.h"

namespace coffer {

struct GcsErrorContext {
  std::string_view store;  // The store's Describe().
  std::string subject;     // "object data/ab" or "listing prefix \"data/\"".
  std::string_view bucket;
  bool about_bucket = false;      // The request addressed the bucket (a listing).
  bool create_if_absent = false;  // ifGenerationMatch=0 was sent: 412 means it exists.
};

// The Status for a non-2xx reply.
absl::Status GcsErrorFromResponse(const HttpResponse& response, const GcsErrorContext& context);

// Unavailable "<store>: <subject>: unexpected reply from the server: <what>",
// for a 2xx reply that is not what the API promises (malformed JSON, missing
// fields): worth another attempt, and nothing is known to be wrong with the object.
absl::Status GcsBadReply(const GcsErrorContext& context, std::string_view what);

}  // namespace coffer
