// S3Client: one signed S3 REST request at a time, for the S3 store. It knows
// where the bucket lives (endpoint, region, path or virtual-hosted
// addressing), builds each request's URL with the key URI-encoded once per
// path segment (the same string is the SigV4 canonical URI, as S3 requires),
// signs it with SigV4 over the body's SHA-256, sends it through HttpClient,
// and turns any answer the caller did not ask to see into an absl::Status
// (s3_errors.h) that names the store and the object and never a secret.
// A HEAD refused with a bare 403 is followed by a one-byte GET of the same
// key, whose error document tells rejected credentials from denied access.
//
// Thread-safety: const methods may be called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/aws_sigv4.h"
#include "store/http_client.h"
#include "store/s3_errors.h"
#include "store/s3_store.h"

namespace coffer {

struct S3Call {
  std::string method = "GET";
  std::string key;      // The full S3 key (store prefix included); "" for the bucket itself.
  SigV4Pairs query;     // Raw names and values, encoded when sent.
  HttpHeaders headers;  // Besides Host and the x-amz-* the signer adds; all are signed.
  ByteView body;        // Must outlive Send.
  std::function<absl::Status(ByteView)> body_sink;  // See HttpRequest::body_sink.
  // Non-2xx statuses handed back as responses for the caller to interpret;
  // every other one becomes an error.
  std::vector<int> pass_statuses;
  // For messages: the object name, or else what is being done ("listing x/").
  std::string_view object;
  std::string_view operation;
};

class S3Client {
 public:
  // Resolves the endpoint and addressing and creates the HTTP client.
  // InvalidArgument for options that cannot work (see NewS3Store).
  static absl::StatusOr<std::unique_ptr<S3Client>> Create(const S3StoreOptions& options);

  // Signs `call` with the current time and sends it. Returns the response
  // for 2xx and `pass_statuses`; an error otherwise (transport failures
  // included, annotated with the store and object).
  absl::StatusOr<HttpResponse> Send(const S3Call& call) const;

  // The signed request for `call` at `now` (Send without sending; for tests).
  absl::StatusOr<HttpRequest> Sign(const S3Call& call, absl::Time now) const;

  // The error for a response Send handed back (a passed status, or a 200
  // that carries an <Error> document).
  absl::Status ResponseError(const HttpResponse& response, std::string_view object,
                             std::string_view operation) const;

  // "S3 store s3://bucket/prefix at https://s3.us-east-1.amazonaws.com".
  const std::string& Describe() const { return description_; }
  const std::string& bucket() const { return options_.bucket; }
  const S3StoreOptions& options() const { return options_; }
  // The URL of `key` without a query (for tests and diagnostics).
  std::string UrlOf(std::string_view key) const;

 private:
  S3Client(S3StoreOptions options, std::string scheme, std::string host, std::string base_path,
           std::string description, std::unique_ptr<HttpClient> http);
  std::optional<absl::Status> WhyForbidden(const S3Call& head) const;
  S3ErrorContext Context(std::string_view object, std::string_view operation,
                         std::string_view signature) const;

  const S3StoreOptions options_;
  const std::string scheme_;
  const std::string host_;  // Host header: "bucket.s3.us-east-1.amazonaws.com", "127.0.0.1:9000".
  const std::string base_path_;  // "/bucket" (path style) or "" (virtual-hosted).
  const std::string description_;
  const std::unique_ptr<HttpClient> http_;
};

}  // namespace coffer
