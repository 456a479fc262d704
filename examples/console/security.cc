#include "security.h"

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace console {

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  sodium_memzero(raw.data(), raw.size());
  return hex;
}

std::string HashToken(const std::string& token) {
  // A fixed key separates these hashes from any other use of BLAKE2b.
  static const unsigned char kKey[] = "coffer-console token hash v1....";
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), kKey, 32);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::string HashPassword(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("Argon2id: out of memory");
  return out;
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t LoginThrottle::SecondsToWait(const std::string& client) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = records_.find(client);
  if (it == records_.end()) return 0;
  auto now = std::chrono::steady_clock::now();
  if (now - it->second.last > std::chrono::minutes(15)) {
    records_.erase(it);
    return 0;
  }
  if (it->second.blocked_until <= now) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(it->second.blocked_until - now).count() +
         1;
}

void LoginThrottle::Failed(const std::string& client) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++total_failures_;
  Record& r = records_[client];
  auto now = std::chrono::steady_clock::now();
  r.failures += 1;
  r.last = now;
  int over = r.failures - free_attempts_;
  if (over >= 0) {
    int64_t seconds = over >= 10 ? 900 : std::min<int64_t>(900, int64_t{1} << over);
    r.blocked_until = now + std::chrono::seconds(seconds);
  }
}

void LoginThrottle::Succeeded(const std::string& client) {
  std::lock_guard<std::mutex> lock(mutex_);
  records_.erase(client);
}

}  // namespace console
