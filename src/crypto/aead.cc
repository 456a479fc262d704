// AEAD envelope: [format = 1][cipher][nonce][ciphertext || 16-byte tag].
//
// The additional data given to the AEAD is the two header bytes followed by
// the caller's aad, so a changed format or cipher byte fails authentication
// just like a changed ciphertext byte (the header is fixed-size, so the
// concatenation is unambiguous).
#include "crypto/aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "crypto/sodium_init.h"

namespace coffer {
namespace {

constexpr uint8_t kFormat = 1;
constexpr size_t kHeaderSize = 2;
constexpr size_t kTagSize = 16;
constexpr size_t kXChaChaNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kGcmNonceSize = 12;
// EVP update calls take an int length.
constexpr size_t kMaxEvpStep = size_t{1} << 30;

static_assert(kXChaChaNonceSize == 24);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kTagSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == Key32::kSize);

[[noreturn]] void Fatal(const char* what) {
  std::fprintf(stderr, "coffer: %s\n", what);
  std::abort();
}

std::optional<size_t> NonceSize(uint8_t cipher) {
  switch (cipher) {
    case static_cast<uint8_t>(Cipher::kXChaCha20Poly1305):
      return kXChaChaNonceSize;
    case static_cast<uint8_t>(Cipher::kAes256Gcm):
      return kGcmNonceSize;
  }
  return std::nullopt;
}

Bytes FullAad(const uint8_t* header, ByteView aad) {
  Bytes full(kHeaderSize + aad.size());
  std::copy_n(header, kHeaderSize, full.begin());
  std::copy(aad.begin(), aad.end(), full.begin() + kHeaderSize);
  return full;
}

// OpenSSL 3 resolves the legacy EVP_aes_256_gcm() handle through its provider
// store on every init; fetching once avoids that per-call lookup.
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* cipher = [] {
    const EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return fetched != nullptr ? fetched : EVP_aes_256_gcm();
  }();
  return cipher;
}

struct EvpCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using EvpCtx = std::unique_ptr<EVP_CIPHER_CTX, EvpCtxFree>;

// Starts an AES-256-GCM operation and feeds it the additional data.
EvpCtx StartGcm(bool encrypt, const Key32& key, const uint8_t* nonce, const uint8_t* header,
                ByteView aad) {
  EvpCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), Aes256Gcm(), nullptr, key.data(), nonce, encrypt ? 1 : 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), nullptr, &len, header, kHeaderSize) != 1 ||
      (!aad.empty() && EVP_CipherUpdate(ctx.get(), nullptr, &len, aad.data(),
                                        static_cast<int>(aad.size())) != 1)) {
    return nullptr;
  }
  return ctx;
}

// Runs the cipher over `n` bytes (in steps that fit an int). Output must not
// be null: with a null output EVP treats the input as additional data.
bool GcmUpdate(EVP_CIPHER_CTX* ctx, const uint8_t* in, size_t n, uint8_t* out) {
  while (n > 0) {
    const size_t step = std::min(n, kMaxEvpStep);
    int len = 0;
    if (EVP_CipherUpdate(ctx, out, &len, in, static_cast<int>(step)) != 1 ||
        static_cast<size_t>(len) != step) {
      return false;
    }
    in += step;
    out += step;
    n -= step;
  }
  return true;
}

void SealGcm(const Key32& key, const uint8_t* header, const uint8_t* nonce, ByteView plaintext,
             ByteView aad, uint8_t* out) {
  if (aad.size() > static_cast<size_t>(INT32_MAX)) Fatal("AES-GCM aad too large");
  EvpCtx ctx = StartGcm(true, key, nonce, header, aad);
  int len = 0;
  if (!ctx || !GcmUpdate(ctx.get(), plaintext.data(), plaintext.size(), out) ||
      EVP_EncryptFinal_ex(ctx.get(), out + plaintext.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          out + plaintext.size()) != 1) {
    // Only an allocation failure inside OpenSSL gets here; Seal has no error
    // path, and emitting an unauthenticated envelope is not an option.
    Fatal("AES-256-GCM encryption failed");
  }
}

bool OpenGcm(const Key32& key, const uint8_t* header, const uint8_t* nonce, ByteView ciphertext,
             const uint8_t* tag, ByteView aad, uint8_t* out) {
  if (aad.size() > static_cast<size_t>(INT32_MAX)) return false;
  EvpCtx ctx = StartGcm(false, key, nonce, header, aad);
  uint8_t final_block[16];
  int len = 0;
  // The tag is set before the final call, which compares it in constant time.
  return ctx && GcmUpdate(ctx.get(), ciphertext.data(), ciphertext.size(), out) &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                             const_cast<uint8_t*>(tag)) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), final_block, &len) == 1;
}

bool Overlaps(ByteView a, const Bytes& b) {
  if (a.empty() || b.empty()) return false;
  const uint8_t* b_begin = b.data();
  const uint8_t* b_end = b.data() + b.capacity();
  return a.data() < b_end && b_begin < a.data() + a.size();
}

absl::Status Corrupt(const std::string& what) {
  return absl::DataLossError(absl::StrCat("encrypted envelope ", what));
}

}  // namespace

std::string_view CipherName(Cipher cipher) {
  switch (cipher) {
    case Cipher::kXChaCha20Poly1305:
      return "xchacha20-poly1305";
    case Cipher::kAes256Gcm:
      return "aes-256-gcm";
  }
  return "unknown";
}

std::optional<Cipher> ParseCipherName(std::string_view name) {
  for (Cipher c : {Cipher::kXChaCha20Poly1305, Cipher::kAes256Gcm}) {
    if (name == CipherName(c)) return c;
  }
  return std::nullopt;
}

bool AesGcmIsFast() {
  crypto_internal::EnsureSodiumInitialized();
  return sodium_runtime_has_aesni() && sodium_runtime_has_pclmul();
}

size_t EnvelopeOverhead(Cipher cipher) {
  const std::optional<size_t> nonce = NonceSize(static_cast<uint8_t>(cipher));
  if (!nonce) Fatal("EnvelopeOverhead: unknown cipher");
  return kHeaderSize + *nonce + kTagSize;
}

Bytes Seal(Cipher cipher, const Key32& key, ByteView plaintext, ByteView aad) {
  Bytes out;
  out.reserve(EnvelopeOverhead(cipher) + plaintext.size());
  SealAppend(cipher, key, plaintext, aad, out);
  return out;
}

void SealAppend(Cipher cipher, const Key32& key, ByteView plaintext, ByteView aad, Bytes& out) {
  // Growing `out` may move its storage; inputs that live inside it are copied
  // first so they stay valid.
  if (Overlaps(plaintext, out) || Overlaps(aad, out)) {
    const Bytes plaintext_copy(plaintext.begin(), plaintext.end());
    const Bytes aad_copy(aad.begin(), aad.end());
    SealAppend(cipher, key, plaintext_copy, aad_copy, out);
    return;
  }
  const size_t nonce_size = EnvelopeOverhead(cipher) - kHeaderSize - kTagSize;
  crypto_internal::EnsureSodiumInitialized();

  const size_t start = out.size();
  out.resize(start + EnvelopeOverhead(cipher) + plaintext.size());
  uint8_t* header = out.data() + start;
  header[0] = kFormat;
  header[1] = static_cast<uint8_t>(cipher);
  uint8_t* nonce = header + kHeaderSize;
  randombytes_buf(nonce, nonce_size);
  uint8_t* body = nonce + nonce_size;

  if (cipher == Cipher::kAes256Gcm) {
    SealGcm(key, header, nonce, plaintext, aad, body);
    return;
  }
  const Bytes full_aad = FullAad(header, aad);
  unsigned long long written = 0;
  static const uint8_t kEmpty = 0;  // a valid input pointer for an empty plaintext
  const uint8_t* in = plaintext.empty() ? &kEmpty : plaintext.data();
  crypto_aead_xchacha20poly1305_ietf_encrypt(body, &written, in, plaintext.size(),
                                             full_aad.data(), full_aad.size(), nullptr, nonce,
                                             key.data());
}

absl::StatusOr<Bytes> Open(const Key32& key, ByteView envelope, ByteView aad) {
  if (envelope.size() < kHeaderSize) {
    return Corrupt(absl::StrCat("is truncated (", envelope.size(), " bytes)"));
  }
  const uint8_t* header = envelope.data();
  if (header[0] != kFormat) {
    return Corrupt(absl::StrCat("has unknown format ", static_cast<int>(header[0])));
  }
  const std::optional<size_t> nonce_size = NonceSize(header[1]);
  if (!nonce_size) return Corrupt(absl::StrCat("uses unknown cipher ", static_cast<int>(header[1])));
  if (envelope.size() < kHeaderSize + *nonce_size + kTagSize) {
    return Corrupt(absl::StrCat("is truncated (", envelope.size(), " bytes)"));
  }
  const uint8_t* nonce = header + kHeaderSize;
  const ByteView body = envelope.subspan(kHeaderSize + *nonce_size);  // ciphertext || tag
  const size_t plaintext_size = body.size() - kTagSize;
  crypto_internal::EnsureSodiumInitialized();

  Bytes plaintext(plaintext_size);
  uint8_t spare[1];  // a valid output pointer for an empty plaintext
  uint8_t* out = plaintext.empty() ? spare : plaintext.data();
  bool ok;
  if (header[1] == static_cast<uint8_t>(Cipher::kAes256Gcm)) {
    ok = OpenGcm(key, header, nonce, body.first(plaintext_size), body.data() + plaintext_size,
                 aad, out);
  } else {
    const Bytes full_aad = FullAad(header, aad);
    unsigned long long written = 0;
    ok = crypto_aead_xchacha20poly1305_ietf_decrypt(out, &written, nullptr, body.data(),
                                                    body.size(), full_aad.data(),
                                                    full_aad.size(), nonce, key.data()) == 0;
  }
  if (!ok) {
    sodium_memzero(plaintext.data(), plaintext.size());
    return Corrupt("failed authentication (wrong key, corrupted data or wrong context)");
  }
  return plaintext;
}

}  // namespace coffer
