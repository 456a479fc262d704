#include "repo/repository.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "compress/codec.h"
#include "repo/host_info.h"
#include "repo/index_cache.h"
#include "repo/object_kind.h"

namespace coffer {

Repository::Repository(std::unique_ptr<Store> store, MasterKeys keys, RepoConfig config, Id key_slot_id)
    : store_(std::move(store)),
      keys_(std::move(keys)),
      config_(std::move(config)),
      key_slot_id_(key_slot_id),
      hasher_(std::make_unique<KeyedHasher>(keys_.id_key.view())),
      // ValidateConfig (on init and on every read) refused unknown algorithms.
      chunker_(std::make_unique<Chunker>(*ParseChunkerAlgorithm(config_.chunker_algorithm), config_.chunker,
                                         GearTable::FromSeed(keys_.ChunkerSeed().view()))) {}

absl::StatusOr<Id> Repository::PutContentAddressed(std::string (*name_of)(const Id&), ByteView data) {
  Id id = Sha256(data);
  COFFER_RETURN_IF_ERROR(coffer::PutContentAddressed(*store_, name_of(id), data));
  return id;
}

absl::StatusOr<Id> Repository::PutContentAddressedDeferred(std::string (*name_of)(const Id&), ByteView data) {
  Id id = Sha256(data);
  COFFER_RETURN_IF_ERROR(store_->PutContentAddressedDeferred(name_of(id), data));
  return id;
}

absl::StatusOr<std::unique_ptr<Repository>> Repository::Init(std::unique_ptr<Store> store,
                                                             std::string_view password,
                                                             const InitOptions& options) {
  if (password.empty()) return absl::InvalidArgumentError("the password is empty");
  auto existing = store->Stat(kConfigName);
  if (existing.ok())
    return absl::AlreadyExistsError(absl::StrCat("a repository already exists at ", store->Describe()));
  if (!absl::IsNotFound(existing.status())) return existing.status();
  COFFER_RETURN_IF_ERROR(store->Prepare());

  RepoConfig config;
  config.repo_id = Id::FromBytes(Key32::Random().view());
  config.chunker_algorithm = std::string(ChunkerAlgorithmName(options.chunker_algorithm));
  config.chunker = options.chunker;
  config.data_cipher = options.data_cipher.value_or(AesGcmIsFast() ? Cipher::kAes256Gcm
                                                                   : Cipher::kXChaCha20Poly1305);
  config.compression = options.compression;
  config.pack_size = options.pack_size != 0 ? options.pack_size : store->DefaultPackSize();
  config.created_unix = absl::ToUnixSeconds(absl::Now());
  config.object_lock = options.object_lock;
  COFFER_RETURN_IF_ERROR(ValidateConfig(config));
  if (config.object_lock) {
    // Before the first object: the key slot and config are retained too.
    ObjectLockable* lockable = ObjectLockOf(*store);
    absl::Status s = lockable ? lockable->EnableObjectLock(*config.object_lock)
                              : absl::UnimplementedError("not supported");
    if (!s.ok())
      return absl::InvalidArgumentError(absl::StrCat(
          "--retention-lock: ", store->Describe(), " cannot lock objects (", s.message(),
          "); object lock needs S3, Azure Blob or GCS"));
  }

  MasterKeys keys = options.keys ? *options.keys : MasterKeys::Generate();
  if (!keys.can_read())
    return absl::InvalidArgumentError("a mirror needs the source's full keys, not a write-only key");
  KeySlotInfo info = options.slot_info;
  if (info.host.empty()) info.host = CurrentHostName();
  if (info.user.empty()) info.user = CurrentUserName();
  if (info.created_unix == 0) info.created_unix = config.created_unix;
  info.write_only = false;
  COFFER_ASSIGN_OR_RETURN(Bytes slot, CreateKeySlot(keys, password, options.kdf, info));
  Id slot_id = Sha256(slot);
  // Key slot first: the config's presence is what makes this a repository.
  COFFER_RETURN_IF_ERROR(store->PutIfAbsent(KeySlotName(slot_id), slot));
  absl::Status s = store->PutIfAbsent(kConfigName, EncryptConfig(config, keys.index_key));
  if (!s.ok()) {
    (void)store->Delete(KeySlotName(slot_id));
    if (absl::IsAlreadyExists(s))
      return absl::AlreadyExistsError(absl::StrCat("a repository already exists at ", store->Describe()));
    return s;
  }
  return std::unique_ptr<Repository>(new Repository(std::move(store), std::move(keys), config, slot_id));
}

absl::StatusOr<std::unique_ptr<Repository>> Repository::Open(std::unique_ptr<Store> store,
                                                             std::string_view password) {
  auto config_data = store->Get(kConfigName);
  if (absl::IsNotFound(config_data.status()))
    return absl::NotFoundError(
        absl::StrCat("no coffer repository at ", store->Describe(), " (it has no config object)"));
  if (!config_data.ok()) return config_data.status();

  std::vector<std::string> slot_names;
  COFFER_RETURN_IF_ERROR(store->List(kKeysPrefix, [&](const ObjectInfo& info) {
    slot_names.push_back(info.name);
    return absl::OkStatus();
  }));
  std::sort(slot_names.begin(), slot_names.end());
  if (slot_names.empty())
    return absl::DataLossError(absl::StrCat("repository at ", store->Describe(), " has no key slots"));

  absl::Status last_error = absl::UnauthenticatedError("wrong password");
  for (const std::string& name : slot_names) {
    auto slot = store->Get(name);
    if (!slot.ok()) return slot.status();
    auto keys = OpenKeySlot(*slot, password);
    if (absl::IsUnauthenticated(keys.status())) continue;
    if (!keys.ok()) {
      last_error = Annotate(keys.status(), name);
      continue;
    }
    auto slot_id = IdFromObjectName(name);
    COFFER_ASSIGN_OR_RETURN(RepoConfig config, DecryptConfig(*config_data, keys->index_key));
    if (config.object_lock) {
      // A store that cannot lock (a local copy of the repository) still
      // opens: it has no retention to honour.
      if (ObjectLockable* lockable = ObjectLockOf(*store)) {
        absl::Status s = lockable->EnableObjectLock(*config.object_lock);
        if (!s.ok() && !absl::IsUnimplemented(s)) return s;
      }
    }
    return std::unique_ptr<Repository>(
        new Repository(std::move(store), std::move(*keys), config, slot_id.value_or(Id{})));
  }
  if (absl::IsUnauthenticated(last_error))
    return absl::UnauthenticatedError(absl::StrCat(
        "wrong password: none of the ", slot_names.size(), " key slot(s) of the repository at ",
        store->Describe(), " opens with it"));
  return last_error;
}

absl::Status Repository::RequireReadAccess(std::string_view operation) const {
  if (keys_.can_read()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("the key ", key_slot_id_.ShortHex(),
                                                  " is write-only: it cannot ", std::string(operation)));
}

namespace {
// A cached index is rewritten once the objects merged on top of it exceed
// either bound: each further open would fetch them again.
constexpr size_t kMaxIncrementalObjects = 16;
constexpr size_t kIncrementalShare = 16;  // blobs added > cached blobs / 16

// `objects_now` and `blobs_now` include the cached ones (counted as such
// only while the cache file holds them: see Repository::cached_objects_).
bool CacheWantsRewrite(size_t objects_now, size_t objects_cached, size_t blobs_now, size_t blobs_cached) {
  const size_t objects_added = objects_now > objects_cached ? objects_now - objects_cached : 0;
  const size_t blobs_added = blobs_now > blobs_cached ? blobs_now - blobs_cached : 0;
  return objects_added > kMaxIncrementalObjects ||
         (objects_added > 0 && blobs_added > blobs_cached / kIncrementalShare);
}
}  // namespace

absl::Status Repository::LoadIndex(IndexLoadReport* report) {
  last_index_load_ = IndexLoadInfo{};
  indexed_objects_.reset();
  cached_objects_ = cached_blobs_ = 0;  // known again once the cache is read or written
  std::vector<std::string> names;
  COFFER_RETURN_IF_ERROR(store_->List(kIndexPrefix, [&](const ObjectInfo& info) {
    names.push_back(info.name);
    return absl::OkStatus();
  }));
  // A stable order, so "first location wins" is the same on every load.
  std::sort(names.begin(), names.end());
  // The cache is keyed by object ids; a store with other names under index/
  // is loaded in full every time.
  std::vector<Id> ids;
  bool cacheable = cache_dir_.has_value();
  for (const std::string& name : names) {
    auto id = IdFromObjectName(name);
    if (!id || IndexName(*id) != name) cacheable = false;
    if (id) ids.push_back(*id);
  }
  if (cacheable && report == nullptr) {
    COFFER_ASSIGN_OR_RETURN(bool served, LoadIndexFromCache(names, ids));
    if (served) return absl::OkStatus();
  }

  IndexBuilder builder;
  std::vector<Id> loaded;
  for (const std::string& name : names) {
    auto data = store_->Get(name);
    absl::StatusOr<IndexObject> object =
        data.ok() ? DecryptIndexObject(*data, keys_.index_key) : absl::StatusOr<IndexObject>(data.status());
    if (absl::IsNotFound(object.status())) continue;  // removed by a prune meanwhile
    if (!object.ok()) {
      if (!report) return Annotate(object.status(), name);
      report->failures.emplace_back(name, object.status());
      continue;
    }
    last_index_load_.objects_fetched++;
    builder.Merge(*object);
    if (auto id = IdFromObjectName(name)) loaded.push_back(*id);
    if (report) report->objects.push_back({IdFromObjectName(name).value_or(Id{}), std::move(*object)});
  }
  index_ = Index();  // the old index goes before the new one is built
  index_ = std::move(builder).Build();
  if (cacheable) {
    std::sort(loaded.begin(), loaded.end());
    WriteIndexCacheQuietly(loaded);
    indexed_objects_ = std::move(loaded);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Repository::LoadIndexFromCache(const std::vector<std::string>& names,
                                                    const std::vector<Id>& ids) {
  auto file = IndexCacheFile::Open(IndexCachePath(*cache_dir_, config_.repo_id), config_.repo_id, keys_.index_key);
  if (!file.ok()) return false;
  // Usable only when every object it holds is still on the store (a prune
  // or repair deletes objects: their packs may be gone).
  const std::vector<Id>& cached = file->objects();
  std::vector<size_t> added;  // positions in names/ids
  size_t c = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (c < cached.size() && cached[c] == ids[i]) {
      ++c;
    } else {
      added.push_back(i);
    }
  }
  if (c != cached.size()) return false;
  auto index = file->ReadIndex();
  if (!index.ok()) return false;
  index_ = std::move(*index);
  last_index_load_.from_cache = true;

  std::vector<Id> objects = cached;
  for (size_t i : added) {
    auto data = store_->Get(names[i]);
    absl::StatusOr<IndexObject> object =
        data.ok() ? DecryptIndexObject(*data, keys_.index_key) : absl::StatusOr<IndexObject>(data.status());
    if (absl::IsNotFound(object.status())) continue;  // removed by a prune meanwhile
    if (!object.ok()) {
      index_ = Index();
      return Annotate(object.status(), names[i]);
    }
    last_index_load_.objects_fetched++;
    index_.Merge(*object);
    objects.push_back(ids[i]);
  }
  cached_objects_ = cached.size();
  cached_blobs_ = file->blob_count();
  indexed_objects_ = std::move(objects);
  UpdateIndexCache();  // rewritten once too much is merged on top
  return true;
}

void Repository::WriteIndexCacheQuietly(const std::vector<Id>& objects) {
  // The cache only saves time: failing to write it is not an error.
  if (!index_.compact()) return;
  absl::Status s =
      WriteIndexCache(IndexCachePath(*cache_dir_, config_.repo_id), config_.repo_id, keys_.index_key, objects, index_);
  last_index_load_.cache_written = s.ok();
  if (s.ok()) {
    cached_objects_ = objects.size();
    cached_blobs_ = index_.blob_count();
  }
}

void Repository::AddToIndex(const IndexObject& object, const std::vector<Id>& written) {
  index_.Merge(object);
  // Appended only (a copy adds one object at a time); UpdateIndexCache sorts.
  if (indexed_objects_) indexed_objects_->insert(indexed_objects_->end(), written.begin(), written.end());
}

void Repository::UpdateIndexCache() {
  if (!cache_dir_ || !indexed_objects_) return;
  std::vector<Id>& objects = *indexed_objects_;
  std::sort(objects.begin(), objects.end());
  objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
  if (!CacheWantsRewrite(objects.size(), cached_objects_, index_.blob_count(), cached_blobs_)) return;
  index_.Compact();
  WriteIndexCacheQuietly(objects);
}

absl::StatusOr<Key32> Repository::PackDataKey(const Id& pack) {
  {
    std::lock_guard<std::mutex> guard(pack_keys_mu_);
    if (auto it = pack_keys_.find(pack); it != pack_keys_.end()) return it->second;
  }
  auto prefix = store_->GetRange(PackName(pack), 0, kPackPrefixSize);
  if (absl::IsNotFound(prefix.status()))  // the index names it: its absence is damage
    return absl::DataLossError(absl::StrCat("pack ", PackName(pack), " is named by the index but missing: ",
                                            prefix.status().message()));
  if (!prefix.ok()) return prefix.status();
  auto key = OpenPackDataKey(*prefix, keys_.data_key_pair());
  if (!key.ok()) return Annotate(key.status(), PackName(pack));
  std::lock_guard<std::mutex> guard(pack_keys_mu_);
  pack_keys_.emplace(pack, *key);
  return *key;
}

absl::StatusOr<Bytes> Repository::ReadBlob(const Id& id) {
  COFFER_RETURN_IF_ERROR(RequireReadAccess("read backup data"));
  auto ref = index_.Find(id);
  if (!ref) return absl::NotFoundError(absl::StrCat("blob ", id.Hex(), " is not in the index"));
  std::string pack_name = PackName(ref->pack);
  auto context = [&] { return absl::StrCat("blob ", id.ShortHex(), " in ", pack_name); };
  COFFER_ASSIGN_OR_RETURN(Key32 key, PackDataKey(ref->pack));
  auto envelope = store_->GetRange(pack_name, ref->blob.offset, ref->blob.length);
  // A pack shorter than the index says, or gone, is damage, not a bad argument.
  if (absl::IsInvalidArgument(envelope.status()) || absl::IsNotFound(envelope.status()))
    return absl::DataLossError(absl::StrCat(context(), ": ", envelope.status().message()));
  if (!envelope.ok()) return Annotate(envelope.status(), context());
  auto payload = OpenPackedBlob(key, id, *envelope);
  if (!payload.ok()) return Annotate(payload.status(), context());
  auto plain = DecompressBlob(*payload, ref->blob.raw_length);
  if (!plain.ok()) return Annotate(plain.status(), context());
  if (plain->size() != ref->blob.raw_length || hasher_->Hash(*plain) != id)
    return absl::DataLossError(absl::StrCat(context(), ": content does not match its id"));
  return plain;
}

absl::StatusOr<Tree> Repository::ReadTree(const Id& id) {
  COFFER_ASSIGN_OR_RETURN(Bytes data, ReadBlob(id));
  auto tree = DecodeTree(data);
  if (!tree.ok()) return Annotate(tree.status(), absl::StrCat("tree ", id.ShortHex()));
  return tree;
}

absl::StatusOr<std::vector<SnapshotEntry>> Repository::ListSnapshots() {
  COFFER_RETURN_IF_ERROR(RequireReadAccess("read snapshots"));
  std::vector<SnapshotEntry> out;
  COFFER_RETURN_IF_ERROR(store_->List(kSnapshotsPrefix, [&](const ObjectInfo& info) -> absl::Status {
    auto id = IdFromObjectName(info.name);
    if (!id) return absl::OkStatus();
    auto data = store_->Get(info.name);
    if (absl::IsNotFound(data.status())) return absl::OkStatus();  // forgotten meanwhile
    if (!data.ok()) return data.status();
    auto snapshot = DecryptSnapshot(*data, keys_.data_key_pair());
    if (!snapshot.ok()) return Annotate(snapshot.status(), info.name);
    out.push_back({*id, std::move(*snapshot)});
    return absl::OkStatus();
  }));
  std::sort(out.begin(), out.end(), [](const SnapshotEntry& a, const SnapshotEntry& b) {
    return std::tie(a.snapshot.time_ns, a.id) < std::tie(b.snapshot.time_ns, b.id);
  });
  return out;
}

absl::StatusOr<SnapshotEntry> Repository::FindSnapshot(std::string_view ref) {
  if (ref == "latest") {
    COFFER_ASSIGN_OR_RETURN(auto all, ListSnapshots());
    if (all.empty()) return absl::NotFoundError("the repository has no snapshots yet");
    return all.back();
  }
  COFFER_RETURN_IF_ERROR(RequireReadAccess("read snapshots"));
  if (ref.size() < 4 || ref.size() > 64 || !std::all_of(ref.begin(), ref.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      }))
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", std::string(ref), "\" is not a snapshot id (use \"latest\" or at least 4 hex digits of an id)"));
  // Match on object names and decrypt only the match, so one damaged
  // snapshot object does not make every other snapshot unreachable.
  std::vector<Id> matches;
  COFFER_RETURN_IF_ERROR(store_->List(kSnapshotsPrefix, [&](const ObjectInfo& info) -> absl::Status {
    auto id = IdFromObjectName(info.name);
    if (id && absl::StartsWith(id->Hex(), std::string(ref))) matches.push_back(*id);
    return absl::OkStatus();
  }));
  if (matches.empty()) return absl::NotFoundError(absl::StrCat("no snapshot matches \"", std::string(ref), "\""));
  if (matches.size() > 1)
    return absl::InvalidArgumentError(absl::StrCat("\"", std::string(ref), "\" matches ", matches.size(),
                                                   " snapshots; give more digits"));
  const std::string name = SnapshotName(matches.front());
  COFFER_ASSIGN_OR_RETURN(Bytes data, store_->Get(name));
  auto snapshot = DecryptSnapshot(data, keys_.data_key_pair());
  if (!snapshot.ok()) return Annotate(snapshot.status(), name);
  return SnapshotEntry{matches.front(), std::move(*snapshot)};
}

absl::StatusOr<Id> Repository::SaveSnapshot(const Snapshot& snapshot) {
  return PutContentAddressed(&SnapshotName, EncryptSnapshot(snapshot, config_.data_cipher, keys_.public_key));
}

absl::StatusOr<Id> Repository::AddKey(std::string_view password, KeySlotInfo info, const KdfParams& kdf) {
  if (password.empty()) return absl::InvalidArgumentError("the new password is empty");
  if (info.write_only == false) COFFER_RETURN_IF_ERROR(RequireReadAccess("add a full key"));
  if (info.host.empty()) info.host = CurrentHostName();
  if (info.user.empty()) info.user = CurrentUserName();
  if (info.created_unix == 0) info.created_unix = absl::ToUnixSeconds(absl::Now());
  COFFER_ASSIGN_OR_RETURN(Bytes slot, CreateKeySlot(keys_, password, kdf, info));
  return PutContentAddressed(&KeySlotName, slot);
}

absl::StatusOr<std::vector<KeySlotEntry>> Repository::ListKeys() {
  std::vector<KeySlotEntry> out;
  COFFER_RETURN_IF_ERROR(store_->List(kKeysPrefix, [&](const ObjectInfo& info) -> absl::Status {
    auto id = IdFromObjectName(info.name);
    if (!id) return absl::OkStatus();
    COFFER_ASSIGN_OR_RETURN(Bytes data, store_->Get(info.name));
    auto slot = ReadKeySlotInfo(data);
    if (!slot.ok()) return Annotate(slot.status(), info.name);
    out.push_back({*id, *slot, *id == key_slot_id_});
    return absl::OkStatus();
  }));
  std::sort(out.begin(), out.end(), [](const KeySlotEntry& a, const KeySlotEntry& b) {
    return std::tie(a.info.created_unix, a.id) < std::tie(b.info.created_unix, b.id);
  });
  return out;
}

absl::Status Repository::RemoveKey(const Id& slot) {
  if (slot == key_slot_id_)
    return absl::FailedPreconditionError(
        "refusing to remove the key slot in use; open the repository with another password first");
  COFFER_ASSIGN_OR_RETURN(auto slots, ListKeys());
  auto it = std::find_if(slots.begin(), slots.end(), [&](const KeySlotEntry& e) { return e.id == slot; });
  if (it == slots.end()) return absl::NotFoundError(absl::StrCat("no key slot ", slot.Hex()));
  int full_left = 0;
  for (const auto& e : slots)
    if (!e.info.write_only && e.id != slot) ++full_left;
  if (full_left == 0)
    return absl::FailedPreconditionError("refusing to remove the last key slot that can read the data");
  return store_->Delete(KeySlotName(slot));
}

absl::StatusOr<Id> Repository::ChangePassword(std::string_view new_password, const KdfParams& kdf) {
  COFFER_ASSIGN_OR_RETURN(auto slots, ListKeys());
  KeySlotInfo info;
  for (const auto& e : slots)
    if (e.current) info = e.info;
  info.created_unix = 0;
  info.write_only = !keys_.can_read();
  COFFER_ASSIGN_OR_RETURN(Id added, AddKey(new_password, info, kdf));
  // The new slot is durable before the old one goes: a crash leaves both.
  COFFER_RETURN_IF_ERROR(store_->Delete(KeySlotName(key_slot_id_)));
  key_slot_id_ = added;
  return added;
}

}  // namespace coffer
