// The S3 store against a real S3 server (s3rver, started by
// tests/servers/with_servers.py; see the ctest test "store: s3 against a real
// server"). These cases are tagged [server][s3]: the normal run excludes them,
// and they fail, never skip, when the server's environment is missing.
#include "store/s3_store.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "store/s3_location.h"
#include "store_conformance.h"
#include "support/tree_builder.h"

using namespace coffer;
using coffer::testing::RandomBytes;

namespace {

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  INFO(name << " must be set (run through tests/servers/with_servers.py s3 -- ...)");
  REQUIRE(value != nullptr);
  REQUIRE(*value != '\0');
  return value;
}

// "coffer-test" from COFFER_TEST_S3_URL=s3://coffer-test.
std::string TestBucket() {
  std::string url = RequireEnv("COFFER_TEST_S3_URL");
  INFO("COFFER_TEST_S3_URL=" << url);
  REQUIRE(url.starts_with("s3://"));
  std::string bucket = url.substr(5);
  while (!bucket.empty() && bucket.back() == '/') bucket.pop_back();
  REQUIRE(!bucket.empty());
  // The endpoint and credentials come from AWS_* as a user's would.
  RequireEnv("AWS_ENDPOINT_URL");
  RequireEnv("AWS_ACCESS_KEY_ID");
  RequireEnv("AWS_SECRET_ACCESS_KEY");
  return bucket;
}

std::string UniquePrefix(std::string_view what) {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex mu;
  std::lock_guard lock(mu);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(what) + "-" + hex;
}

S3StoreOptions ServerOptions(const std::string& prefix) {
  absl::StatusOr<S3StoreOptions> options =
      ResolveS3StoreOptions(TestBucket() + "/" + prefix, ProcessEnvironment());
  INFO(options.status().ToString());
  REQUIRE(options.ok());
  return *options;
}

std::unique_ptr<Store> MustOpen(S3StoreOptions options) {
  absl::StatusOr<std::unique_ptr<Store>> store = NewS3Store(std::move(options));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

}  // namespace

TEST_CASE("S3 store keeps the Store contract against a real server, multipart included",
          "[server][s3]") {
  // Opened through the location as a user would: s3://coffer-test/conf-<random>.
  const std::string bucket = TestBucket();
  coffer::testing::StoreConformanceOptions options;
  // Several hundred MiB: well above the 64 MiB multipart threshold, so the
  // large-object check uploads 19 parts of 16 MiB in parallel.
  options.large_object_bytes = uint64_t{300} << 20;
  coffer::testing::RunStoreConformance(
      [&] {
        absl::StatusOr<std::unique_ptr<Store>> store =
            OpenS3Location(bucket + "/" + UniquePrefix("conf"));
        INFO(store.status().ToString());
        REQUIRE(store.ok());
        return std::move(*store);
      },
      options);
}

TEST_CASE("S3 store keeps the Store contract with small parts (5 MiB, S3's minimum)",
          "[server][s3]") {
  coffer::testing::StoreConformanceOptions options;
  options.large_object_bytes = uint64_t{48} << 20;  // Ten parts, the last one short.
  coffer::testing::RunStoreConformance(
      [&] {
        S3StoreOptions s3 = ServerOptions(UniquePrefix("small-parts"));
        s3.part_size = uint64_t{5} << 20;
        s3.multipart_threshold = uint64_t{5} << 20;
        s3.max_parallel_parts = 3;
        return MustOpen(std::move(s3));
      },
      options);
}

TEST_CASE("S3 store with a wrong secret key is Unauthenticated, names the store, shows no secret",
          "[server][s3]") {
  S3StoreOptions options = ServerOptions(UniquePrefix("wrong-secret"));
  const std::string wrong_secret = "WRONG-secret-Zq8xK2vN5pLr";
  options.credentials.secret_access_key = wrong_secret;
  options.credentials.session_token = "token-that-must-stay-hidden-7Hq";
  std::unique_ptr<Store> store = MustOpen(options);
  const std::string description = store->Describe();
  CHECK_THAT(description, Catch::Contains("s3://" + options.bucket + "/wrong-secret-"));
  CHECK_THAT(description, Catch::Contains(RequireEnv("AWS_ENDPOINT_URL")));

  auto check = [&](const absl::Status& s) {
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnauthenticated);
    CHECK_THAT(std::string(s.message()), Catch::Contains("S3 rejected the credentials"));
    CHECK_THAT(std::string(s.message()), Catch::Contains(description));
    CHECK_THAT(std::string(s.message()), !Catch::Contains(wrong_secret));
    CHECK_THAT(std::string(s.message()), !Catch::Contains("token-that-must-stay-hidden"));
    CHECK_THAT(std::string(s.message()), !Catch::Contains("Signature="));
  };
  SECTION("Put") {
    absl::Status s = store->Put("config", AsBytes("x"));
    check(s);
    CHECK_THAT(std::string(s.message()), Catch::Contains("config"));
    CHECK_THAT(std::string(s.message()), Catch::Contains("SignatureDoesNotMatch"));
  }
  SECTION("Get") { check(store->Get("config").status()); }
  SECTION("Stat, Delete and PutIfAbsent, which start with a bodiless HEAD") {
    check(store->Stat("config").status());
    check(store->Delete("config"));
    check(store->PutIfAbsent("locks/l1", AsBytes("x")));
  }
  SECTION("List") {
    check(store->List("", [](const ObjectInfo&) { return absl::OkStatus(); }));
  }
  SECTION("a multipart Put") {
    S3StoreOptions small = options;
    small.multipart_threshold = 1024;
    small.part_size = 1024;
    check(MustOpen(small)->Put("data/big", RandomBytes(5000, 1)));
  }
}

TEST_CASE("S3 store: an unknown access key is Unauthenticated", "[server][s3]") {
  S3StoreOptions options = ServerOptions(UniquePrefix("wrong-key"));
  options.credentials.access_key_id = "NOSUCHKEY";
  std::unique_ptr<Store> store = MustOpen(options);
  absl::Status g = store->Get("config").status();
  INFO(g.ToString());
  CHECK(g.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(std::string(g.message()), Catch::Contains("InvalidAccessKeyId"));
  CHECK_THAT(std::string(g.message()), Catch::Contains(store->Describe()));
  // HEAD answers have no body; s3rver names the error in x-amz-error-code.
  absl::Status s = store->Stat("config").status();
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("S3 store on a missing bucket is NotFound naming the bucket, and Prepare creates it",
          "[server][s3]") {
  S3StoreOptions options = ServerOptions("p");
  options.bucket = "coffer-missing-" + UniquePrefix("b").substr(2, 8);
  std::unique_ptr<Store> store = MustOpen(options);
  absl::Status s = store->Get("config").status();
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(s.message()), Catch::Contains("bucket \"" + options.bucket + "\""));
  absl::Status l = store->List("", [](const ObjectInfo&) { return absl::OkStatus(); });
  INFO(l.ToString());
  CHECK(l.code() == absl::StatusCode::kNotFound);

  absl::Status prepared = store->Prepare();
  INFO(prepared.ToString());
  REQUIRE(prepared.ok());
  COFFER_REQUIRE_OK(store->Prepare());  // Idempotent.
  COFFER_REQUIRE_OK(store->Put("config", AsBytes("now it works")));
  absl::StatusOr<Bytes> got = store->Get("config");
  COFFER_REQUIRE_OK(got.status());
  CHECK(ToString(*got) == "now it works");
}

TEST_CASE("S3 store objects live under the location's prefix, visible to another store",
          "[server][s3]") {
  const std::string prefix = UniquePrefix("layout");
  std::unique_ptr<Store> nested = MustOpen(ServerOptions(prefix + "/inner"));
  std::unique_ptr<Store> outer = MustOpen(ServerOptions(prefix));
  COFFER_REQUIRE_OK(nested->Put("data/00/x", AsBytes("nested")));
  absl::StatusOr<Bytes> got = outer->Get("inner/data/00/x");
  COFFER_REQUIRE_OK(got.status());
  CHECK(ToString(*got) == "nested");
  absl::StatusOr<ObjectInfo> info = nested->Stat("data/00/x");
  COFFER_REQUIRE_OK(info.status());
  CHECK(info->name == "data/00/x");
  // A sibling prefix that merely starts alike stays apart.
  std::unique_ptr<Store> sibling = MustOpen(ServerOptions(prefix + "/inner2"));
  int seen = 0;
  COFFER_REQUIRE_OK(sibling->List("", [&](const ObjectInfo&) {
    ++seen;
    return absl::OkStatus();
  }));
  CHECK(seen == 0);
}
