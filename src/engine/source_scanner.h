// Counts the files and bytes a backup will visit, on a thread of its own, so
// progress can show totals and an ETA while the backup runs. Only a hint:
// the backup never depends on its numbers.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace coffer {

class SourceScanner {
 public:
  SourceScanner(std::vector<std::string> paths, std::vector<std::string> excludes, bool one_file_system);
  ~SourceScanner();  // stops and joins
  void Stop();

  uint64_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }
  bool done() const { return done_; }

 private:
  void Walk(const std::string& path, uint64_t root_device);

  std::vector<std::string> paths_, excludes_;
  bool one_file_system_;
  std::atomic<uint64_t> files_{0}, bytes_{0};
  std::atomic<bool> done_{false}, stop_{false};
  std::thread thread_;
};

}  // namespace coffer
