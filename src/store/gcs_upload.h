// The two GCS JSON API upload protocols the GCS store uses, as functions of
// a request sender (which adds credentials), so they are tested without a
// store around them.
//
// Integrity: both send the object's CRC32C and MD5 (base64) in the object
// metadata ("crc32c", "md5Hash"), which GCS checks against what it received
// before creating the object (400 otherwise); the resumable upload repeats
// them in an X-Goog-Hash header on its final request. The caller also checks
// the size and CRC32C of the object resource GCS answers with.
//
// Multipart (uploadType=multipart): one POST, multipart/related, the JSON
// metadata then the bytes, with a random boundary that does not occur in
// the data.
//
// Resumable (uploadType=resumable), per Google's "Perform resumable uploads":
//  - POST the metadata with X-Upload-Content-Length; the session URI comes
//    back in Location.
//  - PUT chunks of `chunk_bytes` (a multiple of 256 KiB; 0 sends everything
//    in one request) with "Content-Range: bytes FIRST-LAST/TOTAL".
//  - 308 Resume Incomplete: "Range: bytes=0-N" says what the server has
//    persisted (no Range: nothing); the next chunk starts at N+1, even when
//    that is less than was sent.
//  - 200/201: done; the body is the object resource.
//  - A network error, 408, 429 or 5xx: wait, ask the server how far it got
//    (PUT "Content-Range: bytes */TOTAL") and carry on from there; after
//    `max_retries` such failures without progress, give up.
//  - Giving up, or any other answer: the session is cancelled with DELETE
//    (best effort) and the answer or error returned.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/bytes.h"
#include "store/http_client.h"

namespace coffer {

// Sends one request (adding credentials where they belong). Any HTTP status
// is a response; errors are transport failures.
using GcsSender = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

struct GcsUpload {
  std::string upload_url;  // GcsUploadUrl(endpoint, bucket), no query.
  std::string full_name;   // The object's name in the bucket; valid UTF-8.
  ByteView data;
  std::string crc32c;      // Crc32cBase64(data)
  std::string md5;         // Md5Base64(data)
  bool if_absent = false;  // Adds ifGenerationMatch=0: create only, 412 if it exists.
  std::string retention;   // Object lock: the "retention" member's JSON, or empty.
};

// The resource's metadata JSON (name, contentType, crc32c, md5Hash, and
// retention when set) for
// `upload`; InvalidArgument when the name is not valid UTF-8.
absl::StatusOr<std::string> GcsUploadMetadata(const GcsUpload& upload);

// The final reply (2xx with the object resource, or the error answer) or a
// transport error.
absl::StatusOr<HttpResponse> GcsMultipartUpload(const GcsSender& send, const GcsUpload& upload);

struct GcsResumableOptions {
  uint64_t chunk_bytes = 16u << 20;  // Multiple of 256 KiB, or 0 for one request.
  int max_retries = 3;               // Failures in a row, each followed by a status query.
  absl::Duration retry_delay = absl::Seconds(1);  // Doubles with each retry.
};

// The final reply (2xx with the object resource, or the error answer that
// ended the upload), or an error: a transport failure, or Unavailable for a
// session the server drove wrongly (no Location, a malformed or impossible
// Range). Messages never contain the session URI's query (its upload_id is
// as good as a credential).
absl::StatusOr<HttpResponse> GcsResumableUpload(const GcsSender& send, const GcsUpload& upload,
                                                const GcsResumableOptions& options);

}  // namespace coffer
