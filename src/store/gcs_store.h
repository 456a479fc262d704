// The Google Cloud Storage store: objects in a bucket under an optional
// prefix ("gs://bucket/prefix"), over the GCS JSON API.
//
// Requests (paths under the endpoint; NAME is "<prefix>/<name>",
// percent-encoded as gcs_location.h describes):
//   Put           POST /upload/storage/v1/b/BUCKET/o?uploadType=multipart, or
//                 uploadType=resumable from `resumable_threshold_bytes` on
//                 (see gcs_upload.h); CRC32C and MD5 go with every upload,
//                 and the size and CRC32C of the resource GCS answers with are
//                 checked: a mismatch (the upload ended early, bytes changed
//                 on the way) is DataLoss, and that generation is deleted again.
//   PutIfAbsent   the same with ifGenerationMatch=0: GCS refuses with 412,
//                 atomically, when the name exists -> AlreadyExists.
//   Get/GetRange  GET /storage/v1/b/BUCKET/o/NAME?alt=media (with a Range
//                 header), streamed into the result; a whole Get is checked
//                 against the CRC32C in the X-Goog-Hash reply header (DataLoss
//                 on a mismatch). A range beyond the end is InvalidArgument
//                 naming the object's size.
//   Stat          GET /storage/v1/b/BUCKET/o/NAME (metadata; "size" is a string).
//   Delete        DELETE /storage/v1/b/BUCKET/o/NAME (404 -> NotFound).
//   List          GET /storage/v1/b/BUCKET/o?prefix=...&maxResults=...&pageToken=...,
//                 page after page. Names that are no valid Store name are skipped.
//   Prepare       lists one object to check that the bucket exists and is
//                 readable (buckets are not created: that needs a project).
// Error replies map as gcs_errors.h says; every message names the store
// (Describe(): "GCS store gs://bucket/prefix") and the object.
//
// GCS names are at most 1024 bytes of UTF-8 without CR or LF: longer or
// other names are InvalidArgument here.
//
// Credentials and endpoint, for OpenGcsLocation: with STORAGE_EMULATOR_HOST
// set, that emulator and no credentials; otherwise https://storage.googleapis.com
// with GOOGLE_OAUTH_ACCESS_TOKEN or GOOGLE_APPLICATION_CREDENTIALS
// (gcs_credentials.h). HTTP: COFFER_CACERT / COFFER_CAPATH (http_client.h).
//
// The firebase-tools storage emulator differs from GCS (tests/servers): it
// ignores ifGenerationMatch=0, so PutIfAbsent is not atomic there (it simply
// overwrites), and it finishes a resumable upload with its first chunk, so
// with STORAGE_EMULATOR_HOST a resumable upload goes in one request (which
// the emulator accepts up to 130 MiB).
//
// Thread-safety: every method may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/gcs_credentials.h"
#include "store/gcs_location.h"
#include "store/http_client.h"
#include "store/store.h"

namespace coffer {

struct GcsStoreOptions {
  // JSON API endpoint, "http(s)://host[:port]".
  std::string endpoint = std::string(kGcsDefaultEndpoint);
  // Null: requests carry no Authorization header (an emulator).
  std::shared_ptr<GcsTokenSource> token_source;
  // Objects of at least this many bytes (and more than 0) use a resumable
  // upload; smaller ones a single multipart request.
  uint64_t resumable_threshold_bytes = 32u << 20;
  // Bytes per resumable request: a multiple of 256 KiB, or 0 for one request.
  uint64_t resumable_chunk_bytes = 16u << 20;
  // Failed resumable requests in a row that are retried after a status
  // query, and the wait before the first retry (doubling after).
  int resumable_retries = 3;
  absl::Duration resumable_retry_delay = absl::Seconds(1);
  // Objects per List page (maxResults), 1..1000.
  int list_page_size = 1000;
  HttpClientOptions http = HttpClientOptionsFromEnvironment();
};

// InvalidArgument for options that cannot work (endpoint, chunk size, page size).
absl::StatusOr<std::unique_ptr<Store>> NewGcsStore(GcsLocation location, GcsStoreOptions options);

// `rest` is the location after "gs://", e.g. "bucket/some/prefix"; endpoint
// and credentials come from the environment (see above).
absl::StatusOr<std::unique_ptr<Store>> OpenGcsLocation(std::string_view rest);

}  // namespace coffer
