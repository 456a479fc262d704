// Test helpers for GCS credentials: an RSA key generated with OpenSSL (once
// per process), the service-account key JSON around it, and JWT decoding and
// RS256 verification with the public key.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace coffer::testing {

struct TestRsaKey {
  std::shared_ptr<EVP_PKEY> key;
  std::string private_pem;  // PKCS#8, "-----BEGIN PRIVATE KEY-----" as Google issues them.
};

inline TestRsaKey GenerateRsaKey() {
  EVP_PKEY* raw = EVP_RSA_gen(2048);
  REQUIRE(raw != nullptr);
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(bio, raw, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  return TestRsaKey{key, pem};
}

// One key for all tests: generating 2048-bit keys takes a while.
inline const TestRsaKey& TestKey() {
  static const TestRsaKey key = GenerateRsaKey();
  return key;
}

inline const TestRsaKey& OtherTestKey() {
  static const TestRsaKey key = GenerateRsaKey();
  return key;
}

inline constexpr const char* kTestClientEmail =
    "coffer-test@coffer-project.iam.gserviceaccount.com";
inline constexpr const char* kTestKeyId = "0123456789abcdef0123456789abcdef01234567";

inline nlohmann::json ServiceAccountJson(const std::string& token_uri,
                                         const std::string& pem = TestKey().private_pem) {
  return {{"type", "service_account"},
          {"project_id", "coffer-project"},
          {"private_key_id", kTestKeyId},
          {"private_key", pem},
          {"client_email", kTestClientEmail},
          {"client_id", "123456789"},
          {"token_uri", token_uri}};
}

// A few characters from the middle of the PEM body: if a message holds any
// part of the key, it holds these.
inline std::vector<std::string> KeyFragments(const std::string& pem) {
  std::vector<std::string> out;
  for (size_t at = 100; at + 24 < pem.size() - 40; at += 200) out.push_back(pem.substr(at, 24));
  return out;
}

inline std::optional<std::string> Base64UrlDecode(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(length);
  return out;
}

struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signing_input;  // "header.claims" as sent
  std::string signature;      // raw bytes
  std::vector<std::string> parts;
};

inline DecodedJwt DecodeJwt(const std::string& jwt) {
  DecodedJwt out;
  size_t start = 0;
  while (true) {
    size_t dot = jwt.find('.', start);
    out.parts.push_back(
        jwt.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  REQUIRE(out.parts.size() == 3);
  std::optional<std::string> header = Base64UrlDecode(out.parts[0]);
  std::optional<std::string> claims = Base64UrlDecode(out.parts[1]);
  std::optional<std::string> signature = Base64UrlDecode(out.parts[2]);
  REQUIRE(header);
  REQUIRE(claims);
  REQUIRE(signature);
  out.header = nlohmann::json::parse(*header);
  out.claims = nlohmann::json::parse(*claims);
  out.signing_input = out.parts[0] + "." + out.parts[1];
  out.signature = *signature;
  return out;
}

// The public half alone (written as a PUBKEY PEM and read back), so a
// verification cannot lean on the private key.
inline std::shared_ptr<EVP_PKEY> PublicKeyOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PUBKEY(bio, key) == 1);
  EVP_PKEY* pub = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(pub != nullptr);
  return std::shared_ptr<EVP_PKEY>(pub, EVP_PKEY_free);
}

// RSASSA-PKCS1-v1_5 with SHA-256, checked with a public key.
inline bool VerifyRs256(const DecodedJwt& jwt, EVP_PKEY* key) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(jwt.signature.data()),
                          jwt.signature.size(),
                          reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                          jwt.signing_input.size()) == 1;
}

}  // namespace coffer::testing
