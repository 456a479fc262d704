#include "store/retry_store.h"

#include <catch2/catch.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/memory_store.h"
#include "store_conformance.h"

namespace coffer {
namespace {

// What a scripted call does before the store behaves normally again.
enum class Outcome {
  kFail,          // Unavailable, nothing done (a refused connection)
  kDoThenFail,    // done, then Unavailable (the answer was lost)
  kListSomeThenFail,  // List: passes two objects on, then Unavailable
};

// Wraps a memory store; each operation first consumes its scripted outcomes.
class ScriptedStore final : public Store {
 public:
  explicit ScriptedStore(Store& inner) : inner_(inner) {}
  void Script(const std::string& op, std::vector<Outcome> outcomes) {
    std::lock_guard<std::mutex> guard(mu_);
    script_[op].assign(outcomes.begin(), outcomes.end());
  }
  int calls(const std::string& op) {
    std::lock_guard<std::mutex> guard(mu_);
    return calls_[op];
  }

  absl::Status Put(std::string_view name, ByteView data) override {
    return Step("put", [&] { return inner_.Put(name, data); });
  }
  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    return Step("put_if_absent", [&] { return inner_.PutIfAbsent(name, data); });
  }
  absl::StatusOr<Bytes> Get(std::string_view name) override {
    Bytes out;
    absl::Status s = Step("get", [&] {
      auto got = inner_.Get(name);
      if (got.ok()) out = *got;
      return got.status();
    });
    if (!s.ok()) return s;
    return out;
  }
  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    return inner_.GetRange(name, offset, length);
  }
  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override { return inner_.Stat(name); }
  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    Outcome outcome;
    if (!Next("list", &outcome)) return inner_.List(prefix, fn);
    if (outcome == Outcome::kFail) return absl::UnavailableError("scripted list failure");
    int passed = 0;
    absl::Status s = inner_.List(prefix, [&](const ObjectInfo& info) -> absl::Status {
      if (passed == 2) return absl::UnavailableError("scripted failure in the middle of a list");
      ++passed;
      return fn(info);
    });
    return s;
  }
  absl::Status Delete(std::string_view name) override {
    return Step("delete", [&] { return inner_.Delete(name); });
  }
  std::string Describe() const override { return "scripted store"; }

 private:
  bool Next(const std::string& op, Outcome* outcome) {
    std::lock_guard<std::mutex> guard(mu_);
    ++calls_[op];
    auto& queue = script_[op];
    if (queue.empty()) return false;
    *outcome = queue.front();
    queue.pop_front();
    return true;
  }
  template <typename Fn>
  absl::Status Step(const std::string& op, Fn&& fn) {
    Outcome outcome;
    if (!Next(op, &outcome)) return fn();
    if (outcome == Outcome::kFail)
      return absl::UnavailableError("scripted store: object x: connection refused");
    absl::Status done = fn();
    return done.ok() ? absl::UnavailableError("scripted store: answer lost") : done;
  }

  Store& inner_;
  std::mutex mu_;
  std::map<std::string, std::deque<Outcome>> script_;
  std::map<std::string, int> calls_;
};

ByteView Text(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

struct Fixture {
  std::unique_ptr<Store> memory = NewMemoryStore();
  ScriptedStore* scripted = nullptr;
  std::vector<std::chrono::milliseconds> sleeps;
  std::unique_ptr<Store> store;

  explicit Fixture(int attempts = 4) {
    auto owned = std::make_unique<ScriptedStore>(*memory);
    scripted = owned.get();
    RetryOptions options;
    options.max_attempts = attempts;
    options.initial_backoff = std::chrono::milliseconds(100);
    options.max_backoff = std::chrono::milliseconds(400);
    options.sleep = [this](std::chrono::milliseconds wait) { sleeps.push_back(wait); };
    store = NewRetryStore(std::move(owned), options);
  }
};

TEST_CASE("retry: transient failures are retried with growing, jittered, capped waits") {
  Fixture f(6);
  REQUIRE(f.memory->Put("a", Text("hello")).ok());
  f.scripted->Script("get", {Outcome::kFail, Outcome::kFail, Outcome::kFail, Outcome::kFail});
  auto got = f.store->Get("a");
  REQUIRE(got.ok());
  CHECK(std::string(got->begin(), got->end()) == "hello");
  CHECK(f.scripted->calls("get") == 5);
  REQUIRE(f.sleeps.size() == 4);
  const int caps[] = {100, 200, 400, 400};
  for (size_t i = 0; i < f.sleeps.size(); ++i) {
    CHECK(f.sleeps[i].count() >= 0);
    CHECK(f.sleeps[i].count() <= caps[i]);
  }
}

TEST_CASE("retry: gives up after the last attempt and says what it tried") {
  Fixture f(3);
  f.scripted->Script("put", {Outcome::kFail, Outcome::kFail, Outcome::kFail, Outcome::kFail});
  absl::Status s = f.store->Put("a", Text("x"));
  CHECK(absl::IsUnavailable(s));
  CHECK_THAT(std::string(s.message()), Catch::Contains("connection refused"));
  CHECK_THAT(std::string(s.message()), Catch::Contains("gave up after 3 attempts"));
  CHECK(f.scripted->calls("put") == 3);
  CHECK(absl::IsNotFound(f.memory->Stat("a").status()));
}

TEST_CASE("retry: final answers are returned at once") {
  Fixture f;
  absl::Status s = f.store->Get("missing").status();
  CHECK(absl::IsNotFound(s));
  CHECK(f.scripted->calls("get") == 1);
  CHECK(f.sleeps.empty());
}

TEST_CASE("retry: a create-if-absent whose answer was lost succeeds on the retry") {
  Fixture f;
  f.scripted->Script("put_if_absent", {Outcome::kDoThenFail});
  REQUIRE(f.store->PutIfAbsent("lock", Text("mine")).ok());
  CHECK(f.scripted->calls("put_if_absent") == 2);
  auto stored = f.memory->Get("lock");
  REQUIRE(stored.ok());
  CHECK(std::string(stored->begin(), stored->end()) == "mine");
}

TEST_CASE("retry: create-if-absent still refuses an object someone else wrote") {
  Fixture f;
  // First attempt refused; meanwhile another writer stores different bytes.
  REQUIRE(f.memory->Put("lock", Text("theirs")).ok());
  f.scripted->Script("put_if_absent", {Outcome::kFail});
  CHECK(absl::IsAlreadyExists(f.store->PutIfAbsent("lock", Text("mine"))));
  // And without any failure, AlreadyExists is immediate.
  CHECK(absl::IsAlreadyExists(f.store->PutIfAbsent("lock", Text("theirs"))));
}

TEST_CASE("retry: a delete whose answer was lost is done") {
  Fixture f;
  REQUIRE(f.memory->Put("old", Text("x")).ok());
  f.scripted->Script("delete", {Outcome::kDoThenFail});
  CHECK(f.store->Delete("old").ok());
  CHECK(absl::IsNotFound(f.memory->Stat("old").status()));
  CHECK(absl::IsNotFound(f.store->Delete("old")));  // a plain missing object stays NotFound
}

TEST_CASE("retry: a list that fails half way restarts and passes each object once") {
  Fixture f;
  for (int i = 0; i < 7; ++i) REQUIRE(f.memory->Put("d/" + std::to_string(i), Text("x")).ok());
  f.scripted->Script("list", {Outcome::kListSomeThenFail, Outcome::kFail, Outcome::kListSomeThenFail});
  std::map<std::string, int> seen;
  REQUIRE(f.store->List("d/", [&](const ObjectInfo& info) {
                     ++seen[info.name];
                     return absl::OkStatus();
                   }).ok());
  CHECK(seen.size() == 7);
  for (auto& [name, count] : seen) CHECK(count == 1);
}

TEST_CASE("retry: the caller's own error from a list callback is not retried") {
  Fixture f;
  REQUIRE(f.memory->Put("d/1", Text("x")).ok());
  int calls = 0;
  absl::Status s = f.store->List("d/", [&](const ObjectInfo&) {
    ++calls;
    return absl::UnavailableError("caller gave up");
  });
  CHECK(absl::IsUnavailable(s));
  CHECK(s.message() == "caller gave up");
  CHECK(calls == 1);
  CHECK(f.scripted->calls("list") == 1);
}

TEST_CASE("retry store around a memory store keeps the Store contract") {
  coffer::testing::RunStoreConformance([] { return NewRetryStore(NewMemoryStore()); });
}

}  // namespace
}  // namespace coffer
