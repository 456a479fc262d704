// Progress reporting shared by long operations (backup, restore, check).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace coffer {

// kVerifying: check reading trees (files_done counts trees, totals unknown)
// or packs (files_done/files_total count packs, bytes_done their bytes).
enum class Phase { kScanning, kBackup, kRestore, kFinishing, kVerifying };

struct Progress {
  Phase phase = Phase::kBackup;
  uint64_t files_done = 0;
  uint64_t files_total = 0;  // grows while the scanner is still counting
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  bool totals_final = false;  // the scanner has finished counting
  uint64_t errors = 0;
  double elapsed_seconds = 0;
  std::string current_path;
};

// Called every ~100 ms and once at the end. Return false to cancel: the
// operation stops as soon as it can and fails with absl::CancelledError.
using ProgressFn = std::function<bool(const Progress&)>;

// Non-fatal problems (an unreadable file, a skipped socket): path and message.
using WarningFn = std::function<void(const std::string& path, const std::string& message)>;

}  // namespace coffer
