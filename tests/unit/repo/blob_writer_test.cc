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
#include "support/repo_fixture.h"
#include "support/tree_builder.h"

using namespace coffer;
using coffer::testing::MustInit;

namespace {

// Keeps deferred writes invisible until WaitDeferred, the latest a store may
// finish them, and records which were finished when each index object was
// written.
class DeferringStore final : public Store {
 public:
  DeferringStore() : inner_(NewMemoryStore()) {}

  absl::Status Put(std::string_view name, ByteView data) override { return inner_->Put(name, data); }
  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    if (name.starts_with("index/")) {
      std::lock_guard<std::mutex> guard(mu_);
      index_writes_.push_back({Bytes(data.begin(), data.end()), finished_});
    }
    return inner_->PutIfAbsent(name, data);
  }
  absl::StatusOr<Bytes> Get(std::string_view name) override { return inner_->Get(name); }
  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    return inner_->GetRange(name, offset, length);
  }
  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override { return inner_->Stat(name); }
  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    return inner_->List(prefix, fn);
  }
  absl::Status Delete(std::string_view name) override { return inner_->Delete(name); }
  std::string Describe() const override { return "deferring test store"; }

  absl::Status PutContentAddressedDeferred(std::string_view name, ByteView data) override {
    std::lock_guard<std::mutex> guard(mu_);
    unfinished_.emplace_back(std::string(name), Bytes(data.begin(), data.end()));
    return absl::OkStatus();
  }
  absl::Status WaitDeferred() override {
    std::lock_guard<std::mutex> guard(mu_);
    if (!wait_error_.ok()) return wait_error_;
    for (auto& [name, data] : unfinished_) {
      COFFER_RETURN_IF_ERROR(PutContentAddressed(*inner_, name, data));
      finished_.insert(name);
    }
    unfinished_.clear();
    return absl::OkStatus();
  }

  void FailWaits(absl::Status error) {
    std::lock_guard<std::mutex> guard(mu_);
    wait_error_ = std::move(error);
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
    (void)inner_->List(prefix, [&](const ObjectInfo&) {
      ++n;
      return absl::OkStatus();
    });
    return n;
  }

 private:
  std::unique_ptr<Store> inner_;
  std::mutex mu_;
  std::vector<std::pair<std::string, Bytes>> unfinished_;
  absl::Status wait_error_;
  std::set<std::string> finished_;
  std::vector<IndexWrite> index_writes_;
};

// Enough 64 KiB random blobs for about 40 packs of 1 MiB: more than one
// index object's worth (32 packs).
void SaveManyBlobs(Repository& repo, BlobWriter& writer) {
  for (uint64_t i = 0; i < 640; ++i) {
    Bytes data = testing::RandomBytes(64 << 10, i);
    auto saved = writer.Save(BlobType::kData, repo.hasher().Hash(data), data);
    if (!saved.ok()) return;  // a failing writer: the caller checks Flush
  }
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
  std::vector<DeferringStore::IndexWrite> written = store->index_writes();
  CHECK(written.size() >= 2);  // one during the writes, one at Flush
  size_t packs_named = 0;
  for (const DeferringStore::IndexWrite& index : written) {
    auto object = DecryptIndexObject(index.stored, repo->keys().index_key);
    REQUIRE(object.ok());
    for (const PackContents& pack : object->packs) {
      INFO("index object names pack " << PackName(pack.pack));
      CHECK(index.finished.contains(PackName(pack.pack)));
      ++packs_named;
    }
  }
  CHECK(packs_named == writer.stats().packs_written);
  CHECK(store->Count("data/") == writer.stats().packs_written);
  CHECK(writer.stats().packs_written >= 33);
}

TEST_CASE("a deferred pack write that fails fails the writer, and no index object names it") {
  auto owned = std::make_unique<DeferringStore>();
  DeferringStore* store = owned.get();
  auto repo = MustInit(std::move(owned));
  store->FailWaits(absl::DataLossError("deferring test store: object data/xy: fsync: Input/output error"));
  BlobWriter writer(*repo);
  SaveManyBlobs(*repo, writer);
  absl::Status flushed = writer.Flush();
  INFO(flushed.ToString());
  CHECK(flushed.code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(flushed.message()), Catch::Contains("fsync: Input/output error"));
  CHECK(store->index_writes().empty());
  CHECK(store->Count("index/") == 0);
}
