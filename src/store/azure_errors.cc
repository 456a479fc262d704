#include "store/azure_errors.h"

#include <pugixml.hpp>
#include <string>

#include "store/store_errors.h"

namespace coffer {
namespace {

// Azure's messages end with "\nRequestId:…\nTime:…"; one line is enough, and
// a hostile or broken server must not fill the log.
constexpr size_t kMaxMessageBytes = 300;

std::string FirstLine(std::string_view text) {
  size_t end = text.find_first_of("\r\n");
  std::string out(text.substr(0, end));
  if (out.size() > kMaxMessageBytes) out = StoreCat(out.substr(0, kMaxMessageBytes), "…");
  return out;
}

bool IsOneOf(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes)
    if (code == c) return true;
  return false;
}

// "Get Blob: HTTP 403 AuthenticationFailed: Server failed …"
std::string Detail(const AzureErrorContext& context, int status, const AzureErrorInfo& info) {
  std::string out = StoreCat(context.operation, ": HTTP ", status);
  if (!info.code.empty()) out += StoreCat(" ", info.code);
  if (!info.message.empty()) out += StoreCat(": ", ScrubSecrets(info.message, context.secrets));
  return out;
}

// Names the object, or the container when there is none.
absl::Status Named(const AzureErrorContext& context, absl::StatusCode code, std::string_view what) {
  if (!context.object.empty()) return ObjectError(code, context.store, context.object, what);
  return absl::Status(code, StoreCat(context.store, ": container ", context.container, ": ", what));
}

}  // namespace

std::string ScrubSecrets(std::string text, const std::vector<std::string_view>& secrets) {
  for (std::string_view secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

AzureErrorInfo ParseAzureError(const HttpResponse& response) {
  AzureErrorInfo info;
  if (std::optional<std::string_view> code = response.Header("x-ms-error-code"))
    info.code = std::string(*code);
  pugi::xml_document doc;
  if (!response.body.empty() && doc.load_buffer(response.body.data(), response.body.size())) {
    pugi::xml_node error = doc.child("Error");
    if (info.code.empty()) info.code = error.child("Code").text().get();
    info.message = FirstLine(error.child("Message").text().get());
  }
  // Codes are identifiers; anything else (a broken proxy's answer) is dropped.
  if (info.code.size() > 100 || info.code.find_first_of(" \r\n\t") != std::string::npos)
    info.code.clear();
  return info;
}

absl::StatusCode AzureErrorStatusCode(int http_status, const AzureErrorInfo& info) {
  using C = absl::StatusCode;
  const std::string_view code = info.code;
  if (code == "AuthorizationFailure" &&
      (info.message.empty() || info.message.find("failed to authenticate") != std::string::npos))
    return C::kUnauthenticated;
  if (IsOneOf(code, {"BlobNotFound", "ContainerNotFound", "ResourceNotFound"})) return C::kNotFound;
  if (IsOneOf(code, {"BlobAlreadyExists", "ContainerAlreadyExists"})) return C::kAlreadyExists;
  if (code == "ConditionNotMet") return C::kFailedPrecondition;
  if (IsOneOf(code,
              {"AuthenticationFailed", "InvalidAuthenticationInfo", "NoAuthenticationInformation"}))
    return C::kUnauthenticated;
  if (code.starts_with("Authorization") ||
      IsOneOf(code, {"InsufficientAccountPermissions", "AccountIsDisabled",
                     "KeyBasedAuthenticationNotPermitted"}))
    return C::kPermissionDenied;
  if (IsOneOf(code, {"ServerBusy", "InternalError", "OperationTimedOut", "ContainerBeingDeleted",
                     "Md5Mismatch", "InvalidMd5"}))
    return C::kUnavailable;
  if (code == "InvalidRange") return C::kInvalidArgument;
  return HttpStatusToCode(http_status);
}

absl::Status AzureResponseError(const AzureErrorContext& context, const HttpResponse& response) {
  const AzureErrorInfo info = ParseAzureError(response);
  const absl::StatusCode code = AzureErrorStatusCode(response.status, info);
  const std::string detail = Detail(context, response.status, info);
  switch (code) {
    case absl::StatusCode::kNotFound:
      if (info.code == "ContainerNotFound")
        return Named(context, code,
                     StoreCat("the container \"", context.container,
                              "\" does not exist (`coffer init` creates it) (", detail, ")"));
      return Named(context, code, StoreCat("not found (", detail, ")"));
    case absl::StatusCode::kUnauthenticated: {
      // The wording the issue asks for: the store first, then Azure's code.
      std::string code_and_message =
          info.code.empty() ? StoreCat("HTTP ", response.status) : info.code;
      if (!info.message.empty())
        code_and_message += StoreCat(": ", ScrubSecrets(info.message, context.secrets));
      std::string object = context.object.empty() ? StoreCat("container ", context.container)
                                                  : StoreCat("object ", context.object);
      return absl::UnauthenticatedError(StoreCat(
          "Azure rejected the credentials for store ", context.store, ": ", code_and_message, " (",
          context.operation, " of ", object, "); ",
          context.using_sas ? "check the SAS token: its signature, expiry and start time"
                            : "check the account name and key",
          info.code == "AuthorizationFailure" ? " (or the storage account's network rules)" : ""));
    }
    case absl::StatusCode::kPermissionDenied:
      return Named(context, code,
                   StoreCat("Azure denied the request (", detail, "); ",
                            context.using_sas
                                ? "the SAS token lacks a permission, service or resource type "
                                  "this needs (coffer needs read, write, delete, list and create "
                                  "on the container and its blobs)"
                                : "the account lacks a permission this needs"));
    case absl::StatusCode::kUnavailable:
      return Named(context, code, StoreCat(detail, " (temporary; worth retrying)"));
    default:
      return Named(context, code, detail);
  }
}

}  // namespace coffer
