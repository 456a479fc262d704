#include "login_throttle.h"

namespace server {

long LoginThrottle::RetryAfter(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(address);
  if (it == records_.end() || it->second.failures < max_failures_) return 0;
  auto left = it->second.window_start + window_ - Clock::now();
  if (left <= Clock::duration::zero()) {
    records_.erase(it);
    return 0;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(left).count() + 1;
}

void LoginThrottle::RecordFailure(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  Clock::time_point now = Clock::now();
  // Bounded memory under a flood of addresses: old windows go first.
  if (records_.size() > 10000) Forget(now);
  Record& r = records_[address];
  if (r.failures == 0 || now - r.window_start >= window_) r = {0, now};
  ++r.failures;
}

void LoginThrottle::Forget(Clock::time_point now) {
  for (auto it = records_.begin(); it != records_.end();)
    it = now - it->second.window_start >= window_ ? records_.erase(it) : std::next(it);
}

}  // namespace server
