#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <sodium.h>

#include <fstream>

#include <string>

#include "crypto/aead.h"

using namespace coffer;

namespace {

const Cipher kCiphers[] = {Cipher::kXChaCha20Poly1305, Cipher::kAes256Gcm};

void CheckDataLoss(const absl::StatusOr<Bytes>& result) {
  INFO(result.status().ToString());
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kDataLoss);
}

Bytes Pattern(size_t n) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 7 + 3);
  return out;
}

}  // namespace

TEST_CASE("cipher names round-trip") {
  for (Cipher c : kCiphers) CHECK(ParseCipherName(CipherName(c)) == c);
  CHECK(CipherName(Cipher::kAes256Gcm) == "aes-256-gcm");
  CHECK(CipherName(Cipher::kXChaCha20Poly1305) == "xchacha20-poly1305");
  CHECK_FALSE(ParseCipherName("aes-128-gcm").has_value());
}

TEST_CASE("envelope overhead is header, nonce and tag") {
  CHECK(EnvelopeOverhead(Cipher::kXChaCha20Poly1305) == 2 + 24 + 16);
  CHECK(EnvelopeOverhead(Cipher::kAes256Gcm) == 2 + 12 + 16);
}

TEST_CASE("aes-gcm is reported fast exactly when the cpu has AES-NI and CLMUL") {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line) && line.rfind("flags", 0) != 0) {
  }
  if (line.empty()) {
    WARN("no x86 /proc/cpuinfo flags here; skipping the comparison");
    return;
  }
  const std::string flags = line + " ";
  const bool has_aes = flags.find(" aes ") != std::string::npos;
  const bool has_clmul = flags.find(" pclmulqdq ") != std::string::npos;
  CHECK(AesGcmIsFast() == (has_aes && has_clmul));
}

TEST_CASE("sealed data opens with the same key and aad, for both ciphers") {
  const Key32 key = Key32::Random();
  for (Cipher c : kCiphers) {
    for (size_t n : {0, 1, 15, 16, 17, 1000, 1 << 20}) {
      INFO(CipherName(c) << " size " << n);
      const Bytes plaintext = Pattern(n);
      Bytes envelope = Seal(c, key, plaintext, AsBytes("pack"));
      CHECK(envelope.size() == plaintext.size() + EnvelopeOverhead(c));
      CHECK(envelope[0] == 1);
      CHECK(envelope[1] == static_cast<uint8_t>(c));
      auto opened = Open(key, envelope, AsBytes("pack"));
      REQUIRE(opened.ok());
      CHECK(*opened == plaintext);
    }
    // The default (empty) aad works too.
    auto opened = Open(key, Seal(c, key, AsBytes("hi")));
    REQUIRE(opened.ok());
    CHECK(ToString(*opened) == "hi");
  }
}

TEST_CASE("sealing the same plaintext twice gives different envelopes") {
  const Key32 key = Key32::Random();
  for (Cipher c : kCiphers) {
    CHECK(Seal(c, key, AsBytes("same")) != Seal(c, key, AsBytes("same")));
  }
}

TEST_CASE("a flipped bit anywhere in the envelope is rejected") {
  // Covers the format and cipher bytes, the nonce, the ciphertext and the tag.
  const Key32 key = Key32::Random();
  for (Cipher c : kCiphers) {
    const Bytes envelope = Seal(c, key, AsBytes("a secret worth protecting"), AsBytes("ctx"));
    int accepted = 0;
    for (size_t i = 0; i < envelope.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes tampered = envelope;
        tampered[i] ^= static_cast<uint8_t>(1 << bit);
        auto opened = Open(key, tampered, AsBytes("ctx"));
        if (opened.ok()) ++accepted;
        else CHECK(opened.status().code() == absl::StatusCode::kDataLoss);
      }
    }
    INFO(CipherName(c));
    CHECK(accepted == 0);
  }
}

TEST_CASE("the wrong key is rejected") {
  const Key32 key = Key32::Random();
  for (Cipher c : kCiphers) {
    CheckDataLoss(Open(Key32::Random(), Seal(c, key, AsBytes("data"))));
  }
}

TEST_CASE("the wrong aad is rejected") {
  const Key32 key = Key32::Random();
  for (Cipher c : kCiphers) {
    const Bytes envelope = Seal(c, key, AsBytes("data"), AsBytes("snapshot"));
    CheckDataLoss(Open(key, envelope, AsBytes("index")));
    CheckDataLoss(Open(key, envelope, AsBytes("snapshot ")));
    CheckDataLoss(Open(key, envelope));
    CheckDataLoss(Open(key, Seal(c, key, AsBytes("data")), AsBytes("snapshot")));
  }
}

TEST_CASE("a truncated envelope is rejected") {
  const Key32 key = Key32::Random();
  for (Cipher c : kCiphers) {
    const Bytes envelope = Seal(c, key, AsBytes("some plaintext"));
    for (size_t n = 0; n < envelope.size(); ++n) {
      INFO(CipherName(c) << " truncated to " << n);
      CheckDataLoss(Open(key, ByteView(envelope).first(n)));
    }
    Bytes longer = envelope;
    longer.push_back(0);
    CheckDataLoss(Open(key, longer));
  }
}

TEST_CASE("unknown format and cipher bytes are reported") {
  const Key32 key = Key32::Random();
  Bytes envelope = Seal(Cipher::kAes256Gcm, key, AsBytes("x"));
  Bytes bad_format = envelope;
  bad_format[0] = 2;
  auto r1 = Open(key, bad_format);
  CheckDataLoss(r1);
  CHECK(std::string(r1.status().message()).find("format 2") != std::string::npos);
  Bytes bad_cipher = envelope;
  bad_cipher[1] = 9;
  auto r2 = Open(key, bad_cipher);
  CheckDataLoss(r2);
  CHECK(std::string(r2.status().message()).find("cipher 9") != std::string::npos);
}

TEST_CASE("the header bytes are authenticated as part of the aad") {
  // Documents the construction: AEAD additional data = [format][cipher] || aad.
  const Key32 key = Key32::Random();
  const Bytes envelope = Seal(Cipher::kXChaCha20Poly1305, key, AsBytes("payload"), AsBytes("ad"));
  const Bytes full_aad = {envelope[0], envelope[1], 'a', 'd'};
  const uint8_t* nonce = envelope.data() + 2;
  const uint8_t* body = nonce + 24;
  const size_t body_size = envelope.size() - 2 - 24;
  Bytes plaintext(body_size - 16);
  unsigned long long n = 0;
  REQUIRE(crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext.data(), &n, nullptr, body,
                                                     body_size, full_aad.data(),
                                                     full_aad.size(), nonce, key.data()) == 0);
  CHECK(ToString(plaintext) == "payload");
  // Without the header bytes the same envelope does not authenticate.
  CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext.data(), &n, nullptr, body, body_size,
                                                   full_aad.data() + 2, 2, nonce,
                                                   key.data()) != 0);
}

TEST_CASE("the aes-gcm envelope is standard GCM over the same additional data") {
  const Key32 key = Key32::Random();
  const Bytes envelope = Seal(Cipher::kAes256Gcm, key, AsBytes("payload"), AsBytes("ad"));
  const Bytes full_aad = {envelope[0], envelope[1], 'a', 'd'};
  const uint8_t* nonce = envelope.data() + 2;
  const uint8_t* ciphertext = nonce + 12;
  const int ciphertext_size = static_cast<int>(envelope.size() - 2 - 12 - 16);
  Bytes tag(envelope.end() - 16, envelope.end());

  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  REQUIRE(ctx != nullptr);
  Bytes plaintext(static_cast<size_t>(ciphertext_size));
  int len = 0;
  uint8_t final_block[16];
  CHECK(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), nonce) == 1);
  CHECK(EVP_DecryptUpdate(ctx, nullptr, &len, full_aad.data(), 4) == 1);
  CHECK(EVP_DecryptUpdate(ctx, plaintext.data(), &len, ciphertext, ciphertext_size) == 1);
  CHECK(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1);
  CHECK(EVP_DecryptFinal_ex(ctx, final_block, &len) == 1);
  EVP_CIPHER_CTX_free(ctx);
  CHECK(ToString(plaintext) == "payload");
}

TEST_CASE("seal append adds an envelope after existing bytes") {
  const Key32 key = Key32::Random();
  for (Cipher c : kCiphers) {
    Bytes pack = ToBytes("PACKHEADER");
    SealAppend(c, key, AsBytes("first blob"), AsBytes("blob"), pack);
    const size_t first_end = pack.size();
    SealAppend(c, key, AsBytes("second"), AsBytes("blob"), pack);
    CHECK(ToString(ByteView(pack).first(10)) == "PACKHEADER");
    auto first = Open(key, ByteView(pack).subspan(10, first_end - 10), AsBytes("blob"));
    auto second = Open(key, ByteView(pack).subspan(first_end), AsBytes("blob"));
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(ToString(*first) == "first blob");
    CHECK(ToString(*second) == "second");
  }
}

TEST_CASE("seal append accepts a plaintext that lives in the output buffer") {
  const Key32 key = Key32::Random();
  for (Cipher c : kCiphers) {
    Bytes buf = Pattern(5000);
    buf.shrink_to_fit();
    SealAppend(c, key, ByteView(buf).first(4000), {}, buf);
    auto opened = Open(key, ByteView(buf).subspan(5000));
    REQUIRE(opened.ok());
    CHECK(*opened == Bytes(Pattern(4000)));
  }
}
