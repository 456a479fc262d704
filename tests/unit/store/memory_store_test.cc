#include "store/memory_store.h"

#include <catch2/catch.hpp>

#include "store/named_memory_store.h"
#include "store_conformance.h"

using namespace coffer;

TEST_CASE("memory store keeps the Store contract") {
  testing::RunStoreConformance([] { return NewMemoryStore(); });
}

TEST_CASE("memory stores are independent unless opened by the same name") {
  std::unique_ptr<Store> a = NewMemoryStore();
  std::unique_ptr<Store> b = NewMemoryStore();
  COFFER_REQUIRE_OK(a->Put("config", AsBytes("a")));
  CHECK(b->Stat("config").status().code() == absl::StatusCode::kNotFound);

  std::unique_ptr<Store> n1 = OpenNamedMemoryStore("memory-store-test");
  std::unique_ptr<Store> n2 = OpenNamedMemoryStore("memory-store-test");
  COFFER_REQUIRE_OK(n1->Put("config", AsBytes("shared")));
  CHECK(ToString(*n2->Get("config")) == "shared");
  n1.reset();
  // The objects outlive every handle, like files on disk.
  CHECK(ToString(*OpenNamedMemoryStore("memory-store-test")->Get("config")) == "shared");
  CHECK(n2->Describe() == "memory store memory-store-test");
}

TEST_CASE("memory store keeps its own copy of the data it is given") {
  std::unique_ptr<Store> store = NewMemoryStore();
  Bytes data = ToBytes("before");
  COFFER_REQUIRE_OK(store->Put("snapshots/s", data));
  data[0] = 'X';
  absl::StatusOr<Bytes> got = store->Get("snapshots/s");
  COFFER_REQUIRE_OK(got.status());
  CHECK(ToString(*got) == "before");
  (*got)[0] = 'Y';
  CHECK(ToString(*store->Get("snapshots/s")) == "before");
}
