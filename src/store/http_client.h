// HttpClient: the one HTTP layer the cloud stores (S3, Azure Blob, GCS) share,
// over libcurl. It moves bytes and reports transport failures; what a status
// code means is the calling store's business (HttpStatusToCode helps).
//
// - Connection reuse: finished easy handles go back to a pool and keep their
//   connections (and TLS sessions) open for the next request to the same host.
// - At most `max_parallel_requests` requests run at once; callers beyond that
//   wait their turn, so a thread pool cannot open unbounded connections.
// - TLS peers and host names are verified unless explicitly switched off;
//   `ca_file` / `ca_dir` replace the system's CA bundle.
// - Timeouts: connecting, a transfer that stays below `low_speed_bytes_per_second`
//   for `low_speed_time` (a stalled server), and optionally a whole request.
// - Transport errors (refused, reset, timed out, DNS) are Unavailable, so a
//   retry decorator can tell them from final answers. Messages name the method
//   and the URL without its query string or user info (where SAS tokens,
//   presigned signatures and passwords live), never a header value.
//
// Thread-safety: Send may be called from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"

namespace coffer {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE, ...
  std::string url;             // Absolute http:// or https:// URL, already encoded.
  HttpHeaders headers;         // Sent as given; Content-Length is set from body.
  // Not copied: must stay valid until Send returns. Sent with PUT and POST
  // (and any other method when non-empty); libcurl reads it in place.
  ByteView body;
  // When set, a 2xx response's body is handed to it piece by piece as it
  // arrives (HttpResponse::body stays empty), e.g. straight into the caller's
  // buffer; a non-OK return aborts the transfer and Send returns that status.
  // Bodies of other statuses (error documents) are still collected in body.
  std::function<absl::Status(ByteView)> body_sink;
};

struct HttpResponse {
  int status = 0;
  // Header names lower-cased, in the order received; from the final response
  // only (no "100 Continue" or redirect headers).
  HttpHeaders headers;
  Bytes body;  // Empty for HEAD.
  // Connections opened for this request: 0 when an idle one was reused.
  long new_connections = 0;

  // The first value of header `lower_name`, if present.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Abort a transfer slower than this for `low_speed_time` (stalled peer).
  long low_speed_bytes_per_second = 1;
  std::chrono::seconds low_speed_time{60};
  // Whole-request limit; zero means none (large uploads take what they take).
  std::chrono::milliseconds request_timeout{0};
  size_t max_parallel_requests = 16;
  bool verify_tls = true;  // Switch off only for test servers with self-signed certificates.
  std::string ca_file;     // PEM bundle replacing the system CAs, if set.
  std::string ca_dir;      // OpenSSL hashed CA directory, if set.
  std::string user_agent = "coffer";
};

// Options every cloud store starts from, read from the environment:
// COFFER_CACERT (a PEM bundle to trust instead of the system CAs, for a
// private CA) and COFFER_CAPATH (a hashed CA directory). TLS verification
// cannot be switched off from the environment.
HttpClientOptions HttpClientOptionsFromEnvironment();

class HttpClient {
 public:
  // InvalidArgument for options that cannot work (zero parallelism, a CA file
  // or directory that does not exist).
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request. Any HTTP status is a response, not an error; errors
  // are transport failures: Unavailable (connect/reset/timeout/DNS),
  // InvalidArgument (malformed URL or header), FailedPrecondition (the TLS
  // peer could not be verified: retrying will not help).
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request);

  // Idle connections kept in the pool (for tests and diagnostics).
  size_t IdleHandles() const;

 private:
  struct Pool;
  explicit HttpClient(HttpClientOptions options);
  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

// "scheme://host[:port]/path" of `url`: no user info, query or fragment. For
// error messages: what remains is safe to show.
std::string RedactUrl(std::string_view url);

// The canonical code for an HTTP status a store did not expect: 404 NotFound,
// 401 Unauthenticated, 403 PermissionDenied, 409/412 FailedPrecondition,
// 408/429/5xx Unavailable (worth retrying), other 4xx (416 included: the
// Store contract calls a bad range InvalidArgument) InvalidArgument, anything
// else Unknown. OK for 2xx.
absl::StatusCode HttpStatusToCode(int status);

}  // namespace coffer
