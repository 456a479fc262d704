// S3 error answers → absl::Status: codes, wording, and no secrets.
#include "store/s3_errors.h"

#include <catch2/catch.hpp>
#include <string>

#include "store_conformance.h"

using namespace coffer;

namespace {

constexpr std::string_view kStore = "S3 store s3://bkt/pfx at http://127.0.0.1:9000";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kToken = "FwoGZXIvYXdzEXAMPLETOKEN";
constexpr std::string_view kSignature =
    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

HttpResponse Answer(int status, std::string_view body = {}, HttpHeaders headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = ToBytes(body);
  response.headers = std::move(headers);
  return response;
}

std::string ErrorXml(std::string_view code, std::string_view message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + std::string(code) +
         "</Code><Message>" + std::string(message) + "</Message><RequestId>R</RequestId></Error>";
}

S3ErrorContext Context(std::string_view object = "data/ab/obj") {
  S3ErrorContext context;
  context.store = kStore;
  context.bucket = "bkt";
  context.region = "us-east-1";
  context.credential_source = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment";
  context.object = object;
  context.operation = "listing \"data/\"";
  context.secrets = {kSecret, kToken, kSignature};
  return context;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

}  // namespace

TEST_CASE("S3 error codes map to Store error codes, naming store and object") {
  struct Case {
    int status;
    std::string code;
    absl::StatusCode expected;
    std::string says;
  };
  for (const Case& c : {
           Case{404, "NoSuchKey", absl::StatusCode::kNotFound, "not found"},
           Case{404, "NoSuchBucket", absl::StatusCode::kNotFound, "bucket \"bkt\" does not exist"},
           Case{403, "InvalidAccessKeyId", absl::StatusCode::kUnauthenticated,
                "S3 rejected the credentials for S3 store s3://bkt/pfx"},
           Case{403, "SignatureDoesNotMatch", absl::StatusCode::kUnauthenticated,
                "SignatureDoesNotMatch"},
           Case{400, "ExpiredToken", absl::StatusCode::kUnauthenticated, "ExpiredToken"},
           Case{403, "RequestTimeTooSkewed", absl::StatusCode::kUnauthenticated, "clock"},
           Case{403, "AccessDenied", absl::StatusCode::kPermissionDenied, "access denied"},
           Case{503, "SlowDown", absl::StatusCode::kUnavailable, "SlowDown"},
           Case{500, "InternalError", absl::StatusCode::kUnavailable, "InternalError"},
           Case{503, "ServiceUnavailable", absl::StatusCode::kUnavailable, "(HTTP 503)"},
           Case{400, "BadDigest", absl::StatusCode::kUnavailable, "damaged on the way"},
           Case{400, "XAmzContentSHA256Mismatch", absl::StatusCode::kUnavailable, "damaged"},
           Case{416, "InvalidRange", absl::StatusCode::kInvalidArgument, "InvalidRange"},
           Case{409, "ConditionalRequestConflict", absl::StatusCode::kUnavailable, "Conflict"},
           Case{404, "NoSuchUpload", absl::StatusCode::kUnavailable, "multipart upload"},
           Case{400, "EntityTooSmall", absl::StatusCode::kInvalidArgument, "EntityTooSmall"},
           Case{501, "NotImplemented", absl::StatusCode::kUnimplemented, "NotImplemented"},
       }) {
    absl::Status s = S3ResponseError(Answer(c.status, ErrorXml(c.code, "Some words.")), Context());
    INFO(c.code << " -> " << s.ToString());
    CHECK(s.code() == c.expected);
    CHECK_THAT(Message(s), Catch::Contains(std::string(kStore)));
    CHECK_THAT(Message(s), Catch::Contains("data/ab/obj"));
    CHECK_THAT(Message(s), Catch::Contains(c.says));
  }
}

TEST_CASE("credential errors say where the credentials came from") {
  absl::Status s = S3ResponseError(Answer(403, ErrorXml("SignatureDoesNotMatch",
                                                        "The request signature we calculated does "
                                                        "not match the signature you provided.")),
                                   Context());
  CHECK(Message(s) ==
        "S3 rejected the credentials for S3 store s3://bkt/pfx at http://127.0.0.1:9000: object "
        "data/ab/obj: SignatureDoesNotMatch: The request signature we calculated does not match "
        "the signature you provided. (HTTP 403) (credentials from AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY in the environment)");
}

TEST_CASE("answers without a body (HEAD) are mapped by status, or by x-amz-error-code") {
  CHECK(S3ResponseError(Answer(404), Context()).code() == absl::StatusCode::kNotFound);
  CHECK(S3ResponseError(Answer(403), Context()).code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(Message(S3ResponseError(Answer(403), Context())), Catch::Contains("missing object"));
  CHECK(S3ResponseError(Answer(503), Context()).code() == absl::StatusCode::kUnavailable);
  CHECK(S3ResponseError(Answer(400), Context()).code() == absl::StatusCode::kInvalidArgument);
  CHECK(S3ResponseError(Answer(403, "", {{"x-amz-error-code", "SignatureDoesNotMatch"}}), Context())
            .code() == absl::StatusCode::kUnauthenticated);
  // A 404 about no object in particular (a listing) is still NotFound.
  absl::Status listing = S3ResponseError(Answer(404), Context(""));
  CHECK(listing.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(Message(listing), Catch::Contains("listing \"data/\""));
}

TEST_CASE("a bucket in another region is FailedPrecondition naming the region to set") {
  absl::Status s =
      S3ResponseError(Answer(301,
                             ErrorXml("PermanentRedirect",
                                      "The bucket you are attempting to access must be "
                                      "addressed using the specified endpoint."),
                             {{"x-amz-bucket-region", "eu-west-2"}}),
                      Context());
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(Message(s), Catch::Contains("AWS_REGION=eu-west-2"));
  s = S3ResponseError(
      Answer(400, ErrorXml("AuthorizationHeaderMalformed",
                           "the region 'us-east-1' is wrong; expecting 'ap-south-1'")),
      Context());
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(Message(s), Catch::Contains("expecting 'ap-south-1'"));
  CHECK_THAT(Message(s), Catch::Contains("AWS_REGION"));
}

TEST_CASE("server text never carries a secret, a token or the signature into a message") {
  const std::string echo = "secret " + std::string(kSecret) + " token " + std::string(kToken) +
                           " sig " + std::string(kSignature);
  for (int status : {400, 403, 404, 500}) {
    for (const char* code :
         {"SignatureDoesNotMatch", "AccessDenied", "Whatever", "InternalError"}) {
      absl::Status s = S3ResponseError(Answer(status, ErrorXml(code, echo)), Context());
      INFO(s.ToString());
      CHECK_THAT(Message(s), !Catch::Contains(std::string(kSecret)));
      CHECK_THAT(Message(s), !Catch::Contains(std::string(kToken)));
      CHECK_THAT(Message(s), !Catch::Contains(std::string(kSignature)));
    }
  }
  // In the code too, and in a header-borne code.
  absl::Status s = S3ResponseError(
      Answer(400, ErrorXml(std::string(kSecret), "m"), {{"x-amz-error-code", std::string(kToken)}}),
      Context());
  CHECK_THAT(Message(s), !Catch::Contains(std::string(kSecret)));
  CHECK_THAT(Message(s), Catch::Contains("[redacted]"));
}

TEST_CASE("server text is shortened and stripped of control characters") {
  std::string long_text(5000, 'x');
  long_text += "\r\nInjected: header";
  std::string out = S3SanitizeServerText(long_text, {}, 100);
  CHECK(out.size() <= 100 + std::string("…").size());
  CHECK(out.find('\n') == std::string::npos);
  CHECK(S3SanitizeServerText("a\tb\x01"
                             "c",
                             {}) == "a b c");
  // Cut at a character boundary, not inside "é".
  std::string cut = S3SanitizeServerText("aaaé", {}, 4);
  CHECK(cut == "aaa…");
}

TEST_CASE("an unparseable error body falls back to the HTTP status") {
  absl::Status s = S3ResponseError(Answer(502, "<html>Bad Gateway"), Context());
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(Message(s), Catch::Contains("HTTP 502"));
  s = S3ResponseError(Answer(200, ErrorXml("InternalError", "We encountered an internal error")),
                      Context());
  CHECK(s.code() == absl::StatusCode::kUnavailable);  // 200 with an <Error> inside.
}
