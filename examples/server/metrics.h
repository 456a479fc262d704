// Counters for /metrics in the Prometheus text format (version 0.0.4):
// requests, bytes received and sent, and error answers (status >= 400), each
// by user ("-" for requests without a valid login), plus failed logins and
// requests in flight.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace server {

class Metrics {
 public:
  void Record(const std::string& user, int status, uint64_t bytes_in, uint64_t bytes_out);
  void FailedLogin() { failed_logins_++; }
  std::atomic<int64_t>& in_flight() { return in_flight_; }
  std::string Render();

 private:
  struct PerUser {
    uint64_t requests = 0, errors = 0, bytes_in = 0, bytes_out = 0;
  };
  std::mutex mu_;
  std::map<std::string, PerUser> users_;
  std::atomic<uint64_t> failed_logins_{0};
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace server
