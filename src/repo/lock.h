// Repository locks (locks/<random id>): a backup or check holds a shared lock,
// prune and repair an exclusive one. A lock object is encrypted with the index
// key and refreshed every few minutes while held; one not refreshed for
// kStaleAfter, or whose process is gone from this host, is stale and ignored.
//
// Acquisition writes the lock first and then looks for conflicts, removing
// its own lock again on conflict: two racing exclusive lockers both back off
// rather than both proceeding.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "base/id.h"
#include "crypto/secret.h"
#include "store/store.h"

namespace coffer {

inline constexpr int64_t kLockStaleAfterSeconds = 30 * 60;
inline constexpr int64_t kLockRefreshSeconds = 5 * 60;

struct LockInfo {
  Id id;
  std::string host, user;
  int64_t pid = 0;
  bool exclusive = false;
  int64_t created_unix = 0;
  int64_t refreshed_unix = 0;
  // False for a lock object that does not decrypt with our keys (garbage, or
  // another repository's): it is treated as stale, so `unlock` removes it.
  bool readable = true;
};

bool IsLockStale(const LockInfo& lock, int64_t now_unix);
std::string DescribeLock(const LockInfo& lock);

absl::StatusOr<std::vector<LockInfo>> ListLocks(Store& store, const Key32& index_key);

// Holds a lock until destroyed; refreshes it on a background thread.
class RepoLock {
 public:
  // FailedPrecondition naming the holder ("locked exclusively by pid 42 on
  // host h since 2026-…") when a conflicting lock exists. With wait_seconds
  // > 0 it retries (about once a second) for that long first, so a backup
  // that starts during a short prune waits instead of failing.
  static absl::StatusOr<std::unique_ptr<RepoLock>> Acquire(Store& store, const Key32& index_key,
                                                           bool exclusive, int64_t wait_seconds = 0);
  ~RepoLock();
  LockInfo info();

  // OK while the lock is certainly still valid. FailedPrecondition once it
  // has not been refreshed for long enough that another process may have
  // judged it stale (a suspended machine, an unreachable store): an
  // operation must then not commit its result (a snapshot, a prune).
  absl::Status Check();

 private:
  RepoLock(Store& store, const Key32& index_key, LockInfo info);
  static absl::StatusOr<std::unique_ptr<RepoLock>> TryAcquire(Store& store, const Key32& index_key,
                                                              bool exclusive);
  void RefreshLoop();

  Store& store_;
  Key32 index_key_;
  LockInfo info_;
  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int64_t last_refresh_ok_unix_;
  std::thread refresher_;
};

// Removes stale locks (or, with all=true, every lock). Returns how many.
absl::StatusOr<int> RemoveLocks(Store& store, const Key32& index_key, bool all);

}  // namespace coffer
