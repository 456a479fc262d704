#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "repo/blob_writer.h"
#include "repo/lock.h"
#include "repo/object_kind.h"
#include "repo/repository.h"
#include "support/forwarding_store.h"
#include "support/repo_fixture.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
using coffer::testing::MustInit;

namespace {
std::vector<std::string> Names(Store& store, std::string_view prefix) {
  std::vector<std::string> names;
  REQUIRE(store.List(prefix, [&](const ObjectInfo& i) {
                 names.push_back(i.name);
                 return absl::OkStatus();
               }).ok());
  std::sort(names.begin(), names.end());
  return names;
}
}  // namespace

TEST_CASE("a repository opens with its password and refuses a wrong one") {
  coffer::testing::TempDir dir;
  { MustInit(NewLocalStore(dir.path()), "right horse"); }
  auto ok = Repository::Open(NewLocalStore(dir.path()), "right horse");
  REQUIRE(ok.ok());
  auto bad = Repository::Open(NewLocalStore(dir.path()), "wrong horse");
  REQUIRE(absl::IsUnauthenticated(bad.status()));
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("wrong password"));
}

TEST_CASE("opening a directory that is not a repository says so") {
  coffer::testing::TempDir dir;
  auto r = Repository::Open(NewLocalStore(dir.path()), "pw");
  REQUIRE(absl::IsNotFound(r.status()));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("no coffer repository"));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains(dir.path().string()));
}

TEST_CASE("init refuses to overwrite an existing repository") {
  coffer::testing::TempDir dir;
  MustInit(NewLocalStore(dir.path()));
  auto again = Repository::Init(NewLocalStore(dir.path()), "pw", coffer::testing::SmallRepoOptions());
  REQUIRE(absl::IsAlreadyExists(again.status()));
  CHECK(Names(*NewLocalStore(dir.path()), "keys/").size() == 1);
}

TEST_CASE("blobs written through the blob writer are indexed and read back verified") {
  auto repo = MustInit(NewMemoryStore());
  REQUIRE(repo->LoadIndex().ok());
  std::vector<std::pair<Id, Bytes>> blobs;
  {
    BlobWriter writer(*repo);
    for (int i = 0; i < 300; ++i) {
      Bytes data = coffer::testing::RandomBytes(8000 + i, i);
      Id id = repo->hasher().Hash(data);
      REQUIRE(*writer.Save(BlobType::kData, id, data));
      CHECK_FALSE(*writer.Save(BlobType::kData, id, data));  // deduplicated
      blobs.emplace_back(id, data);
    }
    REQUIRE(writer.Flush().ok());
    CHECK(writer.stats().packs_written >= 2);  // 2.4 MB over 1 MiB packs
  }
  // A fresh open sees the same through the index objects on the store.
  REQUIRE(repo->LoadIndex().ok());
  CHECK(repo->index().blob_count() == 300);
  for (const auto& [id, data] : blobs) {
    auto read = repo->ReadBlob(id);
    REQUIRE(read.ok());
    CHECK(*read == data);
  }
}

TEST_CASE("a flipped byte in a pack is reported as data loss naming the pack") {
  coffer::testing::TempDir dir;
  auto repo = MustInit(NewLocalStore(dir.path()));
  REQUIRE(repo->LoadIndex().ok());
  Bytes data = coffer::testing::RandomBytes(50000, 7);
  Id id = repo->hasher().Hash(data);
  BlobWriter writer(*repo);
  REQUIRE(writer.Save(BlobType::kData, id, data).ok());
  REQUIRE(writer.Flush().ok());
  auto ref = repo->index().Find(id);
  REQUIRE(ref);
  std::string pack_name = PackName(ref->pack);
  auto pack = repo->store().Get(pack_name);
  REQUIRE(pack.ok());

  SECTION("flipped byte inside the blob") {
    (*pack)[ref->blob.offset + ref->blob.length / 2] ^= 0x01;
  }
  SECTION("flipped byte in the sealed data key") { (*pack)[10] ^= 0x80; }
  SECTION("truncated pack") { pack->resize(ref->blob.offset + 10); }
  REQUIRE(repo->store().Put(pack_name, *pack).ok());
  auto reopened = Repository::Open(NewLocalStore(dir.path()), "secret");
  REQUIRE(reopened.ok());
  REQUIRE((*reopened)->LoadIndex().ok());
  auto read = (*reopened)->ReadBlob(id);
  REQUIRE_FALSE(read.ok());
  CHECK_THAT(std::string(read.status().message()), Catch::Contains(ref->pack.Hex()));
}

TEST_CASE("key slots: add, open with either, change password, remove") {
  auto store_holder = NewMemoryStore();
  Store* store = store_holder.get();
  auto repo = MustInit(std::move(store_holder), "first");
  KeySlotInfo info;
  info.label = "laptop";
  auto second = repo->AddKey("second", info, coffer::testing::FastKdf());
  REQUIRE(second.ok());
  auto keys = repo->ListKeys();
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 2);

  SECTION("the slot in use cannot be removed") {
    CHECK(absl::IsFailedPrecondition(repo->RemoveKey(repo->key_slot_id())));
  }
  SECTION("another slot can be removed, and its password stops working") {
    REQUIRE(repo->RemoveKey(*second).ok());
    REQUIRE(repo->ListKeys()->size() == 1);
  }
  SECTION("change password replaces the current slot") {
    Id old_slot = repo->key_slot_id();
    auto changed = repo->ChangePassword("third", coffer::testing::FastKdf());
    REQUIRE(changed.ok());
    CHECK(repo->key_slot_id() == *changed);
    CHECK_FALSE(store->Stat(KeySlotName(old_slot)).ok());
    CHECK(repo->ListKeys()->size() == 2);
  }
}

TEST_CASE("a write-only key can add blobs but cannot read data or snapshots") {
  coffer::testing::TempDir dir;
  auto repo = MustInit(NewLocalStore(dir.path()), "full");
  KeySlotInfo info;
  info.write_only = true;
  REQUIRE(repo->AddKey("writer", info, coffer::testing::FastKdf()).ok());
  auto writer_repo = Repository::Open(NewLocalStore(dir.path()), "writer");
  REQUIRE(writer_repo.ok());
  CHECK_FALSE((*writer_repo)->keys().can_read());
  REQUIRE((*writer_repo)->LoadIndex().ok());
  Bytes data = coffer::testing::RandomBytes(1000, 1);
  Id id = (*writer_repo)->hasher().Hash(data);
  CHECK(id == repo->hasher().Hash(data));  // same ID key: dedup across keys
  BlobWriter writer(**writer_repo);
  REQUIRE(writer.Save(BlobType::kData, id, data).ok());
  REQUIRE(writer.Flush().ok());
  auto read = (*writer_repo)->ReadBlob(id);
  REQUIRE(absl::IsPermissionDenied(read.status()));
  CHECK_THAT(std::string(read.status().message()), Catch::Contains("write-only"));
  CHECK(absl::IsPermissionDenied((*writer_repo)->ListSnapshots().status()));
  // The full key reads what the write-only key wrote.
  REQUIRE(repo->LoadIndex().ok());
  CHECK(*repo->ReadBlob(id) == data);
}

TEST_CASE("snapshots are saved and found by latest, full id and prefix") {
  auto repo = MustInit(NewMemoryStore());
  Snapshot s;
  s.host = "h";
  s.paths = {"/a"};
  s.time_ns = 1000;
  auto first = repo->SaveSnapshot(s);
  s.time_ns = 2000;
  s.tags = {"nightly"};
  auto second = repo->SaveSnapshot(s);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(repo->FindSnapshot("latest")->id == *second);
  CHECK(repo->FindSnapshot(first->Hex())->id == *first);
  CHECK(repo->FindSnapshot(first->Hex().substr(0, 10))->id == *first);
  bool ff_is_ours = first->Hex().rfind("ffffffffff", 0) == 0 || second->Hex().rfind("ffffffffff", 0) == 0;
  if (!ff_is_ours) CHECK(absl::IsNotFound(repo->FindSnapshot("ffffffffff").status()));
  CHECK(absl::IsInvalidArgument(repo->FindSnapshot("xyz").status()));
  CHECK(repo->ListSnapshots()->back().snapshot.tags == std::vector<std::string>{"nightly"});
}

TEST_CASE("an exclusive lock conflicts with any other, shared locks coexist") {
  auto repo = MustInit(NewMemoryStore());
  const Key32& key = repo->keys().index_key;
  {
    auto a = RepoLock::Acquire(repo->store(), key, false);
    auto b = RepoLock::Acquire(repo->store(), key, false);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto x = RepoLock::Acquire(repo->store(), key, true);
    REQUIRE(absl::IsFailedPrecondition(x.status()));
    CHECK_THAT(std::string(x.status().message()), Catch::Contains("repository is locked"));
    CHECK_THAT(std::string(x.status().message()), Catch::Contains("pid"));
  }
  // Released on destruction.
  auto x = RepoLock::Acquire(repo->store(), key, true);
  REQUIRE(x.ok());
  CHECK(absl::IsFailedPrecondition(RepoLock::Acquire(repo->store(), key, false).status()));
}

TEST_CASE("a lock waiter gets the lock once the holder lets go, and gives up after its wait") {
  auto repo = MustInit(NewMemoryStore());
  const Key32& key = repo->keys().index_key;
  auto holder = RepoLock::Acquire(repo->store(), key, true);
  REQUIRE(holder.ok());

  auto started = std::chrono::steady_clock::now();
  auto refused = RepoLock::Acquire(repo->store(), key, false, /*wait_seconds=*/2);
  CHECK(absl::IsFailedPrecondition(refused.status()));
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(1500));

  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    holder->reset();
  });
  auto waited = RepoLock::Acquire(repo->store(), key, false, /*wait_seconds=*/30);
  release.join();
  CHECK(waited.ok());
}

TEST_CASE("a content-addressed put replaces a damaged leftover under its name, keeps a good one") {
  auto repo = MustInit(NewMemoryStore());
  const Bytes data = RandomBytes(5000);
  const Id id = Sha256(data);
  const std::string name = SnapshotName(id);
  // A torn write left the first half under the final name.
  REQUIRE(repo->store().Put(name, ByteView(data).subspan(0, 2500)).ok());
  auto put = repo->PutContentAddressed(&SnapshotName, data);
  REQUIRE(put.ok());
  CHECK(*put == id);
  CHECK(*repo->store().Get(name) == data);
  // Already there and whole: nothing to do, still OK.
  CHECK(repo->PutContentAddressed(&SnapshotName, data).ok());
  CHECK(*repo->store().Get(name) == data);
}

TEST_CASE("a damaged snapshot object does not hide the others from lookups by id") {
  auto repo = MustInit(NewMemoryStore());
  Snapshot s;
  s.host = "h";
  s.paths = {"/a"};
  s.time_ns = 1000;
  auto good = repo->SaveSnapshot(s);
  s.time_ns = 2000;
  auto damaged = repo->SaveSnapshot(s);
  REQUIRE(good.ok());
  REQUIRE(damaged.ok());
  auto bytes = repo->store().Get(SnapshotName(*damaged));
  REQUIRE(bytes.ok());
  (*bytes)[bytes->size() / 2] ^= 1;
  REQUIRE(repo->store().Put(SnapshotName(*damaged), *bytes).ok());

  auto found = repo->FindSnapshot(good->Hex().substr(0, 8));
  REQUIRE(found.ok());
  CHECK(found->id == *good);
  auto broken = repo->FindSnapshot(damaged->Hex());
  CHECK(absl::IsDataLoss(broken.status()));
  CHECK_THAT(std::string(broken.status().message()), Catch::Contains(damaged->Hex()));
}

TEST_CASE("a repository chunks with the algorithm its config names: gear-simd-v1 by default") {
  coffer::testing::TempDir dir;
  SECTION("new repositories get gear-simd-v1") {
    auto repo = MustInit(NewLocalStore(dir.path()), "pw");
    CHECK(repo->config().chunker_algorithm == "gear-simd-v1");
    CHECK(repo->chunker().algorithm() == ChunkerAlgorithm::kGearSimdV1);
  }
  SECTION("one made with fastcdc-gear-v1 reopens with it and cuts as before") {
    InitOptions options = coffer::testing::SmallRepoOptions();
    options.chunker_algorithm = ChunkerAlgorithm::kFastCdcGearV1;
    std::vector<size_t> first_cuts;
    const Bytes data = RandomBytes(1 << 20);
    auto cuts = [&](const Chunker& chunker) {
      std::vector<size_t> lengths;
      for (ByteView rest = data; !rest.empty(); rest = rest.subspan(lengths.back())) {
        lengths.push_back(chunker.NextChunkLength(rest, true));
      }
      return lengths;
    };
    {
      auto repo = MustInit(NewLocalStore(dir.path()), "pw", options);
      first_cuts = cuts(repo->chunker());
    }
    auto reopened = Repository::Open(NewLocalStore(dir.path()), "pw");
    REQUIRE(reopened.ok());
    CHECK((*reopened)->config().chunker_algorithm == "fastcdc-gear-v1");
    CHECK((*reopened)->chunker().algorithm() == ChunkerAlgorithm::kFastCdcGearV1);
    CHECK(cuts((*reopened)->chunker()) == first_cuts);
    CHECK(first_cuts.size() > 10);
  }
  SECTION("an unknown algorithm is refused, naming it") {
    RepoConfig config;
    config.chunker_algorithm = "gear-simd-v9";
    absl::Status s = ValidateConfig(config);
    CHECK(absl::IsFailedPrecondition(s));
    CHECK_THAT(std::string(s.message()), Catch::Contains("gear-simd-v9"));
  }
}

namespace {
// Forwards to another store; the first put of an index object waits at a
// gate until the test opens it (a slow request to a cloud store).
class IndexGateStore : public coffer::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::shared_future<void> entered() { return entered_future_; }
  void Open() { open_.set_value(); }
  absl::Status PutIfAbsent(std::string_view n, ByteView d) override {
    if (n.starts_with("index/") && !waited_.exchange(true)) {
      entered_.set_value();
      open_future_.wait();
    }
    return ForwardingStore::PutIfAbsent(n, d);
  }

 private:
  std::atomic<bool> waited_{false};
  std::promise<void> entered_, open_;
  std::shared_future<void> entered_future_ = entered_.get_future().share();
  std::shared_future<void> open_future_ = open_.get_future().share();
};
}  // namespace

TEST_CASE("a slow index object write does not hold up saving blobs") {
  auto gate_owned = std::make_unique<IndexGateStore>(NewMemoryStore());
  IndexGateStore* gate = gate_owned.get();
  auto repo = MustInit(std::move(gate_owned));
  REQUIRE(repo->LoadIndex().ok());
  BlobWriter writer(*repo, /*upload_threads=*/1);
  // Incompressible 64 KiB blobs fill 1 MiB packs; after 32 packs the upload
  // thread writes an index object and stops at the gate. They are saved on
  // their own thread, which may itself wait (back-pressure: the uploader is
  // stuck), and stops once the gate is reached. Catch2 assertions belong to
  // the test's thread: the others only save and report.
  auto big = std::async(std::launch::async, [&] {
    std::vector<std::pair<Id, Bytes>> saved;
    bool all_ok = true;
    for (uint64_t seed = 1; seed < 2000; ++seed) {
      if (gate->entered().wait_for(std::chrono::seconds(0)) == std::future_status::ready) break;
      Bytes data = coffer::testing::RandomBytes(64 << 10, seed);
      Id id = repo->hasher().Hash(data);
      all_ok &= writer.Save(BlobType::kData, id, data).ok();
      saved.emplace_back(id, std::move(data));
    }
    return std::make_pair(all_ok, std::move(saved));
  });
  bool reached = gate->entered().wait_for(std::chrono::seconds(120)) == std::future_status::ready;
  // While the index write waits, small blobs (less than a pack) must still be saved.
  std::vector<std::pair<Id, Bytes>> small;
  for (int i = 0; i < 3; ++i) {
    Bytes data = coffer::testing::RandomBytes(1000, 100000 + i);
    small.emplace_back(repo->hasher().Hash(data), std::move(data));
  }
  auto more = std::async(std::launch::async, [&] {
    bool all_ok = true;
    for (const auto& [id, data] : small) all_ok &= writer.Save(BlobType::kData, id, data).ok();
    return all_ok;
  });
  bool saved_meanwhile = reached && more.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  gate->Open();
  CHECK(more.get());
  auto [big_ok, blobs] = big.get();
  REQUIRE(reached);
  CHECK(big_ok);
  CHECK(saved_meanwhile);
  blobs.insert(blobs.end(), small.begin(), small.end());
  REQUIRE(writer.Flush().ok());
  REQUIRE(repo->LoadIndex().ok());
  CHECK(repo->index().blob_count() == blobs.size());
  for (const auto& [id, data] : blobs) {
    auto read = repo->ReadBlob(id);
    REQUIRE(read.ok());
    CHECK(*read == data);
  }
}
