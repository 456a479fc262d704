// The S3 store: objects in an Amazon S3 bucket (or an S3-compatible service:
// Ceph RGW, MinIO, Cloudflare R2, Wasabi, ...) under a key prefix, for
// repository locations "s3://BUCKET[/PREFIX]". Object NAME is the key
// "PREFIX/NAME" (or "NAME" without a prefix).
//
// Configuration, as the AWS CLI reads it (environment first, then the files):
//  - Credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN
//    for temporary credentials); otherwise the profile AWS_PROFILE (or
//    AWS_DEFAULT_PROFILE, else "default") from the credentials file
//    AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials), then from the
//    config file AWS_CONFIG_FILE (default ~/.aws/config): aws_access_key_id,
//    aws_secret_access_key, aws_session_token. Missing credentials are
//    Unauthenticated, naming the variables and files that were looked at.
//    Profiles that need role assumption, SSO or a credential_process are not
//    supported (the message says so).
//  - Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's "region" in the
//    config file ("[profile NAME]", or "[default]"), else us-east-1. The
//    region is never asked of the bucket.
//  - Endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
//    "s3 = / endpoint_url" or "endpoint_url"; else AWS (https://s3.REGION.amazonaws.com).
//    Only "http(s)://host[:port]" is accepted.
//  - Addressing: COFFER_S3_ADDRESSING=path|virtual|auto, else the profile's
//    "s3 = / addressing_style", else auto: virtual-hosted
//    (https://BUCKET.s3.REGION.amazonaws.com/KEY) for AWS, path style
//    (ENDPOINT/BUCKET/KEY) for a custom endpoint and for AWS bucket names with
//    dots (their virtual host would not match the TLS certificate).
//  - TLS: HttpClientOptionsFromEnvironment (COFFER_CACERT, COFFER_CAPATH).
//
// Protocol: every request is signed with SigV4 over the SHA-256 of its body
// (x-amz-content-sha256 is the real hash, never UNSIGNED-PAYLOAD: the
// endpoints people point us at are often plain http, and a signed payload is
// checked by the server end to end), and every PUT and UploadPart carries
// Content-MD5, so a body damaged on the way is rejected instead of stored.
// Objects larger than `multipart_threshold` go up as multipart uploads (parts
// in parallel, at most `max_parallel_parts` at a time per Put; the upload is
// aborted on any failure). Nothing is retried here: transient failures
// (network, 500, 503 SlowDown) are Unavailable for a retry decorator to handle.
//
// PutIfAbsent asks S3 first (HEAD) and then writes with "If-None-Match: *",
// which S3 has honoured since 2024 (412 becomes AlreadyExists). Calls for the
// same name are also serialized within one store, so concurrent writers in one
// process are exact even on servers that ignore the header. Across processes,
// on servers that ignore If-None-Match (s3rver, older Ceph/MinIO), the check
// is NOT atomic: two writers can both succeed and the last one wins.
//
// Delete of a missing object is NotFound: S3's DELETE answers 204 either way,
// so the store asks with HEAD first (a race with another deleter may still
// report success for an object someone else removed).
//
// Reads: GetRange streams the body straight into a buffer of the range's size
// (HttpClient's body_sink), and refuses a server that sends more; a range over
// 64 MiB is checked against the object's size (HEAD) before its buffer is
// allocated. Get moves HttpClient's buffer out (pre-sized from Content-Length).
//
// Servers that deviate, handled without knowing which server it is: keys in
// listings that a server escaped twice (s3rver ignores encoding-type=url and
// double-escapes & < > ') are resolved by asking HEAD which spelling exists;
// a range read that fails in transfer asks for the object's size, so a range
// beyond the end is still InvalidArgument (s3rver promises one byte of an
// empty object and never sends it).
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/aws_sigv4.h"
#include "store/http_client.h"
#include "store/store.h"

namespace coffer {

enum class S3AddressingStyle {
  kAuto,           // Virtual-hosted for AWS (path style for dotted buckets), path for others.
  kPath,           // ENDPOINT/BUCKET/KEY
  kVirtualHosted,  // BUCKET.ENDPOINT-HOST/KEY
};

struct S3StoreOptions {
  std::string bucket;
  // Key prefix without leading or trailing '/': "" or "backups/host1".
  std::string prefix;
  // "http(s)://host[:port]"; empty means AWS: https://s3.REGION.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  SigV4Credentials credentials;
  // Where the credentials came from, for error messages (never the values),
  // e.g. "AWS_ACCESS_KEY_ID" or "profile default in /home/u/.aws/credentials".
  std::string credential_source;
  S3AddressingStyle addressing = S3AddressingStyle::kAuto;
  // Objects of more bytes than this are uploaded in parts.
  uint64_t multipart_threshold = uint64_t{64} << 20;
  // Size of every part but the last. Raised when an object would need more
  // than S3's 10,000 parts. S3 requires at least 5 MiB.
  uint64_t part_size = uint64_t{16} << 20;
  // Parts of one upload in flight at once.
  int max_parallel_parts = 4;
  HttpClientOptions http;
};

// The store for explicit options. InvalidArgument for an invalid bucket name,
// prefix, endpoint or size; Unauthenticated without credentials.
absl::StatusOr<std::unique_ptr<Store>> NewS3Store(S3StoreOptions options);

// `rest` is the location after "s3://", e.g. "bucket/some/prefix"; everything
// else comes from the environment and the AWS files (see above).
absl::StatusOr<std::unique_ptr<Store>> OpenS3Location(std::string_view rest);

}  // namespace coffer
