// Secrets handling for the console: random tokens, their hashes (what the
// database keeps), Argon2id password hashes, constant-time comparison and
// login throttling.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace console {

// `bytes` random bytes as lowercase hex (libsodium's CSPRNG).
std::string RandomHex(size_t bytes);

// A keyed BLAKE2b-256 hash in hex, for long random secrets (session tokens,
// agent credentials, enrollment tokens): the database holds only these.
std::string HashToken(const std::string& token);

// Argon2id hash string (libsodium crypto_pwhash_str, "interactive" cost) and
// its verification.
std::string HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);

bool ConstantTimeEquals(const std::string& a, const std::string& b);

// Nanoseconds since the Unix epoch.
int64_t NowNs();

// Slows down password guessing: after `free_attempts` failures from one
// client within the window, each further attempt must wait, doubling from 1 s
// up to 15 minutes. A successful login clears the client's record.
class LoginThrottle {
 public:
  explicit LoginThrottle(int free_attempts = 5) : free_attempts_(free_attempts) {}
  // 0 when the client may try now, else the seconds to wait.
  int64_t SecondsToWait(const std::string& client);
  void Failed(const std::string& client);
  void Succeeded(const std::string& client);
  int64_t TotalFailures() const { return total_failures_; }

 private:
  struct Record {
    int failures = 0;
    std::chrono::steady_clock::time_point last;
    std::chrono::steady_clock::time_point blocked_until;
  };
  std::mutex mutex_;
  std::map<std::string, Record> records_;
  int free_attempts_;
  int64_t total_failures_ = 0;
};

}  // namespace console
