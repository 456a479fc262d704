// gs:// locations, bucket-name rules, endpoints and URL encoding.
#include "store/gcs_location.h"

#include <catch2/catch.hpp>
#include <string>

#include "scoped_env.h"
#include "store/gcs_store.h"

using namespace coffer;
using coffer::testing::ScopedEnv;

namespace {

std::string Message(const absl::Status& s) { return std::string(s.message()); }

}  // namespace

TEST_CASE("gs:// locations give the bucket and a prefix without stray slashes") {
  struct Case {
    const char* rest;
    const char* bucket;
    const char* prefix;
    const char* url;
  };
  for (Case c :
       {Case{"my-bucket", "my-bucket", "", "gs://my-bucket"},
        Case{"my-bucket/", "my-bucket", "", "gs://my-bucket"},
        Case{"my-bucket/backups/host1", "my-bucket", "backups/host1",
             "gs://my-bucket/backups/host1"},
        Case{"my-bucket/backups//", "my-bucket", "backups", "gs://my-bucket/backups"},
        Case{"a.b-c_d.example.com/x", "a.b-c_d.example.com", "x", "gs://a.b-c_d.example.com/x"}}) {
    INFO(c.rest);
    absl::StatusOr<GcsLocation> location = ParseGcsLocation(c.rest);
    REQUIRE(location.ok());
    CHECK(location->bucket == c.bucket);
    CHECK(location->prefix == c.prefix);
    CHECK(location->Url() == c.url);
  }
  GcsLocation with_prefix{"b-1", "p/q"};
  CHECK(with_prefix.FullName("data/ab") == "p/q/data/ab");
  GcsLocation bare{"b-1", ""};
  CHECK(bare.FullName("data/ab") == "data/ab");
}

TEST_CASE("malformed gs:// locations are InvalidArgument saying what is wrong") {
  struct Case {
    const char* rest;
    const char* says;
  };
  for (Case c :
       {Case{"", "names no bucket"}, Case{"/prefix", "names no bucket"},
        Case{"ab", "at least 3 characters"}, Case{"My-Bucket", "lower-case letters"},
        Case{"bucket name", "lower-case letters"}, Case{"user@bucket", "lower-case letters"},
        Case{"-bucket", "start and end with a letter or digit"},
        Case{"bucket-", "start and end with a letter or digit"}, Case{"a..b", "\"..\""},
        Case{"192.168.1.20", "IP address"}, Case{"goog-bucket", "\"goog\""},
        Case{"my-google-bucket", "\"google\""}, Case{"bucket/a//b", "prefix is not usable"},
        Case{"bucket/../up", "prefix is not usable"}}) {
    INFO(c.rest);
    absl::StatusOr<GcsLocation> location = ParseGcsLocation(c.rest);
    REQUIRE(location.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(location.status()), Catch::Contains(c.says));
  }
  const std::string long_name(64, 'a');
  CHECK_THAT(Message(ParseGcsLocation(long_name).status()), Catch::Contains("at most 63"));
  // Dotted names may be longer, with at most 63 characters between dots.
  CHECK(ParseGcsLocation(std::string(60, 'a') + "." + std::string(60, 'b')).ok());
  CHECK_THAT(Message(ParseGcsLocation(std::string(64, 'a') + ".b").status()),
             Catch::Contains("dot-separated part"));
}

TEST_CASE("object names are percent-encoded everywhere outside the unreserved characters") {
  CHECK(GcsPercentEncode("data/ab/3f") == "data%2Fab%2F3f");
  CHECK(GcsPercentEncode("a b+c%d?e#f&g=h") == "a%20b%2Bc%25d%3Fe%23f%26g%3Dh");
  CHECK(GcsPercentEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(GcsPercentEncode("ü") == "%C3%BC");
  CHECK(GcsPercentEncode(std::string("\t\x7f", 2)) == "%09%7F");
  CHECK(GcsObjectUrl("https://storage.googleapis.com", "b", "p/a b") ==
        "https://storage.googleapis.com/storage/v1/b/b/o/p%2Fa%20b");
  CHECK(GcsListUrl("http://127.0.0.1:9", "b") == "http://127.0.0.1:9/storage/v1/b/b/o");
  CHECK(GcsUploadUrl("http://127.0.0.1:9", "b") == "http://127.0.0.1:9/upload/storage/v1/b/b/o");
}

TEST_CASE("GCS object names must be UTF-8 of at most 1024 bytes without CR or LF") {
  CHECK(GcsNameProblem("names/ünïcödé-名前-🦀").empty());
  CHECK(GcsNameProblem("tab\tis fine").empty());
  CHECK(GcsNameProblem(std::string(1024, 'x')).empty());
  CHECK_THAT(GcsNameProblem(std::string(1025, 'x')), Catch::Contains("1024"));
  for (const std::string& bad : {std::string("\xff"), std::string("a\xc3"),  // truncated
                                 std::string("\xc0\xaf"),                    // overlong '/'
                                 std::string("\xed\xa0\x80"),                // surrogate
                                 std::string("\xf4\x90\x80\x80")})           // > U+10FFFF
    CHECK_THAT(GcsNameProblem(bad), Catch::Contains("UTF-8"));
  CHECK_THAT(GcsNameProblem("a\nb"), Catch::Contains("line feeds"));
  CHECK_THAT(GcsNameProblem("a\rb"), Catch::Contains("carriage returns"));
}

TEST_CASE("STORAGE_EMULATOR_HOST names the endpoint, http:// when no scheme is given") {
  {
    ScopedEnv env("STORAGE_EMULATOR_HOST", nullptr);
    CHECK(!GcsEmulatorEndpointFromEnvironment());
  }
  {
    ScopedEnv env("STORAGE_EMULATOR_HOST", "127.0.0.1:9199");
    CHECK(GcsEmulatorEndpointFromEnvironment() == "http://127.0.0.1:9199");
  }
  {
    ScopedEnv env("STORAGE_EMULATOR_HOST", "https://gcs.local:4443/");
    CHECK(GcsEmulatorEndpointFromEnvironment() == "https://gcs.local:4443");
  }
  CHECK(NormalizeGcsEndpoint("https://storage.googleapis.com/").value() ==
        "https://storage.googleapis.com");
  CHECK(NormalizeGcsEndpoint("ftp://x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(NormalizeGcsEndpoint("http://").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(UrlOrigin("HTTP://Host:1/upload?x=1") == "http://host:1");
  CHECK(UrlOrigin("https://h?q") == "https://h");
}

TEST_CASE("opening a gs:// location without credentials names the variables to set") {
  ScopedEnv emulator("STORAGE_EMULATOR_HOST", nullptr);
  ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", nullptr);
  ScopedEnv key("GOOGLE_APPLICATION_CREDENTIALS", nullptr);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenGcsLocation("my-bucket/repo");
  REQUIRE(store.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(store.status()), Catch::Contains("GCS store gs://my-bucket/repo"));
  CHECK_THAT(Message(store.status()), Catch::Contains("GOOGLE_APPLICATION_CREDENTIALS"));
  CHECK_THAT(Message(store.status()), Catch::Contains("GOOGLE_OAUTH_ACCESS_TOKEN"));
  // A malformed location is reported before credentials are looked for.
  CHECK(OpenGcsLocation("").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(OpenGcsLocation("UPPER").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("with STORAGE_EMULATOR_HOST a gs:// location opens without credentials") {
  ScopedEnv emulator("STORAGE_EMULATOR_HOST", "127.0.0.1:1");
  ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", nullptr);
  ScopedEnv key("GOOGLE_APPLICATION_CREDENTIALS", nullptr);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenGcsLocation("my-bucket/repo/");
  REQUIRE(store.ok());
  CHECK((*store)->Describe() == "GCS store gs://my-bucket/repo");
}

TEST_CASE("a STORAGE_EMULATOR_HOST that is no http(s) endpoint is named in the error") {
  ScopedEnv emulator("STORAGE_EMULATOR_HOST", "ftp://127.0.0.1:1");
  absl::StatusOr<std::unique_ptr<Store>> store = OpenGcsLocation("my-bucket");
  CHECK(store.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(store.status()),
             Catch::Contains("GCS store gs://my-bucket: STORAGE_EMULATOR_HOST: GCS endpoint "
                             "\"ftp://127.0.0.1:1\""));
}
