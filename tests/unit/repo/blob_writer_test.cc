#include "repo/blob_writer.h"

#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "repo/index.h"
#include "repo/object_kind.h"
#include "repo/repository.h"
#include "store/memory_store.h"
#include "support/forwarding_store.h"
#include "support/repo_fixture.h"
#include "support/tree_builder.h"

using namespace coffer;
using coffer::testing::MustInit;

namespace {

// Keeps deferred writes invisible until WaitDeferred, the latest a store may
// finish them, and records which were finished when each index object was
// written.
class DeferringStore final : public testing::ForwardingStore {
 public:
  DeferringStore() : ForwardingStore(NewMemoryStore()) {}

  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    if (name.starts_with("index/")) {
      std::lock_guard<std::mutex> guard(mu_);
      index_writes_.push_back({Bytes(data.begin(), data.end()), finished_});
    }
    return ForwardingStore::PutIfAbsent(name, data);
  }

  absl::Status PutContentAddressedDeferred(std::string_view name, ByteView data) override {
    std::lock_guard<std::mutex> guard(mu_);
    unfinished_.push_back({++submitted_, std::string(name), Bytes(data.begin(), data.end())});
    return absl::OkStatus();
  }
  uint64_t DeferredMark() override {
    std::lock_guard<std::mutex> guard(mu_);
    return submitted_ + 1;
  }
  absl::Status WaitDeferred(uint64_t since) override {
    std::lock_guard<std::mutex> guard(mu_);
    for (Unfinished& write : unfinished_) {
      if (write.number == failing_) {
        failed_ = write.number;
        continue;
      }
      COFFER_RETURN_IF_ERROR(PutContentAddressed(inner(), write.name, write.data));
      finished_.insert(write.name);
    }
    unfinished_.clear();
    if (failed_ != 0 && failed_ >= since)
      return absl::DataLossError("deferring test store: fsync: Input/output error");
    return absl::OkStatus();
  }

  // The deferred write with this number (1 for the first) fails.
  void FailWrite(uint64_t number) {
    std::lock_guard<std::mutex> guard(mu_);
    failing_ = number;
  }
  // Each index object written, with the deferred writes finished by then.
  struct IndexWrite {
    Bytes stored;
    std::set<std::string> finished;
  };
  std::vector<IndexWrite> index_writes() {
    std::lock_guard<std::mutex> guard(mu_);
    return index_writes_;
  }
  size_t Count(std::string_view prefix) {
    size_t n = 0;
    (void)inner().List(prefix, [&](const ObjectInfo&) {
      ++n;
      return absl::OkStatus();
    });
    return n;
  }

 private:
  std::mutex mu_;
  struct Unfinished {
    uint64_t number;
    std::string name;
    Bytes data;
  };
  std::vector<Unfinished> unfinished_;
  uint64_t submitted_ = 0, failing_ = 0, failed_ = 0;
  std::set<std::string> finished_;
  std::vector<IndexWrite> index_writes_;
};

// Enough 64 KiB random blobs for about 40 packs of 1 MiB: more than one
// index object's worth (32 packs).
void SaveManyBlobs(Repository& repo, BlobWriter& writer, uint64_t seed = 0) {
  for (uint64_t i = 0; i < 640; ++i) {
    Bytes data = testing::RandomBytes(64 << 10, seed + i);
    auto saved = writer.Save(BlobType::kData, repo.hasher().Hash(data), data);
    if (!saved.ok()) return;  // a failing writer: the caller checks Flush
  }
}

// Every index object written names only packs finished before it; returns
// how many packs they name.
size_t CheckIndexObjectsNameFinishedPacks(DeferringStore& store, Repository& repo) {
  size_t packs_named = 0;
  for (const DeferringStore::IndexWrite& index : store.index_writes()) {
    auto object = DecryptIndexObject(index.stored, repo.keys().index_key);
    REQUIRE(object.ok());
    for (const PackContents& pack : object->packs) {
      INFO("index object names pack " << PackName(pack.pack));
      CHECK(index.finished.contains(PackName(pack.pack)));
      ++packs_named;
    }
  }
  return packs_named;
}

}  // namespace

TEST_CASE("an index object is written only after the packs it names are durable") {
  auto owned = std::make_unique<DeferringStore>();
  DeferringStore* store = owned.get();
  auto repo = MustInit(std::move(owned));
  BlobWriter writer(*repo);
  SaveManyBlobs(*repo, writer);
  absl::Status flushed = writer.Flush();
  INFO(flushed.ToString());
  REQUIRE(flushed.ok());
  CHECK(store->index_writes().size() >= 2);  // one during the writes, one at Flush
  CHECK(CheckIndexObjectsNameFinishedPacks(*store, *repo) == writer.stats().packs_written);
  CHECK(store->Count("data/") == writer.stats().packs_written);
  CHECK(writer.stats().packs_written >= 33);
}

TEST_CASE("a deferred pack write that fails fails the writer, and no index object names it") {
  auto owned = std::make_unique<DeferringStore>();
  DeferringStore* store = owned.get();
  auto repo = MustInit(std::move(owned));
  // The first pack, or the first after the first index object was written
  // (one upload thread: packs are written, and indexed, in order).
  const uint64_t failing = GENERATE(1, 33);
  store->FailWrite(failing);
  BlobWriter writer(*repo, /*upload_threads=*/1);
  SaveManyBlobs(*repo, writer);
  absl::Status flushed = writer.Flush();
  INFO("failing deferred write " << failing << ": " << flushed.ToString());
  CHECK(flushed.code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(flushed.message()), Catch::Contains("fsync: Input/output error"));
  CHECK(store->index_writes().size() == (failing == 1 ? 0u : 1u));
  CHECK(CheckIndexObjectsNameFinishedPacks(*store, *repo) == (failing == 1 ? 0u : 32u));

  // A writer that starts afterwards is not failed by it.
  BlobWriter next(*repo);
  SaveManyBlobs(*repo, next, 1000);
  absl::Status next_flushed = next.Flush();
  INFO(next_flushed.ToString());
  CHECK(next_flushed.ok());
  CHECK(store->Count("index/") == store->index_writes().size());
}
