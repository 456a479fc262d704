#include "crypto/sealed_box.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "crypto/sodium_init.h"

namespace coffer {

static_assert(crypto_box_PUBLICKEYBYTES == Key32::kSize);
static_assert(crypto_box_SECRETKEYBYTES == Key32::kSize);
static_assert(kSealedKeySize == Key32::kSize + crypto_box_SEALBYTES);

KeyPair KeyPair::Generate() {
  crypto_internal::EnsureSodiumInitialized();
  KeyPair pair;
  crypto_box_keypair(pair.public_key.data(), pair.secret_key.data());
  return pair;
}

KeyPair KeyPair::FromSecret(const Key32& secret_key) {
  crypto_internal::EnsureSodiumInitialized();
  KeyPair pair;
  pair.secret_key = secret_key;
  // crypto_box key pairs are plain X25519: public = secret * basepoint.
  crypto_scalarmult_base(pair.public_key.data(), pair.secret_key.data());
  return pair;
}

Bytes SealKeyTo(const Key32& public_key, const Key32& key_to_seal) {
  crypto_internal::EnsureSodiumInitialized();
  Bytes sealed(kSealedKeySize);
  // crypto_box_seal fails only for a public key that is a low-order point
  // (the shared secret would be all zeros). Such a key can only come from a
  // corrupt or hostile config; an empty result makes that visible to the
  // caller (size() != kSealedKeySize) instead of writing an unopenable seal.
  if (crypto_box_seal(sealed.data(), key_to_seal.data(), Key32::kSize, public_key.data()) != 0) {
    return {};
  }
  return sealed;
}

absl::StatusOr<Key32> OpenSealedKey(const KeyPair& pair, ByteView sealed) {
  if (sealed.size() != kSealedKeySize) {
    return absl::DataLossError(absl::StrCat("sealed key has ", sealed.size(),
                                            " bytes, expected ", kSealedKeySize));
  }
  crypto_internal::EnsureSodiumInitialized();
  Key32 key;
  if (crypto_box_seal_open(key.data(), sealed.data(), sealed.size(), pair.public_key.data(),
                           pair.secret_key.data()) != 0) {
    return absl::DataLossError(
        "sealed key cannot be opened: it is corrupt or sealed to another key pair");
  }
  return key;
}

}  // namespace coffer
