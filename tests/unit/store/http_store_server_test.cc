// The coffer-server store against a real coffer-server, started around this
// binary by tests/integration/with_coffer_server.py (plain and TLS), which
// sets COFFER_TEST_SERVER_URL (a user's path) and the credentials.
#include <atomic>
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/http_store.h"
#include "store/store_registry.h"
#include "store_conformance.h"

namespace {

std::string ServerUrl() {
  const char* url = std::getenv("COFFER_TEST_SERVER_URL");
  if (url == nullptr || *url == '\0') FAIL("COFFER_TEST_SERVER_URL is not set");
  return url;
}

// A fresh repository path per call, so each conformance section starts empty.
std::string FreshLocation() {
  static std::atomic<int> counter{0};
  static const std::string run = std::to_string(std::random_device{}());
  return absl::StrCat(ServerUrl(), "/conformance-", run, "-", counter++);
}

}  // namespace

TEST_CASE("coffer-server store keeps the Store contract", "[server][coffer-server]") {
  coffer::testing::RunStoreConformance([] {
    auto store = coffer::OpenStore(FreshLocation());
    REQUIRE(store.ok());
    return std::move(*store);
  });
}

TEST_CASE(
    "coffer-server store: wrong credentials are Unauthenticated, another user's path "
    "PermissionDenied",
    "[server][coffer-server]") {
  coffer::HttpStoreOptions options;
  options.base_url = ServerUrl() + "/creds";
  const char* user = std::getenv("COFFER_HTTP_USER");
  REQUIRE(user != nullptr);
  options.user = user;
  options.password = "not the password";
  options.http = coffer::HttpClientOptionsFromEnvironment();
  auto store = coffer::NewHttpStore(options);
  REQUIRE(store.ok());
  absl::Status s = (*store)->Put("config", coffer::AsBytes("x"));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(std::string(s.message()), Catch::Contains("COFFER_HTTP_PASSWORD"));

  std::string url = ServerUrl();
  auto other = coffer::OpenStore(url.substr(0, url.rfind('/')) + "/somebody-else/repo");
  REQUIRE(other.ok());
  s = (*other)->Put("config", coffer::AsBytes("x"));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(s.message()), Catch::Contains("may only reach"));
}

TEST_CASE("coffer-server store: a server that is not append-only allows deletes",
          "[server][coffer-server]") {
  auto store = coffer::OpenStore(FreshLocation());
  REQUIRE(store.ok());
  CHECK((*store)->CheckDeletable().ok());
}

// Run by with_coffer_server.py --append-only: the client's own requests are
// refused with a message that says why, and nothing changes.
TEST_CASE("coffer-server store on an append-only server: no overwrite, no delete",
          "[server][coffer-server-append-only]") {
  auto opened = coffer::OpenStore(FreshLocation());
  REQUIRE(opened.ok());
  coffer::Store& store = **opened;
  COFFER_REQUIRE_OK(store.Put("snapshots/s1", coffer::AsBytes("original")));
  COFFER_REQUIRE_OK(store.PutIfAbsent("data/00/p1", coffer::AsBytes("pack")));

  absl::Status s = store.Put("snapshots/s1", coffer::AsBytes("ransom"));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(s.message()), Catch::Contains("append-only"));
  s = store.Delete("snapshots/s1");
  CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(s.message()), Catch::Contains("append-only"));
  s = store.Delete("data/00/p1");
  CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  CHECK(store.PutIfAbsent("data/00/p1", coffer::AsBytes("other")).code() ==
        absl::StatusCode::kAlreadyExists);
  // The same bytes again are no change (a retried upload).
  COFFER_REQUIRE_OK(store.Put("snapshots/s1", coffer::AsBytes("original")));
  CHECK(coffer::ToString(*store.Get("snapshots/s1")) == "original");
  CHECK(coffer::ToString(*store.Get("data/00/p1")) == "pack");

  s = store.CheckDeletable();
  CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(s.message()), Catch::Contains("append-only"));

  // Lock objects come and go.
  const std::string lock = "locks/" + std::string(64, 'a');
  COFFER_REQUIRE_OK(store.PutIfAbsent(lock, coffer::AsBytes("lock")));
  COFFER_REQUIRE_OK(store.Delete(lock));
  CHECK(store.Stat(lock).status().code() == absl::StatusCode::kNotFound);
}
