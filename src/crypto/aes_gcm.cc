#include "crypto/aes_gcm.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace coffer {
namespace {

// EVP update calls take an int length.
constexpr size_t kMaxStep = size_t{1} << 30;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const EVP_CIPHER* Cipher() {
  static const EVP_CIPHER* cipher = [] {
    const EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return fetched != nullptr ? fetched : EVP_aes_256_gcm();
  }();
  return cipher;
}

Ctx Start(bool encrypt, const Key32& key, const uint8_t* nonce, ByteView aad) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || aad.size() > kMaxStep ||
      EVP_CipherInit_ex(ctx.get(), Cipher(), nullptr, key.data(), nonce, encrypt ? 1 : 0) != 1 ||
      (!aad.empty() &&
       EVP_CipherUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1))
    return nullptr;
  return ctx;
}

bool Update(EVP_CIPHER_CTX* ctx, const uint8_t* in, size_t n, uint8_t* out) {
  while (n > 0) {
    const size_t step = std::min(n, kMaxStep);
    int len = 0;
    if (EVP_CipherUpdate(ctx, out, &len, in, static_cast<int>(step)) != 1 || static_cast<size_t>(len) != step)
      return false;
    in += step;
    out += step;
    n -= step;
  }
  return true;
}

}  // namespace

void AesGcmEncrypt(const Key32& key, const uint8_t (&nonce)[kAesGcmNonceSize], ByteView aad, ByteView in,
                   uint8_t* out, uint8_t (&tag)[kAesGcmTagSize]) {
  Ctx ctx = Start(true, key, nonce, aad);
  uint8_t final_block[16];
  int len = 0;
  if (!ctx || !Update(ctx.get(), in.data(), in.size(), out) ||
      EVP_EncryptFinal_ex(ctx.get(), final_block, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAesGcmTagSize, tag) != 1) {
    // Only an allocation failure inside OpenSSL gets here; writing data
    // without a valid tag is not an option.
    std::fprintf(stderr, "coffer: AES-256-GCM encryption failed\n");
    std::abort();
  }
}

absl::Status AesGcmDecryptInPlace(const Key32& key, const uint8_t (&nonce)[kAesGcmNonceSize], ByteView aad,
                                  MutableByteView data, const uint8_t (&tag)[kAesGcmTagSize]) {
  Ctx ctx = Start(false, key, nonce, aad);
  uint8_t final_block[16];
  int len = 0;
  // The tag is set before the final call, which compares it in constant time.
  if (!ctx || !Update(ctx.get(), data.data(), data.size(), data.data()) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAesGcmTagSize, const_cast<uint8_t*>(tag)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), final_block, &len) != 1)
    return absl::DataLossError("AES-256-GCM: authentication failed");
  return absl::OkStatus();
}

}  // namespace coffer
