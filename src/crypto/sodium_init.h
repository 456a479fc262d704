// Internal to the crypto layer: one-time libsodium initialization.
#pragma once

namespace coffer::crypto_internal {

// Calls sodium_init() exactly once (thread-safe); every entry point that uses
// libsodium's RNG or CPU-dispatched primitives calls this first. Aborts if
// libsodium cannot initialize, since no key could then be generated safely.
void EnsureSodiumInitialized();

}  // namespace coffer::crypto_internal
