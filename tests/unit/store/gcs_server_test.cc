// The GCS store against the firebase-tools storage emulator, started by
// tests/servers/with_servers.py ("store: gcs against a real server"), which
// sets STORAGE_EMULATOR_HOST and COFFER_TEST_GCS_URL. Tagged [server]: not
// part of the normal run, and failing (never skipping) without a server.
//
// The emulator's quirks shape two choices here (tests/servers, PEERS.md):
//  - It ignores ifGenerationMatch=0, so PutIfAbsent overwrites there. The
//    conformance run wraps the store in EmulatedCreateIfAbsent, which checks
//    for the object under a process-wide lock before the (still
//    precondition-carrying) upload; the real precondition and its 412 are
//    proven against the documented protocol in gcs_store_test.cc. The first
//    test below fails once the emulator honours the precondition.
//  - It finishes a resumable upload with its first request and accepts at
//    most 130 MiB per request, so resumable uploads go in one request here
//    (resumable_chunk_bytes = 0) and the large object is 130 MiB, the most
//    the emulator takes. Multi-chunk uploads are proven in gcs_store_test.cc;
//    the second test below shows the store refusing the emulator's early end.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>

#include "store/gcs_location.h"
#include "store/gcs_store.h"
#include "store/store_errors.h"
#include "store_conformance.h"
#include "support/forwarding_store.h"
#include "support/tree_builder.h"

using namespace coffer;
using namespace coffer::testing;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
// express's "130mb" body limit in the emulator: 130 MiB per request.
constexpr uint64_t kEmulatorMaxRequestBytes = 130 * kMiB;

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  INFO(name << " is not set: run through tests/servers/with_servers.py gcs -- ...");
  REQUIRE(value != nullptr);
  REQUIRE(*value != '\0');
  return value;
}

// The server's location ("gs://coffer-test") under a prefix no other run or
// section uses.
GcsLocation FreshLocation() {
  static std::atomic<int> counter{0};
  static const std::string run = [] {
    std::random_device random;
    return std::to_string(::getpid()) + "-" + std::to_string(random() % 1000000);
  }();
  const std::string url = RequireEnv("COFFER_TEST_GCS_URL");
  REQUIRE(url.starts_with("gs://"));
  absl::StatusOr<GcsLocation> base = ParseGcsLocation(url.substr(5));
  REQUIRE(base.ok());
  GcsLocation location = *base;
  location.prefix = base->FullName("run-" + run + "-" + std::to_string(++counter));
  return location;
}

GcsStoreOptions EmulatorOptions() {
  RequireEnv("STORAGE_EMULATOR_HOST");
  GcsStoreOptions options;
  options.endpoint = GcsEmulatorEndpointFromEnvironment().value();
  options.resumable_threshold_bytes = 8 * kMiB;
  options.resumable_chunk_bytes = 0;  // The emulator finishes on the first request.
  options.list_page_size = 50;        // 1500 objects: 30 pages.
  return options;
}

std::unique_ptr<Store> MustStore(GcsLocation location, GcsStoreOptions options) {
  absl::StatusOr<std::unique_ptr<Store>> store = NewGcsStore(std::move(location), options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

// Test-only: supplies the atomic create-if-absent the emulator lacks (see the
// top of this file), within this process. Everything else passes through.
class EmulatedCreateIfAbsent final : public coffer::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::Status Put(std::string_view name, ByteView data) override {
    std::lock_guard lock(Mu());
    return ForwardingStore::Put(name, data);
  }
  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    std::lock_guard lock(Mu());
    absl::StatusOr<ObjectInfo> existing = Stat(name);
    if (existing.ok())
      return ObjectError(absl::StatusCode::kAlreadyExists, Describe(), name, "already exists");
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    return ForwardingStore::PutIfAbsent(name, data);
  }
  absl::Status Delete(std::string_view name) override {
    std::lock_guard lock(Mu());
    return ForwardingStore::Delete(name);
  }

 private:
  // Put and Delete take it too, so "absent" stays true until the upload lands.
  static std::mutex& Mu() {
    static std::mutex mu;
    return mu;
  }
};

}  // namespace

TEST_CASE("the storage emulator ignores ifGenerationMatch=0 (why PutIfAbsent is emulated below)",
          "[server][gcs]") {
  std::unique_ptr<Store> store = MustStore(FreshLocation(), EmulatorOptions());
  COFFER_REQUIRE_OK(store->Put("locks/l1", AsBytes("first")));
  // Against GCS this is AlreadyExists (gcs_store_test.cc). Should this start
  // failing, the emulator honours the precondition: drop EmulatedCreateIfAbsent.
  COFFER_REQUIRE_OK(store->PutIfAbsent("locks/l1", AsBytes("second")));
  CHECK(ToString(store->Get("locks/l1").value()) == "second");
}

TEST_CASE(
    "the emulator ends a chunked resumable upload early; the store reports DataLoss and "
    "removes the partial object",
    "[server][gcs]") {
  GcsStoreOptions options = EmulatorOptions();
  options.resumable_threshold_bytes = 1;
  options.resumable_chunk_bytes = 256 * 1024;
  std::unique_ptr<Store> store = MustStore(FreshLocation(), options);
  absl::Status s = store->Put("data/chunked", RandomBytes(kMiB, 1));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(s.message()), Catch::Contains("stored 262144 bytes"));
  CHECK(store->Stat("data/chunked").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("a range past the end that the emulator answers with the whole object is InvalidArgument",
          "[server][gcs]") {
  // The emulator ignores an unsatisfiable Range and sends the object whole
  // (200); when the object is exactly as long as the range asked for, only
  // the status tells the answer from the range.
  std::unique_ptr<Store> store = MustStore(FreshLocation(), EmulatorOptions());
  COFFER_REQUIRE_OK(store->Put("data/ten", AsBytes("0123456789")));
  for (uint64_t offset : {10, 11, 20}) {
    absl::StatusOr<Bytes> got = store->GetRange("data/ten", offset, 10);
    INFO("offset " << offset << ": " << got.status().ToString());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(got.status().message()), Catch::Contains("10-byte object"));
  }
  CHECK(ToString(store->GetRange("data/ten", 0, 10).value()) == "0123456789");
}

TEST_CASE("a gs:// location opens against STORAGE_EMULATOR_HOST and works", "[server][gcs]") {
  const GcsLocation location = FreshLocation();
  const std::string url = location.Url();
  absl::StatusOr<std::unique_ptr<Store>> opened = OpenGcsLocation(url.substr(5));
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  Store& store = **opened;
  CHECK(store.Describe() == "GCS store " + url);
  COFFER_REQUIRE_OK(store.Prepare());
  const Bytes data = RandomBytes(100000, 2);
  COFFER_REQUIRE_OK(store.Put("data/00/pack", data));
  CHECK(store.Get("data/00/pack").value() == data);
  CHECK(store.GetRange("data/00/pack", 500, 1000).value() ==
        Bytes(data.begin() + 500, data.begin() + 1500));
  CHECK(store.Stat("data/00/pack")->size == data.size());
  int listed = 0;
  COFFER_REQUIRE_OK(store.List("data/", [&](const ObjectInfo& info) {
    CHECK(info.name == "data/00/pack");
    ++listed;
    return absl::OkStatus();
  }));
  CHECK(listed == 1);
  COFFER_REQUIRE_OK(store.Delete("data/00/pack"));
  CHECK(store.Delete("data/00/pack").code() == absl::StatusCode::kNotFound);
}

TEST_CASE("GCS store keeps the Store contract against the storage emulator", "[server][gcs]") {
  StoreConformanceOptions conformance;
  conformance.large_object_bytes = kEmulatorMaxRequestBytes;
  RunStoreConformance(
      [] {
        return std::make_unique<EmulatedCreateIfAbsent>(
            MustStore(FreshLocation(), EmulatorOptions()));
      },
      conformance);
}
