// An open repository: a store, the keys from one key slot, the config and
// the in-memory index. Everything above this layer reads and writes the
// repository only through this class and BlobWriter.
//
// Thread-safety: after Open/Init, const methods and ReadBlob/ReadTree may be
// called concurrently; LoadIndex, AddToIndex and the key methods may not run
// concurrently with anything else.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "chunk/chunker.h"
#include "crypto/password_kdf.h"
#include "hash/keyed_hash.h"
#include "repo/config.h"
#include "repo/index.h"
#include "repo/key_slot.h"
#include "repo/master_keys.h"
#include "repo/snapshot.h"
#include "repo/tree.h"
#include "store/store.h"

namespace coffer {

struct InitOptions {
  ChunkerAlgorithm chunker_algorithm = kDefaultChunkerAlgorithm;
  ChunkerParams chunker;
  std::optional<Cipher> data_cipher;  // default: AES-256-GCM when the CPU has it
  Compression compression;
  uint32_t pack_size = 0;  // 0: the store's DefaultPackSize()
  KdfParams kdf = NewKdfParams();
  KeySlotInfo slot_info;  // host/user filled in when empty
  // A mirror: the keys of another repository instead of new ones, so blob
  // ids, chunk boundaries and packs are interchangeable (see engine/copy.h).
  std::optional<MasterKeys> keys;
  // Object lock for every object written (stored in the config).
  std::optional<ObjectLockPolicy> object_lock;
};

// What LoadIndex read, for operations that need every index object as it
// is on the store (check, prune, repair).
struct IndexLoadReport {
  struct Object {
    Id id;
    IndexObject content;
  };
  std::vector<Object> objects;
  // Objects that could not be read or decrypted: name and error. With a
  // report, such objects are skipped instead of failing LoadIndex.
  std::vector<std::pair<std::string, absl::Status>> failures;
};

// How the last LoadIndex got the index (for tests, benchmarks, progress).
struct IndexLoadInfo {
  bool from_cache = false;     // the local index cache was read
  size_t objects_fetched = 0;  // index objects fetched and decrypted from the store
  bool cache_written = false;  // the local index cache was (re)written
};

struct SnapshotEntry {
  Id id;
  Snapshot snapshot;
};

struct KeySlotEntry {
  Id id;
  KeySlotInfo info;
  bool current = false;
};

class Repository {
 public:
  // AlreadyExists when the store already holds a repository (a config).
  static absl::StatusOr<std::unique_ptr<Repository>> Init(std::unique_ptr<Store> store,
                                                          std::string_view password,
                                                          const InitOptions& options);
  // NotFound when the store holds no repository; Unauthenticated when no key
  // slot opens with the password. Does not load the index (see LoadIndex).
  static absl::StatusOr<std::unique_ptr<Repository>> Open(std::unique_ptr<Store> store,
                                                          std::string_view password);

  Store& store() { return *store_; }
  const RepoConfig& config() const { return config_; }
  const MasterKeys& keys() const { return keys_; }
  const KeyedHasher& hasher() const { return *hasher_; }
  const Chunker& chunker() const { return *chunker_; }
  const Id& key_slot_id() const { return key_slot_id_; }
  // PermissionDenied ("the key … is write-only: cannot <operation>").
  absl::Status RequireReadAccess(std::string_view operation) const;

  // Reads every index object (again). Index objects that fail to decrypt are
  // an error naming the object, unless `report` is given (see there).
  //
  // With a cache directory, the decoded index is kept in a local cache file
  // and the next LoadIndex (without a report) reads that file instead when
  // the store still holds every index object it was built from; objects
  // added since are fetched and merged (and the file rewritten once there
  // are many), any object gone since means a full load. A damaged, forged
  // or foreign cache file is ignored and rewritten. See
  // docs/FORMAT.md ("Local index cache").
  absl::Status LoadIndex(IndexLoadReport* report = nullptr);
  const IndexLoadInfo& last_index_load() const { return last_index_load_; }
  // Where LoadIndex keeps its cache: <dir>/<repo id>/index. nullopt (the
  // default) keeps none.
  void set_cache_dir(std::optional<std::filesystem::path> dir) { cache_dir_ = std::move(dir); }
  const std::optional<std::filesystem::path>& cache_dir() const { return cache_dir_; }
  const Index& index() const { return index_; }
  // Merges `object`, which this process wrote to the store as the index
  // objects `written` (their ids), into the in-memory index.
  void AddToIndex(const IndexObject& object, const std::vector<Id>& written);
  // Rewrites the local index cache when the in-memory index, loaded through
  // it, has grown by more than LoadIndex would merge on top of it: the next
  // process then reads what this one wrote from the cache instead of
  // fetching and merging it again (after a first backup, that took a tenth
  // of the unchanged re-backup after it). Quiet: the cache only saves time.
  void UpdateIndexCache();
  // Replaces the in-memory index only (repair's dry run reads through the
  // index it would write).
  void SetIndex(Index index) {
    index_ = std::move(index);
    indexed_objects_.reset();
  }

  // Reads a blob, decrypts, decompresses and checks that its keyed hash
  // matches `id`. NotFound when the index has no such blob; DataLoss naming
  // the pack when it is damaged.
  absl::StatusOr<Bytes> ReadBlob(const Id& id);
  absl::StatusOr<Tree> ReadTree(const Id& id);

  // Snapshots, newest last. Unreadable snapshot objects are an error.
  absl::StatusOr<std::vector<SnapshotEntry>> ListSnapshots();
  // "latest", a full id or a unique prefix of at least 4 hex digits.
  absl::StatusOr<SnapshotEntry> FindSnapshot(std::string_view ref);
  absl::StatusOr<Id> SaveSnapshot(const Snapshot& snapshot);

  // Key slots.
  absl::StatusOr<Id> AddKey(std::string_view password, KeySlotInfo info, const KdfParams& kdf);
  absl::StatusOr<std::vector<KeySlotEntry>> ListKeys();
  // FailedPrecondition for the slot in use or the last full slot.
  absl::Status RemoveKey(const Id& slot);
  // Writes a new slot for the same keys, then removes the current one.
  absl::StatusOr<Id> ChangePassword(std::string_view new_password, const KdfParams& kdf);

  // Writes an encrypted object under the SHA-256 of its bytes in `prefix`
  // style (helpers for BlobWriter and engine); returns the id.
  absl::StatusOr<Id> PutContentAddressed(std::string (*name_of)(const Id&), ByteView data);
  // The same through Store::PutContentAddressedDeferred: durable and visible
  // only once store().WaitDeferred(mark) returns OK (packs, before the index
  // object that names them).
  absl::StatusOr<Id> PutContentAddressedDeferred(std::string (*name_of)(const Id&), ByteView data);

  // How long operations on this handle wait for a conflicting lock before
  // failing (0, the default: fail at once).
  int64_t lock_wait_seconds() const { return lock_wait_seconds_; }
  void set_lock_wait_seconds(int64_t seconds) { lock_wait_seconds_ = seconds; }

 private:
  Repository(std::unique_ptr<Store> store, MasterKeys keys, RepoConfig config, Id key_slot_id);
  absl::StatusOr<Key32> PackDataKey(const Id& pack);
  // LoadIndex through the cache: false when the cache cannot serve (then a
  // full load follows); an error only for what a full load would fail on.
  absl::StatusOr<bool> LoadIndexFromCache(const std::vector<std::string>& names, const std::vector<Id>& ids);
  void WriteIndexCacheQuietly(const std::vector<Id>& objects);

  std::unique_ptr<Store> store_;
  MasterKeys keys_;
  RepoConfig config_;
  Id key_slot_id_;
  int64_t lock_wait_seconds_ = 0;
  std::unique_ptr<KeyedHasher> hasher_;
  std::unique_ptr<Chunker> chunker_;
  Index index_;
  std::optional<std::filesystem::path> cache_dir_;
  IndexLoadInfo last_index_load_;
  // The index objects index_ holds (sorted by LoadIndex and UpdateIndexCache,
  // appended to by AddToIndex) when it was loaded with a cache directory;
  // and how many of those objects, and blobs, the cache file holds (0 until
  // this load read or wrote it).
  std::optional<std::vector<Id>> indexed_objects_;
  size_t cached_objects_ = 0, cached_blobs_ = 0;
  std::mutex pack_keys_mu_;
  absl::flat_hash_map<Id, Key32> pack_keys_;  // data keys of packs read so far
};

}  // namespace coffer
