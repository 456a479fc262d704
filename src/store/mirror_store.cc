#include "store/mirror_store.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "store/aws_sigv4.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kLocksPrefix = "locks/";
constexpr std::string_view kMirrorPrefix = "mirror/";

bool IsLock(std::string_view name) { return std::string_view(name).starts_with(kLocksPrefix); }

std::string JournalName(std::string_view name) {
  return std::string(kMirrorJournalPrefix) + SigV4PayloadHash(ByteView(
                                                 reinterpret_cast<const uint8_t*>(name.data()), name.size()));
}

ByteView AsView(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

}  // namespace

bool IsStoreDown(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

struct MirrorStore::State {
  std::atomic<uint64_t> replica_failures{0};
  std::mutex mu;
  Clock::time_point primary_down_until{};
  Clock::time_point replica_down_until{};
};

MirrorStore::MirrorStore(std::unique_ptr<Store> primary, std::unique_ptr<Store> replica, MirrorOptions options)
    : primary_(std::move(primary)),
      replica_(std::move(replica)),
      options_(options),
      state_(std::make_unique<State>()) {}

MirrorStore::~MirrorStore() = default;

// The primary's description, so every message names the store the caller
// opened; the replica is named where it answered instead.
std::string MirrorStore::Describe() const { return primary_->Describe(); }

namespace {

// A replica's failure while the primary is down names both.
absl::Status FromReplica(const absl::Status& status, const Store& primary) {
  if (status.ok()) return status;
  return absl::Status(status.code(), StoreCat(primary.Describe(), " is unreachable, and its replica failed too: ",
                                              std::string(status.message())));
}

template <typename T>
absl::StatusOr<T> FromReplica(absl::StatusOr<T> result, const Store& primary) {
  if (result.ok()) return result;
  return FromReplica(result.status(), primary);
}

}  // namespace

absl::Status MirrorStore::Prepare() {
  absl::Status s = primary_->Prepare();
  if (!s.ok()) return s;
  return replica_->Prepare();
}

absl::Status MirrorStore::EnableObjectLock(const ObjectLockPolicy& policy) {
  ObjectLockable* primary = ObjectLockOf(*primary_);
  if (!primary) return absl::UnimplementedError(primary_->Describe() + " cannot lock objects");
  absl::Status s = primary->EnableObjectLock(policy);
  if (!s.ok()) return s;
  if (ObjectLockable* replica = ObjectLockOf(*replica_)) {
    s = replica->EnableObjectLock(policy);
    if (!s.ok() && !absl::IsUnimplemented(s)) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> MirrorStore::RetainedUntil(std::string_view name) {
  ObjectLockable* primary = ObjectLockOf(*primary_);
  if (!primary) return absl::InfinitePast();
  return primary->RetainedUntil(name);
}

absl::Status MirrorStore::ExtendRetention(std::string_view name, absl::Time until) {
  ObjectLockable* primary = ObjectLockOf(*primary_);
  if (!primary) return absl::UnimplementedError(primary_->Describe() + " cannot lock objects");
  absl::Status s = primary->ExtendRetention(name, until);
  if (!s.ok()) return s;
  if (ObjectLockable* replica = ObjectLockOf(*replica_)) (void)replica->ExtendRetention(name, until);
  return absl::OkStatus();
}

uint64_t MirrorStore::replica_failures() const { return state_->replica_failures.load(); }

bool MirrorStore::PrimaryDown() const {
  std::lock_guard<std::mutex> guard(state_->mu);
  return Clock::now() < state_->primary_down_until;
}

void MirrorStore::MarkPrimaryDown() {
  std::lock_guard<std::mutex> guard(state_->mu);
  state_->primary_down_until = Clock::now() + options_.down_period;
}

void MirrorStore::Journal(std::string_view name) {
  state_->replica_failures.fetch_add(1);
  // Best effort: if even this fails, Sync's listing comparison still finds
  // objects the replica lacks.
  (void)primary_->Put(JournalName(name), AsView(name));
}

bool MirrorStore::ReplicaDown() const {
  std::lock_guard<std::mutex> guard(state_->mu);
  return Clock::now() < state_->replica_down_until;
}

void MirrorStore::MarkReplicaDown() {
  std::lock_guard<std::mutex> guard(state_->mu);
  state_->replica_down_until = Clock::now() + options_.down_period;
}

absl::Status MirrorStore::Replicate(std::string_view name, ByteView data, bool if_absent) {
  // A replica found unreachable is not tried again for a while: every write
  // meanwhile is journaled at once instead of waiting out its retries.
  if (ReplicaDown()) return absl::UnavailableError("replica marked down");
  absl::Status last;
  for (int attempt = 0; attempt < std::max(1, options_.replica_attempts); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(options_.replica_backoff * attempt);
    last = if_absent ? replica_->PutIfAbsent(name, data) : replica_->Put(name, data);
    if (last.ok() || absl::IsAlreadyExists(last)) return absl::OkStatus();
    if (!IsStoreDown(last)) return last;
  }
  MarkReplicaDown();
  return last;
}

absl::Status MirrorStore::ReplicateDelete(std::string_view name) {
  if (ReplicaDown()) return absl::UnavailableError("replica marked down");
  absl::Status last;
  for (int attempt = 0; attempt < std::max(1, options_.replica_attempts); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(options_.replica_backoff * attempt);
    last = replica_->Delete(name);
    if (last.ok() || absl::IsNotFound(last)) return absl::OkStatus();
    if (!IsStoreDown(last)) return last;
  }
  MarkReplicaDown();
  return last;
}

// A lock operation on both stores, skipping one marked down; succeeds when
// either store took it.
absl::Status MirrorStore::OnBoth(const std::function<absl::Status(Store&)>& op) {
  absl::Status p = absl::UnavailableError("primary marked down");
  if (!PrimaryDown()) {
    p = op(*primary_);
    if (IsStoreDown(p)) MarkPrimaryDown();
  }
  absl::Status r = absl::UnavailableError("replica marked down");
  if (!ReplicaDown()) {
    r = op(*replica_);
    if (IsStoreDown(r)) MarkReplicaDown();
  }
  if (p.ok() || r.ok()) return absl::OkStatus();
  return IsStoreDown(p) ? FromReplica(r, *primary_) : p;
}

absl::Status MirrorStore::CreateLock(std::string_view name, ByteView data) {
  if (!PrimaryDown()) {
    absl::Status p = primary_->PutIfAbsent(name, data);
    if (!IsStoreDown(p)) {
      // The primary's answer is final; the replica gets a copy so a reader
      // that falls back to it sees the lock too.
      if (p.ok() && !ReplicaDown()) {
        absl::Status r = replica_->Put(name, data);
        if (IsStoreDown(r)) MarkReplicaDown();
      }
      return p;
    }
    MarkPrimaryDown();
  }
  absl::Status r = ReplicaDown() ? absl::UnavailableError("replica marked down") : replica_->PutIfAbsent(name, data);
  if (IsStoreDown(r)) MarkReplicaDown();
  return r.ok() || !IsStoreDown(r) ? r : FromReplica(r, *primary_);
}

absl::Status MirrorStore::Put(std::string_view name, ByteView data) {
  if (IsLock(name)) return OnBoth([&](Store& s) { return s.Put(name, data); });
  absl::Status s = primary_->Put(name, data);
  if (!s.ok()) return s;
  if (!Replicate(name, data, false).ok()) Journal(name);
  return absl::OkStatus();
}

absl::Status MirrorStore::PutIfAbsent(std::string_view name, ByteView data) {
  if (IsLock(name)) return CreateLock(name, data);
  absl::Status s = primary_->PutIfAbsent(name, data);
  if (!s.ok()) return s;
  if (!Replicate(name, data, true).ok()) Journal(name);
  return absl::OkStatus();
}

absl::Status MirrorStore::Delete(std::string_view name) {
  if (IsLock(name)) return OnBoth([&](Store& s) { return s.Delete(name); });
  absl::Status s = primary_->Delete(name);
  if (!s.ok()) return s;
  if (!ReplicateDelete(name).ok()) Journal(name);
  return absl::OkStatus();
}

absl::StatusOr<Bytes> MirrorStore::Get(std::string_view name) {
  if (!PrimaryDown()) {
    auto r = primary_->Get(name);
    if (r.ok() || !IsStoreDown(r.status())) return r;
    MarkPrimaryDown();
  }
  return FromReplica(replica_->Get(name), *primary_);
}

absl::StatusOr<Bytes> MirrorStore::GetRange(std::string_view name, uint64_t offset, uint64_t length) {
  if (!PrimaryDown()) {
    auto r = primary_->GetRange(name, offset, length);
    if (r.ok() || !IsStoreDown(r.status())) return r;
    MarkPrimaryDown();
  }
  return FromReplica(replica_->GetRange(name, offset, length), *primary_);
}

absl::StatusOr<ObjectInfo> MirrorStore::Stat(std::string_view name) {
  if (!PrimaryDown()) {
    auto r = primary_->Stat(name);
    if (r.ok() || !IsStoreDown(r.status())) return r;
    MarkPrimaryDown();
  }
  return FromReplica(replica_->Stat(name), *primary_);
}

absl::Status MirrorStore::List(std::string_view prefix,
                               const std::function<absl::Status(const ObjectInfo&)>& fn) {
  // Collected first, so a primary that fails half-way does not make the
  // caller see objects twice when the replica takes over.
  std::vector<ObjectInfo> objects;
  auto collect = [&](const ObjectInfo& info) {
    objects.push_back(info);
    return absl::OkStatus();
  };
  absl::Status s = absl::UnavailableError("primary marked down");
  if (!PrimaryDown()) {
    s = primary_->List(prefix, collect);
    if (!s.ok() && IsStoreDown(s)) MarkPrimaryDown();
  }
  if (!s.ok()) {
    if (!IsStoreDown(s)) return s;
    objects.clear();
    s = replica_->List(prefix, collect);
    if (!s.ok()) return FromReplica(s, *primary_);
  }
  for (const ObjectInfo& info : objects) {
    if (std::string_view(info.name).starts_with(kMirrorPrefix)) continue;  // the journal is the mirror's own
    absl::Status r = fn(info);
    if (!r.ok()) return r;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> MirrorStore::PendingCount() {
  uint64_t n = 0;
  absl::Status s = primary_->List(kMirrorJournalPrefix, [&](const ObjectInfo&) {
    ++n;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return n;
}

absl::Status MirrorStore::CopyToReplica(const std::string& name, MirrorSyncResult& result) {
  auto data = primary_->Get(name);
  if (absl::IsNotFound(data.status())) return absl::OkStatus();  // deleted meanwhile
  if (!data.ok()) return data.status();
  absl::Status s = replica_->Put(name, *data);
  if (!s.ok()) return s;
  ++result.objects_copied;
  result.bytes_copied += data->size();
  return absl::OkStatus();
}

absl::StatusOr<MirrorSyncResult> MirrorStore::Sync() {
  MirrorSyncResult result;
  std::vector<std::string> journal;
  absl::Status s = primary_->List(kMirrorJournalPrefix, [&](const ObjectInfo& info) {
    journal.push_back(info.name);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  for (const std::string& entry : journal) {
    auto content = primary_->Get(entry);
    if (absl::IsNotFound(content.status())) continue;  // another sync took it
    if (!content.ok()) return content.status();
    std::string name(content->begin(), content->end());
    if (ValidateObjectName(name).ok() && JournalName(name) == entry) {
      auto stat = primary_->Stat(name);
      if (stat.ok()) {
        s = CopyToReplica(name, result);
      } else if (absl::IsNotFound(stat.status())) {
        s = replica_->Delete(name);
        if (s.ok()) ++result.objects_deleted;
        if (absl::IsNotFound(s)) s = absl::OkStatus();
      } else {
        s = stat.status();
      }
      if (!s.ok()) return s;
    }
    // Dropped only once the replica matches: a failed sync keeps it.
    s = primary_->Delete(entry);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
    ++result.journal_entries;
  }

  // Objects whose journal entry was lost (or written before the mirror was
  // configured) are found by comparing the listings.
  absl::flat_hash_map<std::string, uint64_t> on_replica;
  s = replica_->List("", [&](const ObjectInfo& info) {
    on_replica.emplace(info.name, info.size);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  std::vector<std::string> missing;
  absl::flat_hash_map<std::string, bool> on_primary;
  s = primary_->List("", [&](const ObjectInfo& info) {
    if (std::string_view(info.name).starts_with(kMirrorPrefix) || IsLock(info.name)) return absl::OkStatus();
    on_primary.emplace(info.name, true);
    ++result.objects_checked;
    auto it = on_replica.find(info.name);
    if (it == on_replica.end() || it->second != info.size) missing.push_back(info.name);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  std::sort(missing.begin(), missing.end());
  for (const std::string& name : missing) {
    s = CopyToReplica(name, result);
    if (!s.ok()) return s;
  }
  for (const auto& [name, size] : on_replica) {
    if (std::string_view(name).starts_with(kMirrorPrefix) || IsLock(name)) continue;
    if (!on_primary.contains(name)) ++result.extra_on_replica;
  }
  return result;
}

absl::Status MirrorStore::CheckDeletable() {
  absl::Status primary = primary_->CheckDeletable();
  if (!primary.ok()) return primary;
  // An unreachable replica does not stop a delete (it is journaled like any
  // missed write); a replica that refuses deletes on principle does. One
  // already marked down is not asked (that would only wait out its retries).
  if (ReplicaDown()) return absl::OkStatus();
  absl::Status replica = replica_->CheckDeletable();
  return absl::IsPermissionDenied(replica) ? replica : absl::OkStatus();
}

}  // namespace coffer
