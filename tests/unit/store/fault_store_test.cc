#include "store/fault_store.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/memory_store.h"
#include "store_conformance.h"

using namespace coffer;
using namespace std::string_literals;

namespace {

std::shared_ptr<FaultController> Controller(FaultPlan plan = {}) {
  return std::make_shared<FaultController>(std::move(plan));
}

FaultPlan PutPlan(FaultKind kind, uint64_t nth, std::string prefix = "") {
  FaultPlan plan;
  plan.put = {kind, nth, std::move(prefix)};
  return plan;
}

FaultPlan ReadPlan(FaultKind kind, uint64_t nth, std::string prefix = "") {
  FaultPlan plan;
  plan.read = {kind, nth, std::move(prefix)};
  return plan;
}

}  // namespace

TEST_CASE("fault store without a plan keeps the Store contract") {
  testing::RunStoreConformance([] { return NewFaultStore(NewMemoryStore(), FaultPlan{}); });
}

TEST_CASE("fault store counts calls of every kind") {
  auto inner = NewMemoryStore();
  auto controller = Controller();
  auto store = NewFaultStore(*inner, controller);
  COFFER_REQUIRE_OK(store->Put("config", AsBytes("c")));
  COFFER_REQUIRE_OK(store->PutIfAbsent("index/a", AsBytes("i")));
  CHECK(store->PutIfAbsent("index/a", AsBytes("i")).code() == absl::StatusCode::kAlreadyExists);
  CHECK(store->Get("config").ok());
  CHECK(store->GetRange("index/a", 0, 1).ok());
  CHECK(store->Stat("config").ok());
  COFFER_REQUIRE_OK(store->List("", [](const ObjectInfo&) { return absl::OkStatus(); }));
  COFFER_REQUIRE_OK(store->Delete("config"));

  FaultCounts c = controller->counts();
  CHECK(c.puts == 3);
  CHECK(c.reads == 2);
  CHECK(c.stats == 1);
  CHECK(c.lists == 1);
  CHECK(c.deletes == 1);
  CHECK(c.faults == 0);
  CHECK(controller->put_log() == std::vector<std::string>{"config", "index/a", "index/a"});
  CHECK(store->Describe() == "memory store");

  controller->SetPlan({});
  CHECK(controller->counts().puts == 0);
  CHECK(controller->put_log().empty());
}

TEST_CASE("an error fault fails the nth put and writes nothing") {
  auto inner = NewMemoryStore();
  auto controller = Controller(PutPlan(FaultKind::kError, 2));
  auto store = NewFaultStore(*inner, controller);
  SECTION("PutIfAbsent") {
    COFFER_REQUIRE_OK(store->PutIfAbsent("data/1", AsBytes("one")));
    absl::Status s = store->PutIfAbsent("data/2", AsBytes("two"));
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(std::string(s.message()), Catch::Contains("data/2") && Catch::Contains("injected fault"));
    COFFER_REQUIRE_OK(store->PutIfAbsent("data/3", AsBytes("three")));
  }
  SECTION("Put") {
    COFFER_REQUIRE_OK(store->Put("data/1", AsBytes("one")));
    CHECK(store->Put("data/2", AsBytes("two")).code() == absl::StatusCode::kUnavailable);
    COFFER_REQUIRE_OK(store->Put("data/3", AsBytes("three")));
  }
  CHECK(inner->Stat("data/1").ok());
  CHECK(inner->Stat("data/2").status().code() == absl::StatusCode::kNotFound);
  CHECK(inner->Stat("data/3").ok());
  auto injected = controller->injected();
  REQUIRE(injected.size() == 1);
  CHECK(injected[0].name == "data/2");
  CHECK(injected[0].call == 2);
  CHECK(injected[0].kind == FaultKind::kError);
}

TEST_CASE("a torn put leaves a prefix under the final name and fails") {
  auto inner = NewMemoryStore();
  FaultPlan plan = PutPlan(FaultKind::kTorn, 1);
  SECTION("half by default") {
    auto store = NewFaultStore(*inner, Controller(plan));
    absl::Status s = store->PutIfAbsent("index/x", AsBytes("0123456789"));
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(std::string(s.message()), Catch::Contains("5 of 10 bytes"));
    CHECK(ToString(*inner->Get("index/x")) == "01234");
  }
  SECTION("never the whole object, even when asked to keep everything") {
    plan.keep_fraction = 1.0;
    auto store = NewFaultStore(*inner, Controller(plan));
    CHECK_FALSE(store->Put("index/x", AsBytes("0123456789")).ok());
    CHECK(ToString(*inner->Get("index/x")) == "012345678");
  }
  SECTION("an empty object when keeping nothing") {
    plan.keep_fraction = 0;
    auto store = NewFaultStore(*inner, Controller(plan));
    CHECK_FALSE(store->Put("index/x", AsBytes("0123456789")).ok());
    CHECK(inner->Get("index/x")->empty());
  }
}

TEST_CASE("silent truncation writes a prefix and reports success") {
  auto inner = NewMemoryStore();
  auto store = NewFaultStore(*inner, Controller(PutPlan(FaultKind::kTruncate, 1)));
  COFFER_REQUIRE_OK(store->PutIfAbsent("snapshots/s", AsBytes("abcdefgh")));
  CHECK(ToString(*inner->Get("snapshots/s")) == "abcd");
}

TEST_CASE("a name prefix selects which puts fail") {
  auto inner = NewMemoryStore();
  SECTION("every matching put") {
    auto controller = Controller(PutPlan(FaultKind::kError, 0, "index/"));
    auto store = NewFaultStore(*inner, controller);
    COFFER_REQUIRE_OK(store->PutIfAbsent("data/1", AsBytes("d")));
    CHECK_FALSE(store->PutIfAbsent("index/1", AsBytes("i")).ok());
    COFFER_REQUIRE_OK(store->PutIfAbsent("snapshots/1", AsBytes("s")));
    CHECK_FALSE(store->PutIfAbsent("index/2", AsBytes("i")).ok());
    CHECK(controller->counts().puts == 4);
    CHECK(controller->counts().faults == 2);
  }
  SECTION("the nth matching put") {
    auto controller = Controller(PutPlan(FaultKind::kError, 2, "index/"));
    auto store = NewFaultStore(*inner, controller);
    COFFER_REQUIRE_OK(store->PutIfAbsent("index/1", AsBytes("i")));
    COFFER_REQUIRE_OK(store->PutIfAbsent("data/1", AsBytes("d")));
    CHECK_FALSE(store->PutIfAbsent("index/2", AsBytes("i")).ok());
    COFFER_REQUIRE_OK(store->PutIfAbsent("index/3", AsBytes("i")));
    REQUIRE(controller->injected().size() == 1);
    CHECK(controller->injected()[0].call == 3);  // numbered among all puts
  }
}

TEST_CASE("read faults: the nth read fails or returns a flipped byte") {
  auto inner = NewMemoryStore();
  COFFER_REQUIRE_OK(inner->Put("data/p", AsBytes("abcdef")));
  SECTION("error") {
    auto store = NewFaultStore(*inner, Controller(ReadPlan(FaultKind::kError, 2)));
    CHECK(store->Get("data/p").ok());
    CHECK(store->GetRange("data/p", 0, 2).status().code() == absl::StatusCode::kUnavailable);
    CHECK(store->Get("data/p").ok());
  }
  SECTION("flip") {
    auto store = NewFaultStore(*inner, Controller(ReadPlan(FaultKind::kFlip, 0, "data/")));
    CHECK(ToString(*store->Get("data/p")) == "abcdef"s.replace(3, 1, 1, 'd' ^ 1));
    CHECK(ToString(*store->GetRange("data/p", 1, 4)) == "bcde"s.replace(2, 1, 1, 'd' ^ 1));
    CHECK(ToString(*inner->Get("data/p")) == "abcdef");  // the stored object is intact
  }
  SECTION("kinds that do not apply inject nothing") {
    FaultPlan plan = ReadPlan(FaultKind::kTorn, 0);
    plan.put = {FaultKind::kFlip, 0, ""};
    auto controller = Controller(plan);
    auto store = NewFaultStore(*inner, controller);
    CHECK(ToString(*store->Get("data/p")) == "abcdef");
    COFFER_REQUIRE_OK(store->Put("data/q", AsBytes("q")));
    CHECK(controller->counts().faults == 0);
  }
}

TEST_CASE("fault store counts exactly under concurrent puts") {
  auto inner = NewMemoryStore();
  auto controller = Controller(PutPlan(FaultKind::kError, 0, "index/"));
  auto store = NewFaultStore(*inner, controller);
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = (i % 2 ? "index/" : "data/") + std::to_string(t) + "-" + std::to_string(i);
        if (!store->PutIfAbsent(name, AsBytes("x")).ok()) failed++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(controller->counts().puts == kThreads * kPerThread);
  CHECK(controller->counts().faults == kThreads * kPerThread / 2);
  CHECK(failed == kThreads * kPerThread / 2);
  CHECK(controller->put_log().size() == kThreads * kPerThread);
}

TEST_CASE("an owning fault store keeps its inner store alive") {
  auto controller = Controller();
  auto store = NewFaultStore(NewMemoryStore(), controller);
  COFFER_REQUIRE_OK(store->Put("config", AsBytes("c")));
  CHECK(ToString(*store->Get("config")) == "c");
  CHECK(controller->counts().puts == 1);
}
