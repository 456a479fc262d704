#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <thread>
#include <vector>

#include "base/hex.h"
#include "hash/keyed_hash.h"

using namespace coffer;

namespace {

// HMAC pads every key shorter than the hash block (64 bytes) with zeros, so a
// short RFC key padded to the 32 bytes KeyedHasher requires is the same key.
Bytes PadKeyTo32(Bytes key) {
  key.resize(32, 0);
  return key;
}

}  // namespace

TEST_CASE("keyed hash matches HMAC-SHA-256 test vectors from RFC 4231") {
  SECTION("test case 1") {
    KeyedHasher hasher(PadKeyTo32(Bytes(20, 0x0b)));
    CHECK(hasher.Hash(AsBytes("Hi There")).Hex() ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  }
  SECTION("test case 2") {
    KeyedHasher hasher(PadKeyTo32(ToBytes("Jefe")));
    CHECK(hasher.Hash(AsBytes("what do ya want for nothing?")).Hex() ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
}

TEST_CASE("sha-256 matches the FIPS 180-2 vectors") {
  CHECK(Sha256(AsBytes("abc")).Hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256(ByteView()).Hex() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("keyed hash differs between keys and from the plain hash") {
  Bytes data = ToBytes("the same chunk of plaintext");
  KeyedHasher a(Bytes(32, 1));
  KeyedHasher b(Bytes(32, 2));
  CHECK(a.Hash(data) == a.Hash(data));
  CHECK(a.Hash(data) != b.Hash(data));
  CHECK(a.Hash(data) != Sha256(data));
  CHECK(a.Hash(data) != a.Hash(ToBytes("the same chunk of plaintexT")));
}

TEST_CASE("keyed hash of empty input is defined and keyed") {
  KeyedHasher a(Bytes(32, 1));
  KeyedHasher b(Bytes(32, 2));
  CHECK_FALSE(a.Hash(ByteView()).IsZero());
  CHECK(a.Hash(ByteView()) != b.Hash(ByteView()));
}

TEST_CASE("keyed hash gives the same answer from many threads at once") {
  KeyedHasher hasher(Bytes(32, 7));
  Bytes data(100000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + 7);
  const Id expected = hasher.Hash(data);

  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (hasher.Hash(data) != expected) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("keyed hash equals OpenSSL's one-shot HMAC-SHA-256 at every length around the block edges") {
  // Lengths 0..300 cross the 55/56/64-byte padding edges of both SHA-256
  // passes; the large one crosses many blocks. Keys of 32 and fewer bytes.
  Bytes data(70000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t key_size : {32, 20, 1}) {
    Bytes key(key_size);
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0xa0 + i);
    KeyedHasher hasher(key);
    std::vector<size_t> lengths;
    for (size_t n = 0; n <= 300; ++n) lengths.push_back(n);
    lengths.push_back(data.size());
    for (size_t n : lengths) {
      CAPTURE(key_size, n);
      uint8_t expected[32];
      unsigned int len = 0;
      static const uint8_t kZero = 0;
      REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), n == 0 ? &kZero : data.data(), n,
                   expected, &len) != nullptr);
      CHECK(hasher.Hash(ByteView(data.data(), n)) == Id::FromBytes(ByteView(expected, len)));
    }
  }
}
