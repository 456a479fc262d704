// Azure Blob error answers → absl::Status. The service names the failure in
// the x-ms-error-code header and in an XML body
// (<Error><Code>…</Code><Message>…</Message></Error>; HEAD answers have only
// the header). The code decides the status, the HTTP status only when there
// is no code we know:
//   BlobNotFound, ContainerNotFound, ResourceNotFound     → NotFound
//   BlobAlreadyExists, ContainerAlreadyExists              → AlreadyExists
//   ConditionNotMet                                        → FailedPrecondition
//   AuthenticationFailed, InvalidAuthenticationInfo,
//   NoAuthenticationInformation                            → Unauthenticated
//   AuthorizationFailure whose message says the server "failed to
//   authenticate", or without a message (HEAD)             → Unauthenticated
//   other AuthorizationFailure, Authorization*Mismatch,
//   InsufficientAccountPermissions, AccountIsDisabled,
//   KeyBasedAuthenticationNotPermitted                     → PermissionDenied
//   ServerBusy, InternalError, OperationTimedOut,
//   ContainerBeingDeleted, Md5Mismatch, InvalidMd5          → Unavailable
//   InvalidRange                                           → InvalidArgument
//   otherwise HttpStatusToCode (500/503 → Unavailable ...).
// Md5Mismatch means the body was damaged on the way and nothing was stored:
// another attempt may succeed, hence Unavailable. AuthorizationFailure is
// Azure's answer to a firewall or network rule ("This request is not
// authorized to perform this operation"), but Azurite's to a bad signature or
// an expired SAS (with the AuthenticationFailed message): the message tells
// them apart.
//
// Messages name the store and the object (or the container), the operation,
// Azure's code and the first line of its message. Azure's message is scrubbed
// of the secrets passed in, and its AuthenticationErrorDetail (which can
// quote the request's signature) is never used.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "store/http_client.h"

namespace coffer {

struct AzureErrorInfo {
  std::string code;     // "BlobNotFound"; empty when the answer has none.
  std::string message;  // First line of <Message>; may be empty.
};

// The error code (x-ms-error-code, else <Code>) and message of an answer.
// Never fails: a body that is not an error document just gives no message.
AzureErrorInfo ParseAzureError(const HttpResponse& response);

// The canonical code for an Azure error answer (table above).
absl::StatusCode AzureErrorStatusCode(int http_status, const AzureErrorInfo& info);

struct AzureErrorContext {
  std::string_view store;      // The store's Describe().
  std::string_view object;     // Object name; empty for container operations.
  std::string_view container;  // For ContainerNotFound.
  std::string_view operation;  // "Put Blob", "List Blobs", ...
  bool using_sas = false;      // Which credential to blame in hints.
  // Strings that must not appear in a message (key, SAS signature, the
  // request's signature); empty ones are ignored.
  std::vector<std::string_view> secrets;
};

// The status for a non-2xx `response`, worded for `context`.
absl::Status AzureResponseError(const AzureErrorContext& context, const HttpResponse& response);

// `text` with every occurrence of each non-empty secret replaced by
// "[redacted]".
std::string ScrubSecrets(std::string text, const std::vector<std::string_view>& secrets);

}  // namespace coffer
