// Slows down password guessing: a client address that fails to log in
// `max_failures` times within `window` is refused (429 with Retry-After)
// until that window ends, whatever credentials it sends meanwhile. Successful
// logins do not reset the count, so guesses cannot hide between them.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace server {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  LoginThrottle(int max_failures, std::chrono::seconds window)
      : max_failures_(max_failures), window_(window) {}

  // Seconds the address must still wait; 0 when it may try.
  long RetryAfter(const std::string& address);
  void RecordFailure(const std::string& address);

 private:
  struct Record {
    int failures = 0;
    Clock::time_point window_start;
  };
  void Forget(Clock::time_point now);  // requires mu_

  const int max_failures_;
  const std::chrono::seconds window_;
  std::mutex mu_;
  std::map<std::string, Record> records_;
};

}  // namespace server
