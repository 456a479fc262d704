// Shared Key signing against known answers.
//
// Where the vectors come from: the strings to sign were written by hand from
// the rules of "Authorize with Shared Key" (Azure Storage REST reference);
// the signatures were computed with Python's hmac/hashlib from those strings
// and Microsoft's published development key. The Put Block case was then sent
// as-is (curl) to Azurite 3.35, which accepted it (201 Created); the Put Blob
// and container cases are the strings Azurite's debug log printed for
// requests this store sent.
#include "store/azure_shared_key.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/time/civil_time.h"
#include "base/base64.h"

using namespace coffer;

namespace {

constexpr char kDevKey[] =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr char kDate[] = "Thu, 26 Nov 2026 16:10:09 GMT";

Bytes DevKey() { return *Base64Decode(kDevKey); }

AzureSharedKeySignature Sign(const AzureSharedKeyRequest& request) {
  absl::StatusOr<AzureSharedKeySignature> signature =
      SignAzureSharedKey(request, "devstoreaccount1", DevKey());
  INFO(signature.status().ToString());
  REQUIRE(signature.ok());
  return *signature;
}

}  // namespace

TEST_CASE(
    "Shared Key: Put Block with a unicode name and a block ID needing escapes (known answer)") {
  AzureSharedKeyRequest request;
  request.method = "PUT";
  // "kat/ünïcödé & 100%", percent-encoded as sent.
  request.encoded_path =
      "/devstoreaccount1/coffer-test/kat/%C3%BCn%C3%AFc%C3%B6d%C3%A9%20%26%20100%25";
  request.query = {{"comp", "block"}, {"blockid", "+/+/PgA="}};  // Decoded values.
  request.headers = {{"Content-MD5", "NGQ5o0ad2plTvrt8rT5DZg=="},
                     {"x-ms-date", kDate},
                     {"x-ms-version", "2021-08-06"}};
  request.content_length = 12;  // "hello, azure"
  AzureSharedKeySignature s = Sign(request);
  CHECK(s.string_to_sign ==
        "PUT\n"
        "\n"                          // Content-Encoding
        "\n"                          // Content-Language
        "12\n"                        // Content-Length
        "NGQ5o0ad2plTvrt8rT5DZg==\n"  // Content-MD5
        "\n\n\n\n\n\n\n"              // Content-Type … Range
        "x-ms-date:Thu, 26 Nov 2026 16:10:09 GMT\n"
        "x-ms-version:2021-08-06\n"
        "/devstoreaccount1/devstoreaccount1/coffer-test/kat/"
        "%C3%BCn%C3%AFc%C3%B6d%C3%A9%20%26%20100%25\n"
        "blockid:+/+/PgA=\n"
        "comp:block");
  CHECK(s.signature == "TAi058uBA493w8gsoGqGv3KZuWkWA66Pgv7tW1oEPvE=");
  CHECK(s.authorization ==
        "SharedKey devstoreaccount1:TAi058uBA493w8gsoGqGv3KZuWkWA66Pgv7tW1oEPvE=");
}

TEST_CASE("Shared Key: Put Blob with Content-Type and If-None-Match (as Azurite expects it)") {
  AzureSharedKeyRequest request;
  request.method = "PUT";
  request.encoded_path = "/devstoreaccount1/coffer-test/conformance-1795709409917525-0/keys/k1";
  // Any order, any case: the signer sorts and lower-cases.
  request.headers = {{"x-ms-version", "2021-08-06"},
                     {"If-None-Match", "*"},
                     {"X-MS-Blob-Type", "BlockBlob"},
                     {"content-type", "application/octet-stream"},
                     {"Content-MD5", "4MVUypScKcNffSS6IxC9+A=="},
                     {"x-ms-date", kDate}};
  request.content_length = 8;
  AzureSharedKeySignature s = Sign(request);
  CHECK(s.string_to_sign ==
        "PUT\n\n\n8\n4MVUypScKcNffSS6IxC9+A==\napplication/octet-stream\n\n\n\n*\n\n\n"
        "x-ms-blob-type:BlockBlob\nx-ms-date:Thu, 26 Nov 2026 16:10:09 GMT\n"
        "x-ms-version:2021-08-06\n"
        "/devstoreaccount1/devstoreaccount1/coffer-test/conformance-1795709409917525-0/keys/k1");
  CHECK(s.signature == "RAEyd+kPTX0f6LI/uxJtBliBXmotUXEau05b4y0kOBk=");
}

TEST_CASE(
    "Shared Key: a zero Content-Length is signed as empty, and a ranged GET signs x-ms-range") {
  AzureSharedKeyRequest request;
  request.method = "PUT";
  request.encoded_path = "/devstoreaccount1/prep-1795709399721054-0";
  request.query = {{"restype", "container"}};
  request.headers = {{"x-ms-date", kDate}, {"x-ms-version", "2021-08-06"}};
  request.content_length = 0;
  CHECK(Sign(request).string_to_sign ==
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Thu, 26 Nov 2026 16:10:09 GMT\n"
        "x-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/prep-1795709399721054-0\n"
        "restype:container");

  request.method = "GET";
  request.encoded_path = "/acct/c/data/00/pack";
  request.query.clear();
  request.headers.emplace_back("x-ms-range", "bytes=500-622");
  CHECK(Sign(request).string_to_sign ==
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Thu, 26 Nov 2026 16:10:09 GMT\n"
        "x-ms-range:bytes=500-622\nx-ms-version:2021-08-06\n"
        "/devstoreaccount1/acct/c/data/00/pack");
}

TEST_CASE("Shared Key: query parameters are lower-cased, sorted, and repeated ones joined") {
  // The spec's own example: List Blobs with three include values.
  AzureSharedKeyRequest request;
  request.method = "GET";
  request.encoded_path = "/mycontainer";
  request.query = {{"restype", "container"},
                   {"comp", "list"},
                   {"include", "snapshots"},
                   {"include", "metadata"},
                   {"include", "uncommittedblobs"}};
  absl::StatusOr<std::string> s = AzureSharedKeyStringToSign("myaccount", request);
  REQUIRE(s.ok());
  CHECK_THAT(*s, Catch::EndsWith("\n/myaccount/mycontainer\ncomp:list\n"
                                 "include:metadata,snapshots,uncommittedblobs\nrestype:container"));
  // Values are signed decoded, names lower-cased.
  request.query = {{"Prefix", "a b/ü"}, {"marker", "x=y&z"}};
  s = AzureSharedKeyStringToSign("myaccount", request);
  REQUIRE(s.ok());
  CHECK_THAT(*s, Catch::EndsWith("/myaccount/mycontainer\nmarker:x=y&z\nprefix:a b/ü"));
}

TEST_CASE("Shared Key: x-ms header values are trimmed and inner white space collapsed") {
  AzureSharedKeyRequest request;
  request.method = "GET";
  request.encoded_path = "/c/b";
  request.headers = {{"x-ms-meta-a", "  two   spaces\there  "}, {"x-ms-date", kDate}};
  absl::StatusOr<std::string> s = AzureSharedKeyStringToSign("a", request);
  REQUIRE(s.ok());
  CHECK_THAT(*s, Catch::Contains("x-ms-date:Thu, 26 Nov 2026 16:10:09 GMT\n"
                                 "x-ms-meta-a:two spaces here\n/a/c/b"));
  request.encoded_path.clear();
  s = AzureSharedKeyStringToSign("a", request);
  REQUIRE(s.ok());
  CHECK_THAT(*s, Catch::EndsWith("\n/a/"));
}

TEST_CASE("Shared Key: bad input is InvalidArgument and never quotes the key") {
  AzureSharedKeyRequest request;
  request.method = "GET";
  request.encoded_path = "/c/b";
  request.headers = {{"x-ms-date", kDate}};
  auto error = [&](const AzureSharedKeyRequest& r, std::string_view account, ByteView key) {
    absl::StatusOr<AzureSharedKeySignature> s = SignAzureSharedKey(r, account, key);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.status().message()).find(kDevKey) == std::string::npos);
    return std::string(s.status().message());
  };
  CHECK_THAT(error(request, "", DevKey()), Catch::Contains("account"));
  CHECK_THAT(error(request, "a", ByteView()), Catch::Contains("key is empty"));
  AzureSharedKeyRequest twice = request;
  twice.headers.emplace_back("X-MS-DATE", kDate);
  CHECK_THAT(error(twice, "a", DevKey()), Catch::Contains("x-ms-date appears twice"));
  AzureSharedKeyRequest broken = request;
  broken.headers.emplace_back("x-ms-meta-x", "a\r\nAuthorization: forged");
  CHECK_THAT(error(broken, "a", DevKey()), Catch::Contains("line break"));
  AzureSharedKeyRequest no_method = request;
  no_method.method.clear();
  CHECK_THAT(error(no_method, "a", DevKey()), Catch::Contains("method"));
}

TEST_CASE("Shared Key: x-ms-date is an RFC 1123 date in GMT") {
  absl::Time t = absl::FromCivil(absl::CivilSecond(2009, 10, 11, 21, 49, 13), absl::UTCTimeZone());
  CHECK(AzureHttpDate(t) == "Sun, 11 Oct 2009 21:49:13 GMT");
  t = absl::FromCivil(absl::CivilSecond(2026, 1, 2, 3, 4, 5), absl::UTCTimeZone());
  CHECK(AzureHttpDate(t) == "Fri, 02 Jan 2026 03:04:05 GMT");
}
