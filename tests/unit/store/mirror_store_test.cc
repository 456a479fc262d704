#include "store/mirror_store.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <string>

#include "store/memory_store.h"
#include "store_conformance.h"

using namespace coffer;

namespace {

ByteView View(const std::string& s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

// A store that can be switched off: every call then fails Unavailable, as
// a store whose server was killed does (after the retry decorator gave up).
class SwitchableStore : public Store {
 public:
  SwitchableStore(Store& inner, std::shared_ptr<std::atomic<bool>> down) : inner_(inner), down_(down) {}
  absl::Status Put(std::string_view n, ByteView d) override { return Down() ? Err() : inner_.Put(n, d); }
  absl::Status PutIfAbsent(std::string_view n, ByteView d) override {
    return Down() ? Err() : inner_.PutIfAbsent(n, d);
  }
  absl::StatusOr<Bytes> Get(std::string_view n) override {
    if (Down()) return Err();
    return inner_.Get(n);
  }
  absl::StatusOr<Bytes> GetRange(std::string_view n, uint64_t o, uint64_t l) override {
    if (Down()) return Err();
    return inner_.GetRange(n, o, l);
  }
  absl::StatusOr<ObjectInfo> Stat(std::string_view n) override {
    if (Down()) return Err();
    return inner_.Stat(n);
  }
  absl::Status List(std::string_view p, const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    return Down() ? Err() : inner_.List(p, fn);
  }
  absl::Status Delete(std::string_view n) override { return Down() ? Err() : inner_.Delete(n); }
  std::string Describe() const override { return "switchable " + inner_.Describe(); }
  int calls_while_down = 0;

 private:
  bool Down() {
    if (*down_) ++calls_while_down;
    return *down_;
  }
  static absl::Status Err() { return absl::UnavailableError("connection refused (test)"); }
  Store& inner_;
  std::shared_ptr<std::atomic<bool>> down_;
};

struct Pair {
  std::unique_ptr<Store> primary_data = NewMemoryStore();
  std::unique_ptr<Store> replica_data = NewMemoryStore();
  std::shared_ptr<std::atomic<bool>> primary_down = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<bool>> replica_down = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<MirrorStore> mirror;
  SwitchableStore* primary_switch = nullptr;

  Pair() {
    auto p = std::make_unique<SwitchableStore>(*primary_data, primary_down);
    primary_switch = p.get();
    MirrorOptions o;
    o.replica_backoff = std::chrono::milliseconds(1);
    mirror = std::make_unique<MirrorStore>(std::move(p),
                                           std::make_unique<SwitchableStore>(*replica_data, replica_down), o);
  }
  std::vector<std::string> Names(Store& s, std::string_view prefix = "") {
    std::vector<std::string> out;
    REQUIRE(s.List(prefix, [&](const ObjectInfo& i) {
               out.push_back(i.name);
               return absl::OkStatus();
             }).ok());
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace

TEST_CASE("mirror store keeps the Store contract") {
  testing::RunStoreConformance([] {
    return std::make_unique<MirrorStore>(NewMemoryStore(), NewMemoryStore());
  });
}

TEST_CASE("mirror store writes and deletes on both stores") {
  Pair p;
  REQUIRE(p.mirror->PutIfAbsent("data/ab/1", View("one")).ok());
  REQUIRE(p.mirror->Put("config", View("cfg")).ok());
  CHECK(Str(*p.replica_data->Get("data/ab/1")) == "one");
  CHECK(Str(*p.replica_data->Get("config")) == "cfg");
  REQUIRE(p.mirror->Delete("data/ab/1").ok());
  CHECK(absl::IsNotFound(p.replica_data->Stat("data/ab/1").status()));
  CHECK(*p.mirror->PendingCount() == 0);
  CHECK(absl::IsAlreadyExists(p.mirror->PutIfAbsent("config", View("x"))));
}

TEST_CASE("a replica that is down is journaled, and sync repairs it") {
  Pair p;
  REQUIRE(p.mirror->Put("index/old", View("old")).ok());
  *p.replica_down = true;
  REQUIRE(p.mirror->PutIfAbsent("data/ab/2", View("two")).ok());  // the primary has it: success
  REQUIRE(p.mirror->Put("snapshots/s", View("snap")).ok());
  REQUIRE(p.mirror->Delete("index/old").ok());
  CHECK(p.mirror->replica_failures() == 3);
  CHECK(*p.mirror->PendingCount() == 3);
  // The journal is the mirror's own: listings through it do not show it.
  CHECK(p.Names(*p.mirror) == std::vector<std::string>{"data/ab/2", "snapshots/s"});

  SECTION("sync fails while the replica is still down, keeping the journal") {
    CHECK_FALSE(p.mirror->Sync().ok());
    CHECK(*p.mirror->PendingCount() == 3);
  }
  SECTION("sync repeats every change once the replica is back") {
    *p.replica_down = false;
    auto r = p.mirror->Sync();
    REQUIRE(r.ok());
    CHECK(r->journal_entries == 3);
    CHECK(r->objects_copied == 2);
    CHECK(r->objects_deleted == 1);
    CHECK(*p.mirror->PendingCount() == 0);
    CHECK(p.Names(*p.replica_data) == std::vector<std::string>{"data/ab/2", "snapshots/s"});
    CHECK(Str(*p.replica_data->Get("snapshots/s")) == "snap");
  }
  SECTION("sync also finds objects whose journal entry was lost") {
    *p.replica_down = false;
    REQUIRE(p.primary_data->Delete(p.Names(*p.primary_data, kMirrorJournalPrefix).front()).ok());
    REQUIRE(p.primary_data->Put("keys/k", View("slot")).ok());  // written around the mirror
    REQUIRE(p.replica_data->Put("data/zz/extra", View("x")).ok());
    auto r = p.mirror->Sync();
    REQUIRE(r.ok());
    CHECK(Str(*p.replica_data->Get("keys/k")) == "slot");
    CHECK(p.replica_data->Stat("data/ab/2").ok());
    CHECK(p.replica_data->Stat("snapshots/s").ok());
    CHECK(r->extra_on_replica == 1);  // counted, never deleted
    CHECK(p.replica_data->Stat("data/zz/extra").ok());
  }
}

TEST_CASE("reads fall back to the replica while the primary is down") {
  Pair p;
  REQUIRE(p.mirror->Put("data/ab/3", View("three")).ok());
  *p.primary_down = true;
  CHECK(Str(*p.mirror->Get("data/ab/3")) == "three");
  CHECK(Str(*p.mirror->GetRange("data/ab/3", 1, 3)) == "hre");
  CHECK(p.mirror->Stat("data/ab/3")->size == 5);
  CHECK(p.Names(*p.mirror) == std::vector<std::string>{"data/ab/3"});
  // The primary is skipped for reads once it was found down.
  int before = p.primary_switch->calls_while_down;
  CHECK(p.mirror->Get("data/ab/3").ok());
  CHECK(p.primary_switch->calls_while_down == before);
  // A NotFound from the replica stays NotFound.
  CHECK(absl::IsNotFound(p.mirror->Get("data/ab/none").status()));
  // Locks can be taken on the replica alone; data cannot be written.
  CHECK(p.mirror->PutIfAbsent("locks/l", View("lock")).ok());
  CHECK(p.mirror->Delete("locks/l").ok());
  CHECK_FALSE(p.mirror->Put("data/ab/4", View("four")).ok());
  CHECK(absl::IsNotFound(p.replica_data->Stat("data/ab/4").status()));
}
