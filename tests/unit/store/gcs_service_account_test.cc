// Service-account key files and the RS256 JWT signed with them. The key is
// generated with OpenSSL in the test; signatures are verified with its public
// half only.
#include "store/gcs_service_account.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "gcs_test_keys.h"
#include "support/temp_dir.h"

using namespace coffer;
using namespace coffer::testing;

namespace {

std::string Message(const absl::Status& s) { return std::string(s.message()); }

void CheckNoKeyMaterial(const absl::Status& s) {
  for (const std::string& fragment : KeyFragments(TestKey().private_pem)) {
    INFO(s.ToString());
    CHECK_THAT(Message(s), !Catch::Contains(fragment));
  }
  CHECK_THAT(Message(s), !Catch::Contains("BEGIN PRIVATE KEY"));
}

}  // namespace

TEST_CASE("a service-account key file is parsed into its parts") {
  absl::StatusOr<ServiceAccountKey> key =
      ParseServiceAccountKey(ServiceAccountJson("https://oauth2.example/token").dump(), "test key");
  REQUIRE(key.ok());
  CHECK(key->client_email == kTestClientEmail);
  CHECK(key->private_key_id == kTestKeyId);
  CHECK(key->token_uri == "https://oauth2.example/token");
  CHECK(key->private_key != nullptr);

  SECTION("token_uri defaults to Google's endpoint") {
    nlohmann::json doc = ServiceAccountJson("x");
    doc.erase("token_uri");
    absl::StatusOr<ServiceAccountKey> parsed = ParseServiceAccountKey(doc.dump(), "test key");
    REQUIRE(parsed.ok());
    CHECK(parsed->token_uri == "https://oauth2.googleapis.com/token");
  }
}

TEST_CASE("key file problems name the file and the field, never the key") {
  TempDir dir;
  const std::string path = (dir.path() / "key.json").string();
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  auto load_error = [&]() {
    absl::StatusOr<ServiceAccountKey> key = LoadServiceAccountKey(path);
    REQUIRE(!key.ok());
    CHECK_THAT(Message(key.status()), Catch::Contains(path));
    CheckNoKeyMaterial(key.status());
    return key.status();
  };

  SECTION("a file that does not exist") {
    CHECK(load_error().code() == absl::StatusCode::kNotFound);
  }
  SECTION("a directory") {
    std::filesystem::create_directory(path);
    CHECK_THAT(Message(load_error()), Catch::Contains("is a directory"));
  }
  SECTION("an empty file") {
    write("");
    CHECK_THAT(Message(load_error()), Catch::Contains("not valid JSON"));
  }
  SECTION("malformed JSON, with the error right after the private key") {
    // nlohmann's own message quotes the text it choked on: it must not be used.
    std::string text = ServiceAccountJson("https://t").dump();
    text.insert(text.find(TestKey().private_pem.substr(200, 24)) + 24, "\"garbage");
    write(text);
    absl::Status s = load_error();
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(s), Catch::Contains("not valid JSON"));
  }
  for (const char* field : {"type", "client_email", "private_key"}) {
    SECTION(std::string("missing field ") + field) {
      nlohmann::json doc = ServiceAccountJson("https://t");
      doc.erase(field);
      write(doc.dump());
      absl::Status s = load_error();
      CHECK(s.code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(Message(s), Catch::Contains(std::string("missing field \"") + field + "\""));
    }
  }
  SECTION("a field of the wrong type") {
    nlohmann::json doc = ServiceAccountJson("https://t");
    doc["client_email"] = 42;
    write(doc.dump());
    CHECK_THAT(Message(load_error()), Catch::Contains("\"client_email\" is not a string"));
  }
  SECTION("a user credential instead of a service account") {
    write(R"({"type": "authorized_user", "client_id": "x", "refresh_token": "y"})");
    CHECK_THAT(Message(load_error()), Catch::Contains("only \"service_account\""));
  }
  SECTION("a private key that is not PEM") {
    nlohmann::json doc = ServiceAccountJson("https://t");
    std::string pem = TestKey().private_pem;
    pem[pem.size() / 2] = '!';  // Not base64: the PEM cannot decode.
    doc["private_key"] = pem;
    write(doc.dump());
    CHECK_THAT(Message(load_error()), Catch::Contains("\"private_key\" is not a PEM private key"));
  }
  SECTION("a key that is not RSA") {
    EVP_PKEY* ec = EVP_EC_gen("P-256");
    REQUIRE(ec != nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    nlohmann::json doc = ServiceAccountJson("https://t", std::string(data, length));
    BIO_free(bio);
    EVP_PKEY_free(ec);
    write(doc.dump());
    CHECK_THAT(Message(load_error()), Catch::Contains("not an RSA key"));
  }
  SECTION("a token_uri that is not a URL") {
    write(ServiceAccountJson("oauth2.googleapis.com/token").dump());
    CHECK_THAT(Message(load_error()), Catch::Contains("\"token_uri\""));
  }
}

TEST_CASE("the service-account JWT is RS256-signed, base64url without padding, with the claims") {
  absl::StatusOr<ServiceAccountKey> key =
      ParseServiceAccountKey(ServiceAccountJson("https://oauth2.example/token").dump(), "test key");
  REQUIRE(key.ok());
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  absl::StatusOr<std::string> jwt =
      MakeServiceAccountJwt(*key, "https://www.googleapis.com/auth/devstorage.read_write", now);
  REQUIRE(jwt.ok());
  CHECK(jwt->find_first_of("+/= \n") == std::string::npos);

  DecodedJwt decoded = DecodeJwt(*jwt);
  CHECK(decoded.header == nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kTestKeyId}});
  CHECK(decoded.claims ==
        nlohmann::json{{"iss", kTestClientEmail},
                       {"scope", "https://www.googleapis.com/auth/devstorage.read_write"},
                       {"aud", "https://oauth2.example/token"},
                       {"iat", 1700000000},
                       {"exp", 1700003600}});
  CHECK(decoded.signature.size() == 256);  // 2048-bit RSA.
  std::shared_ptr<EVP_PKEY> public_key = PublicKeyOf(TestKey().key.get());
  CHECK(VerifyRs256(decoded, public_key.get()));

  SECTION("the signature fails for other claims or another key") {
    DecodedJwt tampered = decoded;
    tampered.signing_input[tampered.signing_input.size() - 1] ^= 1;
    CHECK(!VerifyRs256(tampered, public_key.get()));
    CHECK(!VerifyRs256(decoded, PublicKeyOf(OtherTestKey().key.get()).get()));
  }
}

TEST_CASE("base64url has no padding and uses - and _") {
  CHECK(Base64UrlEncode(AsBytes("")) == "");
  CHECK(Base64UrlEncode(AsBytes("f")) == "Zg");
  CHECK(Base64UrlEncode(AsBytes("fo")) == "Zm8");
  CHECK(Base64UrlEncode(AsBytes("foo")) == "Zm9v");
  const uint8_t high[] = {0xfb, 0xff, 0xbf};
  CHECK(Base64UrlEncode(ByteView(high, 3)) == "-_-_");
}
