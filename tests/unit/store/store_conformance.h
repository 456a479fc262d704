// The Store conformance suite: the contract of store/store.h written as
// checks, run against every store (memory, local, and the cloud stores
// against real servers). A store conforms when the whole suite passes.
//
// Use from any test file with one line inside a TEST_CASE:
//
//   TEST_CASE("memory store keeps the Store contract") {
//     coffer::testing::RunStoreConformance([] { return coffer::NewMemoryStore(); });
//   }
//
// Every check is a Catch2 SECTION. Catch2 runs the TEST_CASE once per
// section, and the suite calls `make_store` once per run, so the factory
// must return an EMPTY store each time (a fresh directory, bucket or key
// prefix); state set up before the call is recreated per section as well.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "store/store.h"

namespace coffer::testing {

struct StoreConformanceOptions {
  // Size of the large-object check; 0 means 8 MiB, or
  // $COFFER_TEST_LARGE_OBJECT_MIB MiB when that is set.
  uint64_t large_object_bytes = 0;
  // Objects in the List-many check; above 1000 so cloud paging is exercised.
  int many_objects = 1500;
  // Threads in the concurrency checks.
  int threads = 8;
};

using StoreFactory = std::function<std::unique_ptr<Store>()>;

// Runs every conformance check (as SECTIONs) against stores from `make_store`.
void RunStoreConformance(const StoreFactory& make_store,
                         const StoreConformanceOptions& options = {});

}  // namespace coffer::testing

// Catch2 prints status codes by name ("NOT_FOUND") in failed comparisons.
namespace Catch {
template <>
struct StringMaker<absl::StatusCode> {
  static std::string convert(absl::StatusCode code) { return absl::StatusCodeToString(code); }
};
}  // namespace Catch

// REQUIREs that an absl::Status is OK, printing it when it is not.
#define COFFER_REQUIRE_OK(expr)             \
  do {                                      \
    ::absl::Status coffer_req_ok_ = (expr); \
    INFO(coffer_req_ok_.ToString());        \
    REQUIRE(coffer_req_ok_.ok());           \
  } while (0)
