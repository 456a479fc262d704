// Where S3 requests go (addressing style, endpoint) and what NewS3Store
// refuses, without sending anything.
#include "store/s3_client.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "store/s3_multipart.h"
#include "store/s3_store.h"
#include "store_conformance.h"

using namespace coffer;

namespace {

S3StoreOptions Options(std::string bucket, std::string endpoint, S3AddressingStyle style) {
  S3StoreOptions options;
  options.bucket = std::move(bucket);
  options.prefix = "pfx";
  options.endpoint = std::move(endpoint);
  options.region = "eu-west-3";
  options.credentials = {"AKID", "secret", ""};
  options.addressing = style;
  return options;
}

std::unique_ptr<S3Client> Client(const S3StoreOptions& options) {
  absl::StatusOr<std::unique_ptr<S3Client>> client = S3Client::Create(options);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(*client);
}

std::string HostHeader(const HttpRequest& request) {
  for (const auto& [name, value] : request.headers)
    if (name == "Host") return value;
  return "";
}

}  // namespace

TEST_CASE("S3 addressing: virtual-hosted for AWS, path style for custom endpoints") {
  using S = S3AddressingStyle;
  struct Case {
    std::string bucket, endpoint;
    S3AddressingStyle style;
    std::string object_url, bucket_url, describe_at;
  };
  for (const Case& c : {
           Case{"bkt", "", S::kAuto, "https://bkt.s3.eu-west-3.amazonaws.com/pfx/k%20y",
                "https://bkt.s3.eu-west-3.amazonaws.com/", "https://s3.eu-west-3.amazonaws.com"},
           // A dotted name's virtual host would not match S3's certificate.
           Case{"my.bkt", "", S::kAuto, "https://s3.eu-west-3.amazonaws.com/my.bkt/pfx/k%20y",
                "https://s3.eu-west-3.amazonaws.com/my.bkt", "https://s3.eu-west-3.amazonaws.com"},
           Case{"bkt", "", S::kPath, "https://s3.eu-west-3.amazonaws.com/bkt/pfx/k%20y",
                "https://s3.eu-west-3.amazonaws.com/bkt", "https://s3.eu-west-3.amazonaws.com"},
           Case{"bkt", "http://127.0.0.1:9000", S::kAuto, "http://127.0.0.1:9000/bkt/pfx/k%20y",
                "http://127.0.0.1:9000/bkt", "http://127.0.0.1:9000"},
           Case{"bkt", "https://minio.example:9000/", S::kVirtualHosted,
                "https://bkt.minio.example:9000/pfx/k%20y", "https://bkt.minio.example:9000/",
                "https://minio.example:9000"},
       }) {
    std::unique_ptr<S3Client> client = Client(Options(c.bucket, c.endpoint, c.style));
    INFO(c.bucket << " at '" << c.endpoint << "'");
    CHECK(client->UrlOf("pfx/k y") == c.object_url);
    CHECK(client->UrlOf("") == c.bucket_url);
    CHECK(client->Describe() == "S3 store s3://" + c.bucket + "/pfx at " + c.describe_at);
    absl::StatusOr<HttpRequest> signed_request =
        client->Sign(S3Call{"GET", "pfx/k y", {{"a", "b c"}}, {}, {}, {}, {}, "k y", ""},
                     absl::FromUnixSeconds(1700000000));
    REQUIRE(signed_request.ok());
    CHECK(signed_request->url == c.object_url + "?a=b%20c");
    // Host is exactly the URL's authority: it is signed.
    std::string authority = c.object_url.substr(c.object_url.find("://") + 3);
    CHECK(HostHeader(*signed_request) == authority.substr(0, authority.find('/')));
  }
}

TEST_CASE("S3 in China's regions uses the amazonaws.com.cn domain") {
  S3StoreOptions options = Options("bkt", "", S3AddressingStyle::kAuto);
  options.region = "cn-north-1";
  CHECK(Client(options)->UrlOf("k") == "https://bkt.s3.cn-north-1.amazonaws.com.cn/k");
}

TEST_CASE("a signed S3 request carries the date, payload hash, token and Authorization") {
  S3StoreOptions options = Options("bkt", "", S3AddressingStyle::kAuto);
  options.credentials.session_token = "tok";
  absl::StatusOr<HttpRequest> request = Client(options)->Sign(
      S3Call{"PUT", "pfx/k", {}, {{"Content-MD5", "x"}}, AsBytes("body"), {}, {}, "k", ""},
      absl::FromUnixSeconds(1700000000));
  REQUIRE(request.ok());
  std::map<std::string, std::string> headers(request->headers.begin(), request->headers.end());
  CHECK(headers["x-amz-date"] == "20231114T221320Z");
  CHECK(headers["x-amz-content-sha256"] == SigV4PayloadHash(AsBytes("body")));
  CHECK(headers["x-amz-security-token"] == "tok");
  CHECK(headers["Content-MD5"] == "x");
  CHECK_THAT(
      headers["Authorization"],
      Catch::StartsWith("AWS4-HMAC-SHA256 Credential=AKID/20231114/eu-west-3/s3/aws4_request, "
                        "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date;"
                        "x-amz-security-token, Signature="));
}

TEST_CASE("NewS3Store refuses options that cannot work, saying why") {
  auto error = [](S3StoreOptions options) {
    absl::StatusOr<std::unique_ptr<Store>> store = NewS3Store(std::move(options));
    REQUIRE_FALSE(store.ok());
    INFO(store.status().ToString());
    return store.status();
  };
  S3StoreOptions good = Options("bkt", "http://127.0.0.1:9", S3AddressingStyle::kAuto);
  S3StoreOptions o = good;
  o.bucket = "Bad_Bucket";
  CHECK(error(o).code() == absl::StatusCode::kInvalidArgument);
  o = good;
  o.prefix = "a//b";
  CHECK(error(o).code() == absl::StatusCode::kInvalidArgument);
  o = good;
  o.endpoint = "ftp://h";
  CHECK_THAT(std::string(error(o).message()), Catch::Contains("S3 endpoint"));
  o = good;
  o.credentials.secret_access_key.clear();
  CHECK(error(o).code() == absl::StatusCode::kUnauthenticated);
  o = good;
  o.part_size = 0;
  CHECK(error(o).code() == absl::StatusCode::kInvalidArgument);
  o = good;
  o.max_parallel_parts = 0;
  CHECK(error(o).code() == absl::StatusCode::kInvalidArgument);
  o = good;
  o.http.max_parallel_requests = 0;
  CHECK(error(o).code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<Store>> store = NewS3Store(good);
  REQUIRE(store.ok());
}

TEST_CASE("S3 part sizes grow only when an object would need more than 10,000 parts") {
  CHECK(S3EffectivePartSize(1000, 16 << 20) == 16u << 20);
  CHECK(S3EffectivePartSize(uint64_t{100} << 30, 5 << 20) == 10737419);  // ceil(100 GiB / 10,000)
  CHECK(S3EffectivePartSize(50000, 5) == 5);
}
