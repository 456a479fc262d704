// Azure error answers → statuses and messages: the code table, the wording
// (store, object, operation, Azure's code) and that secrets never leak.
#include "store/azure_errors.h"

#include <catch2/catch.hpp>
#include <string>

using namespace coffer;

namespace {

constexpr char kStore[] = "azure://backups/host1 (account acct)";
constexpr char kKey[] = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZ==";
constexpr char kSignature[] = "TAi058uBA493w8gsoGqGv3KZuWkWA66Pgv7tW1oEPvE=";

HttpResponse Answer(int status, std::string_view code, std::string_view message,
                    bool header = true) {
  HttpResponse response;
  response.status = status;
  if (header && !code.empty()) response.headers.emplace_back("x-ms-error-code", std::string(code));
  response.body = ToBytes("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" +
                          std::string(code) + "</Code><Message>" + std::string(message) +
                          "\nRequestId:0e2e2d7c\nTime:2026-11-26T16:10:09Z</Message>"
                          "<AuthenticationErrorDetail>The MAC signature found in the HTTP "
                          "request '" +
                          kSignature + "' is not the same</AuthenticationErrorDetail></Error>");
  return response;
}

AzureErrorContext Context(std::string_view object = "data/ab/pack") {
  AzureErrorContext context;
  context.store = kStore;
  context.object = object;
  context.container = "backups";
  context.operation = "Get Blob";
  context.secrets = {kKey, kSignature};
  return context;
}

absl::Status Map(const HttpResponse& response, const AzureErrorContext& context = Context()) {
  absl::Status s = AzureResponseError(context, response);
  INFO(s.ToString());
  CHECK(std::string(s.message()).find(kSignature) == std::string::npos);
  CHECK(std::string(s.message()).find(kKey) == std::string::npos);
  return s;
}

}  // namespace

TEST_CASE("Azure error codes map to canonical codes") {
  using C = absl::StatusCode;
  struct Case {
    int status;
    const char* code;
    C expected;
  };
  for (Case c : {Case{404, "BlobNotFound", C::kNotFound},
                 {404, "ContainerNotFound", C::kNotFound},
                 {409, "BlobAlreadyExists", C::kAlreadyExists},
                 {409, "ContainerAlreadyExists", C::kAlreadyExists},
                 {412, "ConditionNotMet", C::kFailedPrecondition},
                 {403, "AuthenticationFailed", C::kUnauthenticated},
                 {400, "InvalidAuthenticationInfo", C::kUnauthenticated},
                 {401, "NoAuthenticationInformation", C::kUnauthenticated},
                 {403, "AuthorizationPermissionMismatch", C::kPermissionDenied},
                 {403, "AuthorizationResourceTypeMismatch", C::kPermissionDenied},
                 {403, "AuthorizationServiceMismatch", C::kPermissionDenied},
                 {403, "InsufficientAccountPermissions", C::kPermissionDenied},
                 {403, "KeyBasedAuthenticationNotPermitted", C::kPermissionDenied},
                 {503, "ServerBusy", C::kUnavailable},
                 {500, "InternalError", C::kUnavailable},
                 {500, "OperationTimedOut", C::kUnavailable},
                 {409, "ContainerBeingDeleted", C::kUnavailable},
                 {400, "Md5Mismatch", C::kUnavailable},
                 {416, "InvalidRange", C::kInvalidArgument},
                 {503, "", C::kUnavailable},
                 {500, "SomethingNew", C::kUnavailable},
                 {400, "InvalidHeaderValue", C::kInvalidArgument},
                 {404, "", C::kNotFound}}) {
    INFO(c.status << " " << c.code);
    CHECK(AzureErrorStatusCode(c.status, {c.code, "message"}) == c.expected);
  }
  // AuthorizationFailure: a firewall on Azure, a bad signature on Azurite.
  CHECK(AzureErrorStatusCode(403, {"AuthorizationFailure",
                                   "This request is not authorized to perform this operation."}) ==
        C::kPermissionDenied);
  CHECK(AzureErrorStatusCode(403, {"AuthorizationFailure",
                                   "Server failed to authenticate the request. Make sure …"}) ==
        C::kUnauthenticated);
  CHECK(AzureErrorStatusCode(403, {"AuthorizationFailure", ""}) == C::kUnauthenticated);
}

TEST_CASE("Azure errors: code from the header or the body; junk bodies are tolerated") {
  AzureErrorInfo info =
      ParseAzureError(Answer(404, "BlobNotFound", "The specified blob does not exist."));
  CHECK(info.code == "BlobNotFound");
  CHECK(info.message == "The specified blob does not exist.");  // First line only.
  info = ParseAzureError(Answer(404, "BlobNotFound", "gone", /*header=*/false));
  CHECK(info.code == "BlobNotFound");
  HttpResponse head;  // HEAD: the header, no body.
  head.status = 404;
  head.headers.emplace_back("x-ms-error-code", "ContainerNotFound");
  CHECK(ParseAzureError(head).code == "ContainerNotFound");
  HttpResponse junk;
  junk.status = 502;
  junk.body = ToBytes("<html><body>Bad gateway</body>");
  info = ParseAzureError(junk);
  CHECK(info.code.empty());
  CHECK(info.message.empty());
  junk.body = ToBytes("<Error><Code>has spaces \r\n Injected: x</Code><Message>" +
                      std::string(5000, 'm') + "</Message></Error>");
  info = ParseAzureError(junk);
  CHECK(info.code.empty());
  CHECK(info.message.size() < 400);
}

TEST_CASE("Azure errors: messages name the store, the object, the operation and the code") {
  absl::Status s = Map(Answer(404, "BlobNotFound", "The specified blob does not exist."));
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(s.message() ==
        "azure://backups/host1 (account acct): object data/ab/pack: not found (Get Blob: HTTP "
        "404 BlobNotFound: The specified blob does not exist.)");

  s = Map(Answer(404, "ContainerNotFound", "The specified container does not exist."));
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(s.message()),
             Catch::StartsWith(std::string(kStore) + ": object data/ab/pack: the container "
                                                     "\"backups\" does not exist") &&
                 Catch::Contains("coffer init"));

  s = Map(Answer(503, "ServerBusy", "The server is busy."));
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(s.message()), Catch::Contains("data/ab/pack") &&
                                           Catch::Contains("HTTP 503 ServerBusy") &&
                                           Catch::Contains(kStore));

  // Container operations name the container.
  AzureErrorContext container = Context("");
  container.operation = "Create Container";
  s = Map(Answer(409, "ContainerBeingDeleted", "being deleted"), container);
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(s.message()),
             Catch::StartsWith(std::string(kStore) + ": container backups: Create Container"));
}

TEST_CASE("Azure errors: rejected credentials say so, with no secret in the message") {
  absl::Status s = Map(Answer(403, "AuthenticationFailed",
                              std::string("Server failed to authenticate the request. Signature ") +
                                  kSignature + " did not match key " + kKey));
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(std::string(s.message()),
             Catch::StartsWith("Azure rejected the credentials for store azure://backups/host1 "
                               "(account acct): AuthenticationFailed: Server failed to "
                               "authenticate the request. Signature [redacted] did not match "
                               "key [redacted]") &&
                 Catch::Contains("Get Blob of object data/ab/pack") &&
                 Catch::Contains("account name and key"));
  AzureErrorContext sas = Context();
  sas.using_sas = true;
  s = Map(Answer(403, "AuthenticationFailed", "Signed expiry time must be after signed start"),
          sas);
  CHECK_THAT(std::string(s.message()), Catch::Contains("check the SAS token"));
  // Permission problems are PermissionDenied, naming the object.
  s = Map(Answer(403, "AuthorizationPermissionMismatch", "not authorized"), sas);
  CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(s.message()), Catch::Contains("object data/ab/pack") &&
                                           Catch::Contains("AuthorizationPermissionMismatch") &&
                                           Catch::Contains("SAS token lacks a permission"));
}

TEST_CASE("ScrubSecrets replaces every occurrence and ignores empty secrets") {
  CHECK(ScrubSecrets("a SECRET b SECRET", {"SECRET", ""}) == "a [redacted] b [redacted]");
  CHECK(ScrubSecrets("nothing here", {}) == "nothing here");
}
