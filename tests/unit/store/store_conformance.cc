#include "store_conformance.h"

#include <cstdlib>
#include <latch>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/tree_builder.h"

namespace coffer::testing {
namespace {

using Listing = std::map<std::string, uint64_t>;  // name -> size

std::string Message(const absl::Status& s) { return std::string(s.message()); }

Listing ListAll(Store& store, std::string_view prefix) {
  Listing found;
  std::vector<std::string> duplicates;
  absl::Status s = store.List(prefix, [&](const ObjectInfo& info) {
    if (!found.emplace(info.name, info.size).second) duplicates.push_back(info.name);
    return absl::OkStatus();
  });
  INFO("List(\"" << prefix << "\"): " << s.ToString());
  REQUIRE(s.ok());
  CHECK(duplicates.empty());
  return found;
}

std::set<std::string> Names(const Listing& listing) {
  std::set<std::string> names;
  for (const auto& [name, size] : listing) names.insert(name);
  return names;
}

std::string Content(Store& store, std::string_view name) {
  absl::StatusOr<Bytes> got = store.Get(name);
  INFO("Get(\"" << name << "\"): " << got.status().ToString());
  REQUIRE(got.ok());
  return ToString(*got);
}

uint64_t LargeObjectBytes(const StoreConformanceOptions& options) {
  if (options.large_object_bytes != 0) return options.large_object_bytes;
  uint64_t mib = 8;
  if (const char* env = std::getenv("COFFER_TEST_LARGE_OBJECT_MIB"); env && *env)
    mib = std::strtoull(env, nullptr, 10);
  return (mib == 0 ? 8 : mib) << 20;
}

// The error a missing object must give, from every method.
void CheckNotFound(const absl::Status& s, const Store& store, std::string_view name) {
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(Message(s), Catch::Contains(std::string(name)));
  CHECK_THAT(Message(s), Catch::Contains(store.Describe()));
}

void CheckBadRange(Store& store, std::string_view name, uint64_t offset, uint64_t length) {
  absl::StatusOr<Bytes> got = store.GetRange(name, offset, length);
  INFO("GetRange(" << name << ", " << offset << ", " << length << "): " << got.status().ToString());
  CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(got.status()), Catch::Contains(std::string(name)));
}

void CheckRoundTripAndOverwrite(Store& store) {
  SECTION("an object round-trips through Put, Get and Stat") {
    Bytes data = RandomBytes(4321, 1);
    COFFER_REQUIRE_OK(store.Put("config", data));
    absl::StatusOr<Bytes> got = store.Get("config");
    COFFER_REQUIRE_OK(got.status());
    CHECK(*got == data);
    absl::StatusOr<ObjectInfo> info = store.Stat("config");
    COFFER_REQUIRE_OK(info.status());
    CHECK(info->name == "config");
    CHECK(info->size == 4321);
  }
  SECTION("Put replaces an existing object, longer or shorter") {
    COFFER_REQUIRE_OK(store.Put("snapshots/s1", AsBytes("first version")));
    COFFER_REQUIRE_OK(store.Put("snapshots/s1", AsBytes("a much longer second version")));
    CHECK(Content(store, "snapshots/s1") == "a much longer second version");
    COFFER_REQUIRE_OK(store.Put("snapshots/s1", AsBytes("third")));
    CHECK(Content(store, "snapshots/s1") == "third");
    CHECK(store.Stat("snapshots/s1")->size == 5);
    CHECK(ListAll(store, "").size() == 1);
  }
  SECTION("PutIfAbsent creates a new object") {
    COFFER_REQUIRE_OK(store.PutIfAbsent("locks/l1", AsBytes("mine")));
    CHECK(Content(store, "locks/l1") == "mine");
  }
  SECTION("PutIfAbsent on an existing name is AlreadyExists and keeps the old content") {
    COFFER_REQUIRE_OK(store.Put("keys/k1", AsBytes("original")));
    absl::Status s = store.PutIfAbsent("keys/k1", AsBytes("intruder"));
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kAlreadyExists);
    CHECK_THAT(Message(s), Catch::Contains("keys/k1"));
    CHECK(Content(store, "keys/k1") == "original");
    CHECK(Names(ListAll(store, "")) == std::set<std::string>{"keys/k1"});
  }
  SECTION("nested names work at any depth") {
    COFFER_REQUIRE_OK(store.Put("deep/1/2/3/4/5/object", AsBytes("deep")));
    CHECK(Content(store, "deep/1/2/3/4/5/object") == "deep");
    CHECK(Names(ListAll(store, "deep/1/2/")) == std::set<std::string>{"deep/1/2/3/4/5/object"});
    COFFER_REQUIRE_OK(store.Delete("deep/1/2/3/4/5/object"));
    CHECK(ListAll(store, "").empty());
  }
}

void CheckMissingAndDelete(Store& store) {
  SECTION("a missing object is NotFound, naming store and object, for every method") {
    const std::string name = "data/ab/missing";
    CheckNotFound(store.Get(name).status(), store, name);
    CheckNotFound(store.GetRange(name, 0, 0).status(), store, name);
    CheckNotFound(store.Stat(name).status(), store, name);
    CheckNotFound(store.Delete(name), store, name);
    // Missing even though a sibling exists.
    COFFER_REQUIRE_OK(store.Put("data/ab/present", AsBytes("x")));
    CheckNotFound(store.Get(name).status(), store, name);
    CheckNotFound(store.Get("data").status(), store, "data");
    CheckNotFound(store.Stat("data/ab").status(), store, "data/ab");
  }
  SECTION("Delete removes an object, and a second Delete is NotFound") {
    COFFER_REQUIRE_OK(store.Put("locks/l1", AsBytes("lock")));
    COFFER_REQUIRE_OK(store.Put("locks/l2", AsBytes("other")));
    COFFER_REQUIRE_OK(store.Delete("locks/l1"));
    CheckNotFound(store.Get("locks/l1").status(), store, "locks/l1");
    CheckNotFound(store.Delete("locks/l1"), store, "locks/l1");
    CHECK(Names(ListAll(store, "")) == std::set<std::string>{"locks/l2"});
    // The name is free again, even for PutIfAbsent.
    COFFER_REQUIRE_OK(store.PutIfAbsent("locks/l1", AsBytes("again")));
    CHECK(Content(store, "locks/l1") == "again");
  }
}

void CheckRanges(Store& store, const StoreConformanceOptions& options) {
  SECTION("GetRange reads the start, the middle and the end") {
    Bytes data = RandomBytes(1000, 2);
    COFFER_REQUIRE_OK(store.Put("data/00/pack", data));
    auto slice = [&](size_t offset, size_t length) {
      return Bytes(data.begin() + offset, data.begin() + offset + length);
    };
    struct Range {
      uint64_t offset, length;
    };
    for (Range r : {Range{0, 10}, Range{500, 123}, Range{990, 10}, Range{0, 1000}, Range{999, 1},
                    Range{0, 0}, Range{1000, 0}}) {
      absl::StatusOr<Bytes> got = store.GetRange("data/00/pack", r.offset, r.length);
      INFO("GetRange(" << r.offset << ", " << r.length << "): " << got.status().ToString());
      REQUIRE(got.ok());
      CHECK(*got == slice(r.offset, r.length));
    }
  }
  SECTION("GetRange beyond the end is InvalidArgument naming the object") {
    COFFER_REQUIRE_OK(store.Put("data/00/pack", RandomBytes(1000, 3)));
    CheckBadRange(store, "data/00/pack", 990, 11);  // Partly beyond.
    CheckBadRange(store, "data/00/pack", 1000, 1);
    CheckBadRange(store, "data/00/pack", 1001, 0);
    CheckBadRange(store, "data/00/pack", 5000, 10);
    CheckBadRange(store, "data/00/pack", 1, std::numeric_limits<uint64_t>::max());
    CheckBadRange(store, "data/00/pack", std::numeric_limits<uint64_t>::max(), 2);
  }
  SECTION("a 0-byte object") {
    COFFER_REQUIRE_OK(store.Put("index/empty", ByteView()));
    COFFER_REQUIRE_OK(store.PutIfAbsent("index/empty2", ByteView()));
    for (const char* name : {"index/empty", "index/empty2"}) {
      absl::StatusOr<Bytes> got = store.Get(name);
      COFFER_REQUIRE_OK(got.status());
      CHECK(got->empty());
      CHECK(store.Stat(name)->size == 0);
      absl::StatusOr<Bytes> range = store.GetRange(name, 0, 0);
      COFFER_REQUIRE_OK(range.status());
      CHECK(range->empty());
      CheckBadRange(store, name, 0, 1);
    }
    CHECK(ListAll(store, "index/") == Listing{{"index/empty", 0}, {"index/empty2", 0}});
  }
  SECTION("a multi-MiB object round-trips whole and in ranges") {
    const uint64_t size = LargeObjectBytes(options);
    Bytes data = RandomBytes(size, 4);
    COFFER_REQUIRE_OK(store.Put("data/ff/large", data));
    CHECK(store.Stat("data/ff/large")->size == size);
    absl::StatusOr<Bytes> got = store.Get("data/ff/large");
    COFFER_REQUIRE_OK(got.status());
    CHECK(got->size() == size);
    CHECK(*got == data);
    // A range across the middle, over a MiB boundary.
    const uint64_t offset = size / 2 - 12345, length = (1 << 20) + 777;
    absl::StatusOr<Bytes> range = store.GetRange("data/ff/large", offset, length);
    COFFER_REQUIRE_OK(range.status());
    CHECK(*range == Bytes(data.begin() + offset, data.begin() + offset + length));
  }
}

void CheckNames(Store& store) {
  SECTION("names with unicode and special characters in the last component") {
    const std::vector<std::string> names = {
        "names/with space",   "names/a+b",        "names/100%",         "names/100%25",
        "names/x#y",          "names/what?",      "names/q?a=b&c=d",    "names/emoji-🦀🔒",
        "names/ünïcödé-名前", "names/semi;colon", "names/quote'\"",     "names/star*",
        "names/[brackets]",   "names/...dots",    "names/.hidden",      "names/tilde~",
        "names/at@colon:",    "names/comma,$!",   "names/pipe|<angle>", "names/tab\tname"};
    for (const std::string& name : names) COFFER_REQUIRE_OK(store.Put(name, AsBytes(name)));
    for (const std::string& name : names) {
      CHECK(Content(store, name) == name);
      absl::StatusOr<ObjectInfo> info = store.Stat(name);
      COFFER_REQUIRE_OK(info.status());
      CHECK(info->name == name);
      CHECK(info->size == name.size());
    }
    Listing listed = ListAll(store, "names/");
    CHECK(Names(listed) == std::set<std::string>(names.begin(), names.end()));
    CHECK(Names(ListAll(store, "names/emoji-🦀")) ==
          std::set<std::string>{"names/emoji-🦀🔒"});
    CHECK(Names(ListAll(store, "names/100%")) ==
          std::set<std::string>{"names/100%", "names/100%25"});
    for (const std::string& name : names) COFFER_REQUIRE_OK(store.Delete(name));
    CHECK(ListAll(store, "").empty());
  }
  SECTION("invalid names are InvalidArgument for every method and store nothing") {
    const std::vector<std::string> bad = {
        "",      "/abs",  "a/../b", "a//b",     "..",
        ".",     "./a",   "a/.",    "a/",       "/",
        "a/./b", "../up", ".tmp-x", "d/.tmp-y", std::string("a\0b", 3)};
    for (const std::string& name : bad) {
      INFO("name \"" << name << "\"");
      auto check = [&](const absl::Status& s) {
        INFO(s.ToString());
        CHECK(s.code() == absl::StatusCode::kInvalidArgument);
      };
      check(store.Put(name, AsBytes("x")));
      check(store.PutIfAbsent(name, AsBytes("x")));
      check(store.Get(name).status());
      check(store.GetRange(name, 0, 0).status());
      check(store.Stat(name).status());
      check(store.Delete(name));
    }
    CHECK(ListAll(store, "").empty());
  }
}

void CheckList(Store& store, const StoreConformanceOptions& options) {
  SECTION("List filters by prefix, including prefixes that end mid-component") {
    const Listing all = {{"config", 1},     {"data/00/p1", 2}, {"data/00/p2", 3},
                         {"data/ab/p3", 4}, {"data/ac/p4", 5}, {"dataset", 6},
                         {"index/i1", 7},   {"keys/k1", 8},    {"snapshots/s1", 9}};
    for (const auto& [name, size] : all) COFFER_REQUIRE_OK(store.Put(name, RandomBytes(size, 5)));
    auto only = [&](std::set<std::string> names) {
      Listing out;
      for (const std::string& name : names) out.emplace(name, all.at(name));
      return out;
    };
    CHECK(ListAll(store, "") == all);
    CHECK(ListAll(store, "data/") ==
          only({"data/00/p1", "data/00/p2", "data/ab/p3", "data/ac/p4"}));
    CHECK(ListAll(store, "data") ==
          only({"data/00/p1", "data/00/p2", "data/ab/p3", "data/ac/p4", "dataset"}));
    CHECK(ListAll(store, "d") == ListAll(store, "data"));
    CHECK(ListAll(store, "data/a") == only({"data/ab/p3", "data/ac/p4"}));
    CHECK(ListAll(store, "data/ab") == only({"data/ab/p3"}));
    CHECK(ListAll(store, "data/ab/") == only({"data/ab/p3"}));
    CHECK(ListAll(store, "data/00/p1") == only({"data/00/p1"}));
    CHECK(ListAll(store, "conf") == only({"config"}));
    CHECK(ListAll(store, "config") == only({"config"}));
    CHECK(ListAll(store, "index/") == only({"index/i1"}));
    for (const char* nothing :
         {"zzz", "data/zz/", "data/00/p1/", "config/", "nothing/at/all", "data/00/p3", "index/i1x"})
      CHECK(ListAll(store, nothing).empty());
  }
  SECTION("List with a prefix no valid name has finds nothing") {
    COFFER_REQUIRE_OK(store.Put("config", AsBytes("c")));
    COFFER_REQUIRE_OK(store.Put("data/00/p", AsBytes("p")));
    for (const char* odd : {"/", "/config", "../", "./data/", "data//", "data/../"}) {
      int calls = 0;
      absl::Status s = store.List(odd, [&](const ObjectInfo&) {
        ++calls;
        return absl::OkStatus();
      });
      INFO("List(\"" << odd << "\"): " << s.ToString());
      CHECK((s.ok() || s.code() == absl::StatusCode::kInvalidArgument));
      CHECK(calls == 0);
    }
  }
  SECTION("List visits every one of many objects exactly once") {
    const int count = options.many_objects;
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) names.push_back("index/" + std::to_string(100000 + i));
    COFFER_REQUIRE_OK(store.Put("indexes-not", AsBytes("not under index/")));
    // Written from several threads so a slow store does not make this slow.
    std::vector<absl::Status> results(names.size());
    std::vector<std::thread> threads;
    for (int t = 0; t < options.threads; ++t)
      threads.emplace_back([&, t] {
        for (size_t i = t; i < names.size(); i += options.threads)
          results[i] = store.Put(names[i], AsBytes(names[i].substr(6, 1 + i % 5)));
      });
    for (std::thread& thread : threads) thread.join();
    for (const absl::Status& s : results) COFFER_REQUIRE_OK(s);
    Listing listed = ListAll(store, "index/");
    REQUIRE(listed.size() == names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      INFO(names[i]);
      REQUIRE(listed.count(names[i]) == 1);
      CHECK(listed[names[i]] == 1 + i % 5);
    }
    CHECK(ListAll(store, "").size() == names.size() + 1);
  }
  SECTION("an error from the List callback stops the listing and is returned") {
    for (int i = 0; i < 10; ++i)
      COFFER_REQUIRE_OK(store.Put("locks/" + std::to_string(i), AsBytes("l")));
    int calls = 0;
    absl::Status s = store.List("locks/", [&](const ObjectInfo&) {
      return ++calls == 3 ? absl::CancelledError("stop at the third") : absl::OkStatus();
    });
    CHECK(s == absl::CancelledError("stop at the third"));
    CHECK(calls == 3);
  }
  SECTION("the List callback may delete the objects it visits") {
    for (int i = 0; i < 20; ++i)
      COFFER_REQUIRE_OK(
          store.Put("data/0" + std::to_string(i % 3) + "/" + std::to_string(i), AsBytes("p")));
    int calls = 0;
    COFFER_REQUIRE_OK(store.List("data/", [&](const ObjectInfo& info) {
      ++calls;
      return store.Delete(info.name);
    }));
    CHECK(calls == 20);
    CHECK(ListAll(store, "").empty());
  }
}

void CheckConcurrency(Store& store, const StoreConformanceOptions& options) {
  SECTION("concurrent Puts of different objects from several threads all land") {
    const int per_thread = 25;
    std::vector<std::vector<absl::Status>> results(options.threads);
    std::latch start(options.threads);
    std::vector<std::thread> threads;
    for (int t = 0; t < options.threads; ++t)
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < per_thread; ++i) {
          std::string name =
              "data/" + std::to_string(i % 4) + "/t" + std::to_string(t) + "-" + std::to_string(i);
          results[t].push_back(store.Put(name, RandomBytes(100 + i, t * 1000 + i)));
        }
      });
    for (std::thread& thread : threads) thread.join();
    for (const auto& per : results)
      for (const absl::Status& s : per) COFFER_REQUIRE_OK(s);
    REQUIRE(ListAll(store, "data/").size() == size_t(options.threads * per_thread));
    for (int t = 0; t < options.threads; ++t)
      for (int i = 0; i < per_thread; ++i) {
        std::string name =
            "data/" + std::to_string(i % 4) + "/t" + std::to_string(t) + "-" + std::to_string(i);
        absl::StatusOr<Bytes> got = store.Get(name);
        COFFER_REQUIRE_OK(got.status());
        CHECK(*got == RandomBytes(100 + i, t * 1000 + i));
      }
  }
  SECTION("concurrent PutIfAbsent of one name: exactly one succeeds and its content stays") {
    for (int round = 0; round < 5; ++round) {
      const std::string name = "locks/exclusive-" + std::to_string(round);
      std::vector<absl::Status> results(options.threads);
      std::latch start(options.threads);
      std::vector<std::thread> threads;
      for (int t = 0; t < options.threads; ++t)
        threads.emplace_back([&, t] {
          start.arrive_and_wait();
          results[t] = store.PutIfAbsent(name, AsBytes("writer " + std::to_string(t)));
        });
      for (std::thread& thread : threads) thread.join();
      int winner = -1, winners = 0;
      for (int t = 0; t < options.threads; ++t) {
        INFO("round " << round << ", thread " << t << ": " << results[t].ToString());
        if (results[t].ok()) {
          winner = t;
          ++winners;
        } else {
          CHECK(results[t].code() == absl::StatusCode::kAlreadyExists);
        }
      }
      REQUIRE(winners == 1);
      CHECK(Content(store, name) == "writer " + std::to_string(winner));
    }
    CHECK(ListAll(store, "").size() == 5);
  }
}

void CheckDeferredWrites(Store& store) {
  const uint64_t mark = store.DeferredMark();
  SECTION("deferred content-addressed writes land once WaitDeferred returns") {
    std::vector<Bytes> packs;
    for (int i = 0; i < 20; ++i) {
      packs.push_back(RandomBytes(1000 + static_cast<size_t>(i) * 37, static_cast<uint64_t>(i)));
      COFFER_REQUIRE_OK(store.PutContentAddressedDeferred("data/p" + std::to_string(i), packs.back()));
    }
    COFFER_REQUIRE_OK(store.WaitDeferred(mark));
    Listing listed = ListAll(store, "data/");
    REQUIRE(listed.size() == packs.size());
    for (size_t i = 0; i < packs.size(); ++i) {
      std::string name = "data/p" + std::to_string(i);
      CHECK(listed[name] == packs[i].size());
      CHECK(Content(store, name) == ToString(packs[i]));
    }
  }
  SECTION("a deferred write keeps an object of the same size and replaces a torn one") {
    COFFER_REQUIRE_OK(store.Put("data/same", AsBytes("kept-bytes")));
    COFFER_REQUIRE_OK(store.Put("data/torn", AsBytes("short")));
    COFFER_REQUIRE_OK(store.PutContentAddressedDeferred("data/same", AsBytes("other-byte")));
    COFFER_REQUIRE_OK(store.PutContentAddressedDeferred("data/torn", AsBytes("the whole object")));
    COFFER_REQUIRE_OK(store.WaitDeferred(mark));
    CHECK(Content(store, "data/same") == "kept-bytes");
    CHECK(Content(store, "data/torn") == "the whole object");
    CHECK(Names(ListAll(store, "")) == std::set<std::string>{"data/same", "data/torn"});
  }
  SECTION("a deferred write with a bad name is InvalidArgument at once") {
    absl::Status s = store.PutContentAddressedDeferred("data/../escape", AsBytes("x"));
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    COFFER_REQUIRE_OK(store.WaitDeferred(mark));
    CHECK(ListAll(store, "").empty());
  }
}

}  // namespace

void RunStoreConformance(const StoreFactory& make_store, const StoreConformanceOptions& options) {
  std::unique_ptr<Store> store = make_store();
  REQUIRE(store != nullptr);
  INFO("store: " << store->Describe());
  SECTION("a new store is empty") { CHECK(ListAll(*store, "").empty()); }
  CheckRoundTripAndOverwrite(*store);
  CheckMissingAndDelete(*store);
  CheckRanges(*store, options);
  CheckNames(*store);
  CheckList(*store, options);
  CheckConcurrency(*store, options);
  CheckDeferredWrites(*store);
}

}  // namespace coffer::testing
