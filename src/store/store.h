// The Store interface: everything coffer needs from a place that keeps
// objects. Objects are named by '/'-separated relative names
// ("data/3f/3fa2…", "config"), are written whole and never modified in place.
//
// Implementations: memory_store (tests), local_store (a directory); cloud
// stores and decorators (retry, fault injection) implement the same
// interface, so nothing above this layer knows where objects live.
//
// Error codes (absl canonical): NotFound for a missing object, AlreadyExists
// from PutIfAbsent, InvalidArgument for a bad name or range, Unavailable for
// transient I/O or network failures, PermissionDenied / Unauthenticated for
// access problems, DataLoss when the store returns damaged data. Every
// message names the store and the object.
//
// Thread-safety: every method may be called concurrently from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"

namespace coffer {

struct ObjectInfo {
  std::string name;  // full object name, e.g. "index/ab12…"
  uint64_t size = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Writes `data` under `name`, replacing an existing object. Atomic: a
  // reader sees the old object or the new one, never a part.
  virtual absl::Status Put(std::string_view name, ByteView data) = 0;
  // Like Put, but fails with AlreadyExists when `name` exists (on stores
  // that can check this atomically; documented per store otherwise).
  virtual absl::Status PutIfAbsent(std::string_view name, ByteView data) = 0;
  virtual absl::StatusOr<Bytes> Get(std::string_view name) = 0;
  // Reads `length` bytes at `offset`. InvalidArgument (naming the object)
  // when the range lies beyond the end of the object.
  virtual absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset,
                                         uint64_t length) = 0;
  virtual absl::StatusOr<ObjectInfo> Stat(std::string_view name) = 0;
  // Calls `fn` for every object whose name starts with `prefix` (in no
  // particular order). Stops and returns the first non-OK status of `fn`.
  virtual absl::Status List(std::string_view prefix,
                            const std::function<absl::Status(const ObjectInfo&)>& fn) = 0;
  // Deleting a missing object is NotFound.
  virtual absl::Status Delete(std::string_view name) = 0;

  // A description for messages, e.g. "local store /srv/repo"; never secrets.
  virtual std::string Describe() const = 0;

  // Makes the place ready for a new repository where the store can (creates
  // an Azure container that does not exist yet); called once by repository
  // init. A store that needs nothing does nothing. Never deletes anything.
  virtual absl::Status Prepare() { return absl::OkStatus(); }

  // How many writes at once pay off. A remote store hides request latency
  // behind several connections; a local disk wants one (LocalStore), since
  // each writer holds a whole pack in memory. In-memory stores take 2.
  virtual int ParallelWrites() const { return 2; }
  // Pack size for a new repository on this store when the user sets none.
  // Object storage bills and rate-limits per request, so it gets larger packs.
  virtual uint32_t DefaultPackSize() const { return kLocalDefaultPackSize; }

  // 4 MiB: each pack in flight (open, being written: about three) is held
  // in memory, and a local disk gains nothing from larger files (measured:
  // the same first-backup time as 8 MiB, 10 MB less peak memory).
  static constexpr uint32_t kLocalDefaultPackSize = 4u << 20;
  static constexpr uint32_t kCloudDefaultPackSize = 32u << 20;
  static constexpr int kCloudParallelWrites = 4;

  // Deferred writes, for an object nothing refers to until a later write
  // (a pack, until an index object names it) and whose name is derived from
  // its bytes (the hash of them): stores `data` under `name` unless the name
  // already holds an object of the same size (given the name, the same
  // bytes; one of another size is a torn leftover and is replaced). The
  // store may finish the work later, in the background: the object need not
  // be durable or visible under its name until a WaitDeferred after this call
  // returns OK. Callers write nothing that names it before that. The default
  // writes at once (PutContentAddressed below). Errors here are the ones
  // known at once; the rest come from WaitDeferred.
  //
  // A decorator forwards all three of these or none: forwarding only the put
  // would let a caller name an object that is not stored yet.
  virtual absl::Status PutContentAddressedDeferred(std::string_view name, ByteView data);
  // A mark for WaitDeferred, taken by a writer before its first deferred
  // write: the writes made after it are the ones whose failures its waits
  // report.
  virtual uint64_t DeferredMark() { return 0; }
  // Returns when every deferred write made before this call is durable and
  // visible. Fails when one made at or after `since` failed (possibly
  // another writer's, if several write at once: a reason to stop all the
  // same); failures before `since` are an earlier writer's and do not fail
  // later ones.
  virtual absl::Status WaitDeferred(uint64_t since) {
    (void)since;
    return absl::OkStatus();
  }

  // OK when objects here may be replaced and deleted. A store that keeps
  // every object forever (a coffer-server run with --append-only) returns
  // PermissionDenied saying so, and forget and prune ask before they change
  // anything, so they fail without leaving half their work behind.
  virtual absl::Status CheckDeletable() { return absl::OkStatus(); }
};

// Writes an object whose name is derived from its bytes, durable when it
// returns: PutIfAbsent, and when the name is taken, a Stat that tells the
// same object (same size) from a torn leftover (replaced with Put). Stores
// without atomic puts can leave such leftovers.
absl::Status PutContentAddressed(Store& store, std::string_view name, ByteView data);

// Checks an object name: non-empty, relative, '/'-separated, no empty, "."
// or ".." components, no NUL. InvalidArgument otherwise.
absl::Status ValidateObjectName(std::string_view name);

}  // namespace coffer
