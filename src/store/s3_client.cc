#include "store/s3_client.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "base/status_macros.h"
#include "store/s3_location.h"
#include "store/s3_xml.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

std::string AwsEndpointHost(std::string_view region) {
  // China's partition has its own domain.
  std::string_view domain = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return StoreCat("s3.", region, ".", domain);
}

std::string EncodedQuery(const SigV4Pairs& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    out += out.empty() ? "?" : "&";
    out += StoreCat(SigV4UriEncode(name), "=", SigV4UriEncode(value));
  }
  return out;
}

std::string_view SignatureOf(const HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (name != "Authorization") continue;
    size_t at = value.rfind("Signature=");
    if (at != std::string::npos) return std::string_view(value).substr(at + 10);
  }
  return {};
}

}  // namespace

absl::StatusOr<std::unique_ptr<S3Client>> S3Client::Create(const S3StoreOptions& options) {
  COFFER_RETURN_IF_ERROR(ValidateS3BucketName(options.bucket));
  COFFER_RETURN_IF_ERROR(ValidateS3Prefix(options.prefix));
  if (options.credentials.access_key_id.empty() || options.credentials.secret_access_key.empty())
    return absl::UnauthenticatedError(StoreCat("S3 store s3://", options.bucket,
                                               ": no credentials (access key id and secret "
                                               "access key are required)"));
  std::string scheme = "https";
  std::string host_port;
  if (options.endpoint.empty()) {
    host_port = AwsEndpointHost(options.region);
  } else {
    COFFER_ASSIGN_OR_RETURN(S3EndpointUrl url, ParseS3EndpointUrl(options.endpoint, "S3 endpoint"));
    scheme = url.scheme;
    host_port = url.host_port;
  }
  S3AddressingStyle style = options.addressing;
  if (style == S3AddressingStyle::kAuto) {
    // A dotted bucket's virtual host ("a.b.s3.amazonaws.com") does not match
    // S3's wildcard certificate, so AWS SDKs fall back to path style too.
    const bool dotted_over_tls = scheme == "https" && absl::StrContains(options.bucket, ".");
    style = options.endpoint.empty() && !dotted_over_tls ? S3AddressingStyle::kVirtualHosted
                                                         : S3AddressingStyle::kPath;
  }
  std::string host = style == S3AddressingStyle::kVirtualHosted
                         ? StoreCat(options.bucket, ".", host_port)
                         : host_port;
  std::string base_path =
      style == S3AddressingStyle::kVirtualHosted ? "" : StoreCat("/", options.bucket);
  std::string description =
      StoreCat("S3 store s3://", options.bucket, options.prefix.empty() ? "" : "/", options.prefix,
               " at ", scheme, "://", host_port);
  if (options.part_size == 0 || options.multipart_threshold == 0 || options.max_parallel_parts < 1)
    return absl::InvalidArgumentError(StoreCat(
        description, ": part size, multipart threshold and parallel parts must be positive"));
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http, HttpClient::Create(options.http));
  return std::unique_ptr<S3Client>(new S3Client(options, std::move(scheme), std::move(host),
                                                std::move(base_path), std::move(description),
                                                std::move(http)));
}

S3Client::S3Client(S3StoreOptions options, std::string scheme, std::string host,
                   std::string base_path, std::string description, std::unique_ptr<HttpClient> http)
    : options_(std::move(options)),
      scheme_(std::move(scheme)),
      host_(std::move(host)),
      base_path_(std::move(base_path)),
      description_(std::move(description)),
      http_(std::move(http)) {}

std::string S3Client::UrlOf(std::string_view key) const {
  // S3 keys are encoded once, '/' kept; the bucket itself is "/bucket" in
  // path style (no trailing '/': s3rver's canonical URI has none) or "/".
  std::string path = key.empty() ? (base_path_.empty() ? "/" : base_path_)
                                 : StoreCat(base_path_, "/", SigV4UriEncodePath(key));
  return StoreCat(scheme_, "://", host_, path);
}

absl::StatusOr<HttpRequest> S3Client::Sign(const S3Call& call, absl::Time now) const {
  std::string url = UrlOf(call.key);
  SigV4Request to_sign;
  to_sign.method = call.method;
  to_sign.canonical_uri = url.substr(scheme_.size() + 3 + host_.size());
  to_sign.query = call.query;
  to_sign.headers = {{"Host", host_}};
  for (const auto& header : call.headers) to_sign.headers.push_back(header);
  to_sign.payload_hash = SigV4PayloadHash(call.body);
  to_sign.add_content_sha256_header = true;
  COFFER_ASSIGN_OR_RETURN(
      SigV4Signature signature,
      SignSigV4(to_sign, options_.credentials, SigV4Scope{options_.region, "s3", now}));
  HttpRequest request;
  request.method = call.method;
  request.url = url + EncodedQuery(call.query);
  request.headers = std::move(to_sign.headers);
  for (auto& header : signature.added_headers) request.headers.push_back(std::move(header));
  request.headers.emplace_back("Authorization", std::move(signature.authorization));
  request.body = call.body;
  request.body_sink = call.body_sink;
  return request;
}

S3ErrorContext S3Client::Context(std::string_view object, std::string_view operation,
                                 std::string_view signature) const {
  S3ErrorContext context;
  context.store = description_;
  context.bucket = options_.bucket;
  context.region = options_.region;
  context.credential_source = options_.credential_source;
  context.object = object;
  context.operation = operation;
  context.secrets = {options_.credentials.secret_access_key, options_.credentials.session_token,
                     signature};
  return context;
}

absl::Status S3Client::ResponseError(const HttpResponse& response, std::string_view object,
                                     std::string_view operation) const {
  return S3ResponseError(response, Context(object, operation, {}));
}

absl::StatusOr<HttpResponse> S3Client::Send(const S3Call& call) const {
  auto where = [&] {
    return call.object.empty() ? StoreCat(description_, ": ", call.operation)
                               : StoreCat(description_, ": object ", call.object);
  };
  absl::StatusOr<HttpRequest> request = Sign(call, absl::Now());
  if (!request.ok()) return Annotate(request.status(), where());
  absl::StatusOr<HttpResponse> response = http_->Send(*request);
  if (!response.ok()) return Annotate(response.status(), where());
  const int status = response->status;
  if ((status >= 200 && status < 300) ||
      std::find(call.pass_statuses.begin(), call.pass_statuses.end(), status) !=
          call.pass_statuses.end())
    return response;
  if (call.method == "HEAD" && status == 403 && !response->Header("x-amz-error-code"))
    if (std::optional<absl::Status> why = WhyForbidden(call)) return *why;
  return S3ResponseError(*response, Context(call.object, call.operation, SignatureOf(*request)));
}

// A HEAD answer has no body, and S3 answers 403 both for credentials it
// rejects and for access it denies; Stat, Delete and PutIfAbsent start with
// HEAD, so "access denied" would hide a wrong secret key. A GET of the same
// key carries S3's error document; its first byte at most is read.
std::optional<absl::Status> S3Client::WhyForbidden(const S3Call& head) const {
  S3Call probe;
  probe.method = "GET";
  probe.key = head.key;
  probe.query = head.query;
  probe.headers = {{"Range", "bytes=0-0"}};
  probe.body_sink = [](ByteView) { return absl::CancelledError("a probe reads no data"); };
  absl::StatusOr<HttpRequest> request = Sign(probe, absl::Now());
  if (!request.ok()) return std::nullopt;
  absl::StatusOr<HttpResponse> response = http_->Send(*request);
  if (!response.ok() || response->status != 403 || !ParseS3ErrorDocument(AsChars(response->body)))
    return std::nullopt;
  return S3ResponseError(*response, Context(head.object, head.operation, SignatureOf(*request)));
}

}  // namespace coffer
