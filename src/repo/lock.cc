#include "repo/lock.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "repo/host_info.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {

using nlohmann::json;

// nlohmann's get<int64_t>() on a float such as 1e300 is undefined behaviour:
// only integers are valid here (a json::type_error otherwise, caught below).
int64_t StrictInt(const json& j) {
  if (j.is_number_integer() && !j.is_number_unsigned()) return j.get<int64_t>();
  if (j.is_number_unsigned() && j.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(j.get<uint64_t>());
  throw json::type_error::create(302, "expected an integer, got " + j.dump(), &j);
}


Bytes EncryptLock(const LockInfo& l, const Key32& key) {
  json j = {{"host", l.host}, {"user", l.user}, {"pid", l.pid}, {"exclusive", l.exclusive},
            {"created_unix", l.created_unix}, {"refreshed_unix", l.refreshed_unix}};
  return Seal(Cipher::kXChaCha20Poly1305, key, AsBytes(j.dump(-1, ' ', false, json::error_handler_t::replace)),
              AsBytes(kLockAad));
}

absl::StatusOr<LockInfo> DecryptLock(ByteView stored, const Key32& key) {
  COFFER_ASSIGN_OR_RETURN(Bytes text, Open(key, stored, AsBytes(kLockAad)));
  LockInfo l;
  try {
    json j = json::parse(AsChars(text));
    l.host = j.at("host").get<std::string>();
    l.user = j.value("user", "");
    l.pid = StrictInt(j.at("pid"));
    l.exclusive = j.at("exclusive").get<bool>();
    l.created_unix = StrictInt(j.at("created_unix"));
    l.refreshed_unix = StrictInt(j.at("refreshed_unix"));
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("lock: malformed: ", e.what()));
  }
  return l;
}

int64_t NowUnix() { return absl::ToUnixSeconds(absl::Now()); }

}  // namespace

bool IsLockStale(const LockInfo& lock, int64_t now_unix) {
  if (!lock.readable) return true;
  if (now_unix - lock.refreshed_unix > kLockStaleAfterSeconds) return true;
  if (lock.host == CurrentHostName() && lock.pid > 0) {
    return kill(static_cast<pid_t>(lock.pid), 0) != 0 && errno == ESRCH;
  }
  return false;
}

std::string DescribeLock(const LockInfo& l) {
  if (!l.readable) return absl::StrCat("unreadable lock ", l.id.ShortHex());
  return absl::StrCat(l.exclusive ? "exclusive" : "shared", " lock ", l.id.ShortHex(), " held by pid ",
                      l.pid, " on host ", l.host, l.user.empty() ? "" : " (user " + l.user + ")",
                      " since ", absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixSeconds(l.created_unix),
                                                  absl::UTCTimeZone()));
}

absl::StatusOr<std::vector<LockInfo>> ListLocks(Store& store, const Key32& index_key) {
  std::vector<LockInfo> locks;
  COFFER_RETURN_IF_ERROR(store.List(kLocksPrefix, [&](const ObjectInfo& info) -> absl::Status {
    auto id = IdFromObjectName(info.name);
    if (!id) return absl::OkStatus();  // not ours
    auto data = store.Get(info.name);
    if (absl::IsNotFound(data.status())) return absl::OkStatus();  // released meanwhile
    if (!data.ok()) return data.status();
    auto lock = DecryptLock(*data, index_key);
    if (!lock.ok()) {
      LockInfo unreadable;
      unreadable.id = *id;
      unreadable.readable = false;
      locks.push_back(unreadable);
      return absl::OkStatus();
    }
    lock->id = *id;
    locks.push_back(*lock);
    return absl::OkStatus();
  }));
  return locks;
}

RepoLock::RepoLock(Store& store, const Key32& index_key, LockInfo info)
    : store_(store),
      index_key_(index_key),
      info_(std::move(info)),
      name_(LockName(info_.id)),
      last_refresh_ok_unix_(info_.refreshed_unix) {
  refresher_ = std::thread([this] { RefreshLoop(); });
}

absl::StatusOr<std::unique_ptr<RepoLock>> RepoLock::Acquire(Store& store, const Key32& index_key,
                                                            bool exclusive, int64_t wait_seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(std::max<int64_t>(wait_seconds, 0));
  for (;;) {
    auto lock = TryAcquire(store, index_key, exclusive);
    // Only a conflicting holder is worth waiting for; store errors are not.
    if (lock.ok() || !absl::IsFailedPrecondition(lock.status())) return lock;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return lock;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(deadline - now,
                                                                               std::chrono::seconds(1)));
  }
}

absl::StatusOr<std::unique_ptr<RepoLock>> RepoLock::TryAcquire(Store& store, const Key32& index_key,
                                                               bool exclusive) {
  LockInfo info;
  info.id = Id::FromBytes(Key32::Random().view());
  info.host = CurrentHostName();
  info.user = CurrentUserName();
  info.pid = getpid();
  info.exclusive = exclusive;
  info.created_unix = info.refreshed_unix = NowUnix();
  std::string name = LockName(info.id);
  COFFER_RETURN_IF_ERROR(store.PutIfAbsent(name, EncryptLock(info, index_key)));

  auto locks = ListLocks(store, index_key);
  if (!locks.ok()) {
    (void)store.Delete(name);
    return locks.status();
  }
  int64_t now = NowUnix();
  for (const LockInfo& other : *locks) {
    if (other.id == info.id || IsLockStale(other, now)) continue;
    if (exclusive || other.exclusive) {
      (void)store.Delete(name);
      return absl::FailedPreconditionError(
          absl::StrCat("repository is locked: ", DescribeLock(other),
                       " (if that process is gone, run `coffer unlock`)"));
    }
  }
  return std::unique_ptr<RepoLock>(new RepoLock(store, index_key, std::move(info)));
}

void RepoLock::RefreshLoop() {
  std::unique_lock<std::mutex> guard(mu_);
  while (!cv_.wait_for(guard, std::chrono::seconds(kLockRefreshSeconds), [this] { return stopping_; })) {
    // Write the refreshed lock under a new name before removing the old one,
    // so the repository is never seen unlocked while we hold it.
    LockInfo next = info_;
    next.id = Id::FromBytes(Key32::Random().view());
    next.refreshed_unix = NowUnix();
    std::string next_name = LockName(next.id);
    if (store_.PutIfAbsent(next_name, EncryptLock(next, index_key_)).ok()) {
      (void)store_.Delete(name_);
      info_ = next;
      name_ = next_name;
      last_refresh_ok_unix_ = next.refreshed_unix;
    }
  }
}

LockInfo RepoLock::info() {
  std::lock_guard<std::mutex> guard(mu_);
  return info_;
}

absl::Status RepoLock::Check() {
  std::lock_guard<std::mutex> guard(mu_);
  int64_t age = NowUnix() - last_refresh_ok_unix_;
  if (age > kLockStaleAfterSeconds - kLockRefreshSeconds)
    return absl::FailedPreconditionError(absl::StrCat(
        "the repository lock could not be refreshed for ", age,
        " s; another process may have taken over, so the result was not committed; run again"));
  return absl::OkStatus();
}

RepoLock::~RepoLock() {
  {
    std::lock_guard<std::mutex> guard(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  refresher_.join();
  (void)store_.Delete(name_);
}

absl::StatusOr<int> RemoveLocks(Store& store, const Key32& index_key, bool all) {
  COFFER_ASSIGN_OR_RETURN(auto locks, ListLocks(store, index_key));
  int removed = 0;
  int64_t now = NowUnix();
  for (const LockInfo& l : locks) {
    if (!all && !IsLockStale(l, now)) continue;
    auto s = store.Delete(LockName(l.id));
    if (!s.ok() && !absl::IsNotFound(s)) return s;
    ++removed;
  }
  return removed;
}

}  // namespace coffer
