// The coffer-server store's location parsing and name escaping (no server
// needed; the protocol itself is tested against coffer-server).
#include "store/http_store.h"

#include <catch2/catch.hpp>

#include "scoped_env.h"
#include "store/store_registry.h"

TEST_CASE("http store escapes every byte but unreserved ones and '/'") {
  CHECK(coffer::HttpStorePathEscape("data/ab/0123") == "data/ab/0123");
  CHECK(coffer::HttpStorePathEscape("names/a b+c%d?e#f") == "names/a%20b%2Bc%25d%3Fe%23f");
  CHECK(coffer::HttpStorePathEscape("ü\t") == "%C3%BC%09");
}

TEST_CASE("http store locations: path required, no password in the URL") {
  coffer::testing::ScopedEnv user("COFFER_HTTP_USER", nullptr);
  coffer::testing::ScopedEnv password("COFFER_HTTP_PASSWORD", nullptr);
  CHECK(coffer::OpenStore("http://127.0.0.1:1/alice").ok());
  CHECK(coffer::OpenStore("https://127.0.0.1:1/alice/repo/").ok());
  for (const char* bad : {"http://127.0.0.1:1", "http://127.0.0.1:1/", "http://host/a/../b",
                          "http:///alice", "http://host/a?x=1"}) {
    INFO(bad);
    CHECK(coffer::OpenStore(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  auto with_password = coffer::OpenStore("https://alice:secret@127.0.0.1:1/alice");
  CHECK(with_password.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(with_password.status().message()), !Catch::Contains("secret"));
  CHECK_THAT(std::string(with_password.status().message()),
             Catch::Contains("COFFER_HTTP_PASSWORD"));
}

TEST_CASE("http store: a user without a password is refused at open") {
  coffer::testing::ScopedEnv user("COFFER_HTTP_USER", "alice");
  coffer::testing::ScopedEnv password("COFFER_HTTP_PASSWORD", nullptr);
  auto store = coffer::OpenStore("http://127.0.0.1:1/alice");
  CHECK(store.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("http store: an unreachable server is Unavailable naming the store") {
  coffer::testing::ScopedEnv user("COFFER_HTTP_USER", nullptr);
  coffer::HttpStoreOptions options;
  options.base_url = "http://127.0.0.1:1/alice";
  auto store = coffer::NewHttpStore(options);
  REQUIRE(store.ok());
  auto got = (*store)->Get("config");
  CHECK(got.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(got.status().message()), Catch::Contains("coffer-server store"));
}
