// Access tokens: the JWT-bearer exchange against an in-process token
// endpoint (which verifies the signature with the public key), caching,
// refresh before expiry on a fake clock, refusals, and the environment.
#include "store/gcs_credentials.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gcs_fake_server.h"
#include "gcs_test_keys.h"
#include "scoped_env.h"
#include "support/temp_dir.h"

using namespace coffer;
using namespace coffer::testing;

namespace {

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// A clock the test moves by hand.
struct FakeClock {
  std::mutex mu;
  absl::Time now = absl::FromUnixSeconds(1700000000);
  absl::Time Now() {
    std::lock_guard lock(mu);
    return now;
  }
  void Advance(absl::Duration d) {
    std::lock_guard lock(mu);
    now += d;
  }
};

std::shared_ptr<GcsTokenSource> NewSource(const FakeTokenEndpoint& endpoint, FakeClock& clock) {
  absl::StatusOr<ServiceAccountKey> key =
      ParseServiceAccountKey(ServiceAccountJson(endpoint.Url()).dump(), "test key");
  REQUIRE(key.ok());
  ServiceAccountTokenOptions options;
  options.clock = [&clock] { return clock.Now(); };
  absl::StatusOr<std::shared_ptr<GcsTokenSource>> source =
      NewServiceAccountTokenSource(*std::move(key), options);
  REQUIRE(source.ok());
  return *source;
}

std::string MustToken(GcsTokenSource& source) {
  absl::StatusOr<std::string> token = source.Token();
  INFO(token.status().ToString());
  REQUIRE(token.ok());
  return *token;
}

// Neither the private key nor any part of an assertion the endpoint saw.
void CheckNoSecrets(const absl::Status& s, FakeTokenEndpoint& endpoint) {
  INFO(s.ToString());
  for (const std::string& fragment : KeyFragments(TestKey().private_pem))
    CHECK_THAT(Message(s), !Catch::Contains(fragment));
  for (const std::string& assertion : endpoint.Assertions()) {
    REQUIRE(assertion.size() > 100);
    for (size_t at = 0; at + 20 < assertion.size(); at += 20)
      CHECK_THAT(Message(s), !Catch::Contains(assertion.substr(at, 20)));
  }
  CHECK_THAT(Message(s), !Catch::Contains("ya29."));
}

}  // namespace

TEST_CASE("a service-account JWT is exchanged for an access token at the key's token_uri") {
  FakeTokenEndpoint endpoint;
  FakeClock clock;
  std::shared_ptr<GcsTokenSource> source = NewSource(endpoint, clock);
  CHECK(endpoint.Requests() == 0);  // Nothing is fetched before it is needed.
  CHECK(MustToken(*source) == "ya29.fake-token-1");
  REQUIRE(endpoint.Requests() == 1);
  CHECK(endpoint.GrantTypes()[0] == "urn:ietf:params:oauth:grant-type:jwt-bearer");
  CHECK(endpoint.ContentTypes()[0] == "application/x-www-form-urlencoded");
  // The endpoint verified the signature; these are the claims it accepted.
  nlohmann::json claims = endpoint.Claims().at(0);
  CHECK(claims["scope"] == "https://www.googleapis.com/auth/devstorage.read_write");
  CHECK(claims["aud"] == endpoint.Url());
  CHECK(claims["iat"] == 1700000000);
  CHECK(claims["exp"] == 1700003600);
  CHECK_THAT(source->Describe(), Catch::Contains(kTestClientEmail));
}

TEST_CASE("an access token is cached and refreshed once less than 5 minutes remain") {
  FakeTokenEndpoint endpoint;
  FakeClock clock;
  std::shared_ptr<GcsTokenSource> source = NewSource(endpoint, clock);
  CHECK(MustToken(*source) == "ya29.fake-token-1");
  clock.Advance(absl::Minutes(54));  // 6 minutes left: still good.
  CHECK(MustToken(*source) == "ya29.fake-token-1");
  CHECK(endpoint.Requests() == 1);
  clock.Advance(absl::Minutes(1) + absl::Seconds(1));  // 4:59 left: refresh.
  CHECK(MustToken(*source) == "ya29.fake-token-2");
  CHECK(endpoint.Requests() == 2);
  CHECK(endpoint.Claims().at(1)["iat"] == 1700000000 + 55 * 60 + 1);
  CHECK(MustToken(*source) == "ya29.fake-token-2");
  CHECK(endpoint.Requests() == 2);

  SECTION("a failed early refresh keeps using the token until it expires") {
    endpoint.mode = FakeTokenEndpoint::Mode::kUnavailable;
    clock.Advance(absl::Minutes(56));  // 4 minutes left on token 2.
    CHECK(MustToken(*source) == "ya29.fake-token-2");
    clock.Advance(absl::Minutes(5));  // Expired.
    absl::StatusOr<std::string> token = source->Token();
    CHECK(token.status().code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(Message(token.status()), Catch::Contains(endpoint.Url()));
  }
  SECTION("a token living under 10 minutes is refreshed halfway, not on every call") {
    endpoint.expires_in = 400;
    clock.Advance(absl::Minutes(60));
    CHECK(MustToken(*source) == "ya29.fake-token-3");
    clock.Advance(absl::Seconds(199));  // 201 s left.
    CHECK(MustToken(*source) == "ya29.fake-token-3");
    clock.Advance(absl::Seconds(2));  // 199 s left.
    CHECK(MustToken(*source) == "ya29.fake-token-4");
  }
}

TEST_CASE("a refused token is dropped, but a newer one is not") {
  FakeTokenEndpoint endpoint;
  FakeClock clock;
  std::shared_ptr<GcsTokenSource> source = NewSource(endpoint, clock);
  const std::string first = MustToken(*source);
  CHECK(source->Invalidate(first));
  const std::string second = MustToken(*source);
  CHECK(second == "ya29.fake-token-2");
  // A thread reporting the old token late must not drop the new one.
  source->Invalidate(first);
  CHECK(MustToken(*source) == second);
  CHECK(endpoint.Requests() == 2);
}

TEST_CASE("concurrent callers share one token fetch") {
  FakeTokenEndpoint endpoint;
  FakeClock clock;
  std::shared_ptr<GcsTokenSource> source = NewSource(endpoint, clock);
  std::vector<absl::StatusOr<std::string>> tokens(8, absl::UnknownError("not run"));
  std::latch start(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      tokens[t] = source->Token();
    });
  for (std::thread& thread : threads) thread.join();
  for (const auto& token : tokens) CHECK(token.value_or("") == "ya29.fake-token-1");
  CHECK(endpoint.Requests() == 1);
}

TEST_CASE("a token endpoint refusing the JWT is Unauthenticated, naming the endpoint, no secrets") {
  FakeTokenEndpoint endpoint;
  FakeClock clock;
  std::shared_ptr<GcsTokenSource> source = NewSource(endpoint, clock);
  endpoint.mode = FakeTokenEndpoint::Mode::kRefuse;
  absl::StatusOr<std::string> token = source->Token();
  REQUIRE(token.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(token.status()), Catch::Contains("token endpoint " + endpoint.Url()));
  CHECK_THAT(Message(token.status()), Catch::Contains(kTestClientEmail));
  CHECK_THAT(Message(token.status()), Catch::Contains("invalid_grant: Invalid JWT Signature."));
  CheckNoSecrets(token.status(), endpoint);
}

TEST_CASE("malformed or failing token endpoint replies are clear errors") {
  FakeTokenEndpoint endpoint;
  FakeClock clock;
  std::shared_ptr<GcsTokenSource> source = NewSource(endpoint, clock);
  struct Case {
    FakeTokenEndpoint::Mode mode;
    absl::StatusCode code;
    const char* says;
  };
  for (Case c :
       {Case{FakeTokenEndpoint::Mode::kUnavailable, absl::StatusCode::kUnavailable, "HTTP 503"},
        Case{FakeTokenEndpoint::Mode::kNotJson, absl::StatusCode::kUnavailable,
             "not a JSON object"},
        Case{FakeTokenEndpoint::Mode::kNoToken, absl::StatusCode::kUnavailable,
             "no well-formed \"access_token\""}}) {
    endpoint.mode = c.mode;
    absl::StatusOr<std::string> token = source->Token();
    INFO(token.status().ToString());
    CHECK(token.status().code() == c.code);
    CHECK_THAT(Message(token.status()), Catch::Contains(c.says));
    CHECK_THAT(Message(token.status()), Catch::Contains(endpoint.Url()));
    CheckNoSecrets(token.status(), endpoint);
  }
}

TEST_CASE("an unreachable token endpoint is Unavailable naming it") {
  absl::StatusOr<ServiceAccountKey> key =
      ParseServiceAccountKey(ServiceAccountJson("http://127.0.0.1:1/token").dump(), "test key");
  REQUIRE(key.ok());
  absl::StatusOr<std::shared_ptr<GcsTokenSource>> source =
      NewServiceAccountTokenSource(*std::move(key));
  REQUIRE(source.ok());
  absl::StatusOr<std::string> token = (*source)->Token();
  CHECK(token.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(Message(token.status()), Catch::Contains("http://127.0.0.1:1/token"));
}

TEST_CASE("credentials come from GOOGLE_OAUTH_ACCESS_TOKEN, then GOOGLE_APPLICATION_CREDENTIALS") {
  TempDir dir;
  const std::string key_path = (dir.path() / "sa.json").string();
  std::ofstream(key_path) << ServiceAccountJson("http://127.0.0.1:1/token").dump();

  SECTION("an access token wins and is used as given (trimmed)") {
    ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", " ya29.given-token\n");
    ScopedEnv key("GOOGLE_APPLICATION_CREDENTIALS", key_path.c_str());
    absl::StatusOr<std::shared_ptr<GcsTokenSource>> source = GcsTokenSourceFromEnvironment();
    REQUIRE(source.ok());
    CHECK(MustToken(**source) == "ya29.given-token");
    CHECK((*source)->Describe() == "access token from GOOGLE_OAUTH_ACCESS_TOKEN");
    CHECK(!(*source)->Invalidate("ya29.given-token"));  // Nothing to refresh it from.
  }
  SECTION("an access token with inner spaces is refused without being echoed") {
    ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.bad token");
    absl::StatusOr<std::shared_ptr<GcsTokenSource>> source = GcsTokenSourceFromEnvironment();
    CHECK(source.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(source.status()), !Catch::Contains("ya29"));
  }
  SECTION("a key file") {
    ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", nullptr);
    ScopedEnv key("GOOGLE_APPLICATION_CREDENTIALS", key_path.c_str());
    absl::StatusOr<std::shared_ptr<GcsTokenSource>> source = GcsTokenSourceFromEnvironment();
    REQUIRE(source.ok());
    CHECK_THAT((*source)->Describe(), Catch::Contains(key_path));
  }
  SECTION("a key file that is missing names the variable and the file") {
    ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", nullptr);
    const std::string missing = (dir.path() / "nope.json").string();
    ScopedEnv key("GOOGLE_APPLICATION_CREDENTIALS", missing.c_str());
    absl::StatusOr<std::shared_ptr<GcsTokenSource>> source = GcsTokenSourceFromEnvironment();
    CHECK(source.status().code() == absl::StatusCode::kNotFound);
    CHECK_THAT(Message(source.status()), Catch::Contains("GOOGLE_APPLICATION_CREDENTIALS"));
    CHECK_THAT(Message(source.status()), Catch::Contains(missing));
  }
  SECTION("neither: Unauthenticated naming both") {
    ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", nullptr);
    ScopedEnv key("GOOGLE_APPLICATION_CREDENTIALS", nullptr);
    absl::StatusOr<std::shared_ptr<GcsTokenSource>> source = GcsTokenSourceFromEnvironment();
    CHECK(source.status().code() == absl::StatusCode::kUnauthenticated);
    CHECK_THAT(Message(source.status()), Catch::Contains("GOOGLE_APPLICATION_CREDENTIALS"));
    CHECK_THAT(Message(source.status()), Catch::Contains("GOOGLE_OAUTH_ACCESS_TOKEN"));
  }
}
