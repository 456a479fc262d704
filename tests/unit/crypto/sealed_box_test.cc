#include <catch2/catch.hpp>

#include <string>

#include "crypto/sealed_box.h"

using namespace coffer;

TEST_CASE("a sealed key opens with the matching key pair") {
  const KeyPair pair = KeyPair::Generate();
  const Key32 data_key = Key32::Random();
  Bytes sealed = SealKeyTo(pair.public_key, data_key);
  CHECK(sealed.size() == kSealedKeySize);
  auto opened = OpenSealedKey(pair, sealed);
  REQUIRE(opened.ok());
  CHECK(*opened == data_key);
  // Sealing is randomized: the same key seals differently each time.
  CHECK(SealKeyTo(pair.public_key, data_key) != sealed);
}

TEST_CASE("a key sealed to another pair is rejected") {
  const KeyPair pair = KeyPair::Generate();
  const KeyPair other = KeyPair::Generate();
  Bytes sealed = SealKeyTo(pair.public_key, Key32::Random());
  auto opened = OpenSealedKey(other, sealed);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("a tampered or mis-sized sealed key is rejected") {
  const KeyPair pair = KeyPair::Generate();
  const Bytes sealed = SealKeyTo(pair.public_key, Key32::Random());
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x40;
    auto opened = OpenSealedKey(pair, tampered);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == absl::StatusCode::kDataLoss);
  }
  auto short_result = OpenSealedKey(pair, ByteView(sealed).first(79));
  REQUIRE_FALSE(short_result.ok());
  CHECK(short_result.status().code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(short_result.status().message()).find("79") != std::string::npos);
  Bytes longer = sealed;
  longer.push_back(0);
  CHECK(OpenSealedKey(pair, longer).status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("the public key is derived from the secret key") {
  const KeyPair pair = KeyPair::Generate();
  const KeyPair derived = KeyPair::FromSecret(pair.secret_key);
  CHECK(derived.public_key == pair.public_key);
  CHECK(derived.secret_key == pair.secret_key);
  CHECK_FALSE(KeyPair::Generate().public_key == pair.public_key);
  // A pair rebuilt from the secret alone opens what was sealed to the original.
  const Key32 data_key = Key32::Random();
  auto opened = OpenSealedKey(derived, SealKeyTo(pair.public_key, data_key));
  REQUIRE(opened.ok());
  CHECK(*opened == data_key);
}

TEST_CASE("sealing to an unusable public key yields no bytes") {
  CHECK(SealKeyTo(Key32(), Key32::Random()).empty());
}
