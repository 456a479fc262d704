#include "store/s3_errors.h"

#include <initializer_list>
#include <optional>
#include <string>

#include "store/s3_xml.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

bool OneOf(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes)
    if (code == c) return true;
  return false;
}

std::string Where(const S3ErrorContext& context) {
  if (!context.object.empty()) return StoreCat(context.store, ": object ", context.object);
  return StoreCat(context.store, ": ", context.operation);
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) return text;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

std::string S3SanitizeServerText(std::string_view text,
                                 const std::vector<std::string_view>& secrets, size_t limit) {
  // Secrets first, on the whole text: shortening could cut one in half.
  std::string out(text);
  for (std::string_view secret : secrets) out = ReplaceAll(std::move(out), secret, "[redacted]");
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (out.size() > limit) {
    out.resize(limit);
    // Do not end inside a UTF-8 sequence.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "…";
  }
  return out;
}

absl::Status S3ResponseError(const HttpResponse& response, const S3ErrorContext& context) {
  std::optional<S3ErrorDocument> doc = ParseS3ErrorDocument(AsChars(response.body));
  std::string code = doc ? doc->code : "";
  // Some servers also name the error in a header, which HEAD answers keep.
  if (code.empty())
    if (std::optional<std::string_view> header = response.Header("x-amz-error-code"))
      code = std::string(*header);
  code = S3SanitizeServerText(code, context.secrets, 80);
  const std::string message =
      doc ? S3SanitizeServerText(doc->message, context.secrets) : std::string();
  const int status = response.status;
  const std::string where = Where(context);
  const std::string detail =
      code.empty() ? StoreCat("HTTP ", status)
                   : StoreCat(code, message.empty() ? "" : ": ", message, " (HTTP ", status, ")");
  const std::string from = context.credential_source.empty()
                               ? std::string()
                               : StoreCat(" (credentials from ", context.credential_source, ")");

  if (code == "NoSuchKey" || (code.empty() && status == 404 && !context.object.empty()))
    return absl::NotFoundError(StoreCat(where, ": not found"));
  if (code == "NoSuchBucket")
    return absl::NotFoundError(
        StoreCat(where, ": bucket \"", context.bucket, "\" does not exist (", detail, ")"));
  if (code == "NoSuchUpload")
    return absl::UnavailableError(
        StoreCat(where, ": the multipart upload disappeared on the server (", detail, ")"));
  if (OneOf(code, {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                   "TokenRefreshRequired", "InvalidSecurity", "MissingSecurityHeader"}) ||
      (code.empty() && status == 401))
    return absl::UnauthenticatedError(
        StoreCat("S3 rejected the credentials for ", where, ": ", detail, from));
  if (code == "RequestTimeTooSkewed")
    return absl::UnauthenticatedError(StoreCat("S3 rejected the request time for ", where, ": ",
                                               detail, "; check this machine's clock"));
  if (OneOf(code, {"AccessDenied", "AllAccessDisabled", "AccountProblem"}))
    return absl::PermissionDeniedError(StoreCat(where, ": access denied: ", detail, from));
  if (code.empty() && status == 403)
    return absl::PermissionDeniedError(
        StoreCat(where,
                 ": access denied (HTTP 403; S3 also answers 403 for a missing object when the "
                 "credentials may not list the bucket)",
                 from));

  // A bucket in another region: S3 redirects (301/307) or rejects the scope.
  std::string bucket_region;
  if (std::optional<std::string_view> header = response.Header("x-amz-bucket-region"))
    bucket_region = S3SanitizeServerText(*header, context.secrets, 40);
  else if (doc && !doc->region.empty())
    bucket_region = S3SanitizeServerText(doc->region, context.secrets, 40);
  if (OneOf(code, {"PermanentRedirect", "TemporaryRedirect", "AuthorizationHeaderMalformed",
                   "IllegalLocationConstraintException"}) ||
      status == 301 || status == 307) {
    std::string hint =
        bucket_region.empty()
            ? StoreCat("; is AWS_REGION (now ", context.region, ") the bucket's region?")
            : StoreCat("; the bucket is in ", bucket_region, ", not ", context.region,
                       ": set AWS_REGION=", bucket_region);
    return absl::FailedPreconditionError(StoreCat(where, ": ", detail, hint));
  }

  if (OneOf(code, {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout",
                   "OperationAborted", "ConditionalRequestConflict"}))
    return absl::UnavailableError(StoreCat(where, ": ", detail));
  if (OneOf(code, {"BadDigest", "XAmzContentSHA256Mismatch", "IncompleteBody"}))
    return absl::UnavailableError(
        StoreCat(where, ": the server rejected the body as damaged on the way: ", detail));
  if (code == "InvalidRange") return absl::InvalidArgumentError(StoreCat(where, ": ", detail));
  // A server without a feature coffer needs: retrying will not help.
  if (code == "NotImplemented") return absl::UnimplementedError(StoreCat(where, ": ", detail));

  absl::StatusCode mapped = HttpStatusToCode(status);
  if (mapped == absl::StatusCode::kOk) mapped = absl::StatusCode::kUnknown;
  if (status >= 300 && status < 400) mapped = absl::StatusCode::kFailedPrecondition;
  return absl::Status(mapped, StoreCat(where, ": ", detail));
}

}  // namespace coffer
