// A store decorator that keeps a replica (a second region or provider) in
// step with a primary store:
//
// * Writes (Put, PutIfAbsent, Delete) go to the primary first; only when the
//   primary succeeded are they repeated on the replica, retried a few times.
//   A replica write that still fails does not fail the operation: the
//   object's name is recorded in a journal on the primary
//   (mirror/pending/<sha256 of the name>, content: the name) for Sync() to
//   repeat, and the replica is left alone for `down_period` (writes
//   meanwhile are journaled at once instead of waiting out retries).
// * Lock objects (locks/) are coordination, not data: they are written to
//   both and never journaled, so a restore can lock the replica while the
//   primary is down. A create-if-absent of a lock is decided by the primary
//   alone while it is up (by the replica only when it is down): were either
//   store's yes enough, two writers could each win on a different store.
// * Reads (Get, GetRange, Stat, List) use the primary; when it is down (a
//   failure other than a final answer such as NotFound) they are served by
//   the replica, and the primary is skipped for reads for `down_period`
//   before being tried again.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/object_lock.h"
#include "store/store.h"

namespace coffer {

inline constexpr std::string_view kMirrorJournalPrefix = "mirror/pending/";

struct MirrorOptions {
  int replica_attempts = 2;  // calls per replica write, the first included
  std::chrono::milliseconds replica_backoff{200};
  std::chrono::seconds down_period{60};
};

struct MirrorSyncResult {
  uint64_t journal_entries = 0;     // journaled names handled
  uint64_t objects_copied = 0;      // primary → replica
  uint64_t bytes_copied = 0;
  uint64_t objects_deleted = 0;     // journaled deletes repeated on the replica
  uint64_t objects_checked = 0;     // compared by listing
  uint64_t extra_on_replica = 0;    // on the replica only, not journaled: left alone
};

class MirrorStore : public Store, public ObjectLockable {
 public:
  MirrorStore(std::unique_ptr<Store> primary, std::unique_ptr<Store> replica, MirrorOptions options = {});
  ~MirrorStore() override;

  absl::Status Put(std::string_view name, ByteView data) override;
  absl::Status PutIfAbsent(std::string_view name, ByteView data) override;
  absl::StatusOr<Bytes> Get(std::string_view name) override;
  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override;
  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override;
  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override;
  absl::Status Delete(std::string_view name) override;
  std::string Describe() const override;
  absl::Status Prepare() override;
  // The primary's: writes reach it first, and the pack size is fixed at
  // init by where the repository mainly lives.
  int ParallelWrites() const override { return primary_->ParallelWrites(); }
  uint32_t DefaultPackSize() const override { return primary_->DefaultPackSize(); }
  // Deletes go to both stores: a primary that refuses them, or a replica
  // that refuses them on principle (append-only), stops forget and prune.
  absl::Status CheckDeletable() override;

  // Object lock: enabled on the primary (required) and on the replica when
  // it can lock objects; retention is read from the primary and extended on
  // both.
  absl::Status EnableObjectLock(const ObjectLockPolicy& policy) override;
  absl::StatusOr<absl::Time> RetainedUntil(std::string_view name) override;
  absl::Status ExtendRetention(std::string_view name, absl::Time until) override;

  // Brings the replica up to date: replays the journal (copying or deleting
  // each named object so the replica matches the primary, then dropping the
  // entry), then lists both stores and copies every object the replica lacks
  // or holds with another size. Objects only on the replica are counted, not
  // deleted (a wrong or empty primary must never empty the replica). Fails
  // when the primary or the replica cannot be reached.
  absl::StatusOr<MirrorSyncResult> Sync();
  // Journal entries on the primary (replica writes still to repeat).
  absl::StatusOr<uint64_t> PendingCount();
  // Replica writes that failed (and were journaled) through this store.
  uint64_t replica_failures() const;

  Store& primary() { return *primary_; }
  Store& replica() { return *replica_; }

 private:
  struct State;
  absl::Status Replicate(std::string_view name, ByteView data, bool if_absent);
  absl::Status ReplicateDelete(std::string_view name);
  void Journal(std::string_view name);
  absl::Status OnBoth(const std::function<absl::Status(Store&)>& op);
  absl::Status CreateLock(std::string_view name, ByteView data);
  bool PrimaryDown() const;
  void MarkPrimaryDown();
  bool ReplicaDown() const;
  void MarkReplicaDown();
  absl::Status CopyToReplica(const std::string& name, MirrorSyncResult& result);

  std::unique_ptr<Store> primary_;
  std::unique_ptr<Store> replica_;
  MirrorOptions options_;
  std::unique_ptr<State> state_;
};

// Whether a failure means "the store could not be reached" (as opposed to a
// final answer such as NotFound, AlreadyExists or PermissionDenied).
bool IsStoreDown(const absl::Status& status);

}  // namespace coffer
