#include "crypto/sodium_init.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace coffer::crypto_internal {

void EnsureSodiumInitialized() {
  // A function-local static is initialized exactly once even under
  // concurrent first calls (C++11 "magic statics").
  static const bool initialized = [] {
    if (sodium_init() < 0) {
      std::fputs("coffer: libsodium failed to initialize\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)initialized;
}

}  // namespace coffer::crypto_internal
