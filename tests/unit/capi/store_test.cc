// Raw store access through the C API: put (plain and create-if-absent),
// get, ranged get, stat, paged listing, delete, and the errors of each.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "capi_test_util.h"
#include "support/temp_dir.h"

using coffer::testing::CError;
using coffer::testing::TempDir;

namespace {

struct StoreCloser {
  void operator()(coffer_store* s) const { coffer_store_close(s); }
};
using StorePtr = std::unique_ptr<coffer_store, StoreCloser>;

StorePtr OpenStore(const std::string& location) {
  coffer_store* store = nullptr;
  CError err;
  INFO(err.message());
  REQUIRE(coffer_store_open(location.c_str(), &store, err.out()) == COFFER_OK);
  REQUIRE(store != nullptr);
  return StorePtr(store);
}

coffer_status Put(coffer_store* store, const std::string& name, const std::string& data,
                  int if_absent, CError* err = nullptr) {
  return coffer_store_put(store, name.c_str(), reinterpret_cast<const uint8_t*>(data.data()),
                          data.size(), if_absent, err ? err->out() : nullptr);
}

std::string Get(coffer_store* store, const std::string& name) {
  uint8_t* data = nullptr;
  size_t size = 0;
  CError err;
  INFO(err.message());
  REQUIRE(coffer_store_get(store, name.c_str(), &data, &size, err.out()) == COFFER_OK);
  REQUIRE(data != nullptr);
  std::string out(reinterpret_cast<char*>(data), size);
  coffer_free(data);
  return out;
}

using Page = std::vector<std::pair<std::string, uint64_t>>;

int Collect(void* user, const char* name, uint64_t size) {
  static_cast<Page*>(user)->emplace_back(name, size);
  return 0;
}

Page List(coffer_store* store, const char* prefix, const char* after, size_t limit) {
  Page page;
  CError err;
  INFO(err.message());
  REQUIRE(coffer_store_list(store, prefix, after, limit, Collect, &page, err.out()) == COFFER_OK);
  return page;
}

}  // namespace

TEST_CASE("raw store access: put, get, ranges, stat and delete") {
  TempDir dir;
  StorePtr store = OpenStore((dir / "store").string());
  REQUIRE(Put(store.get(), "data/ab/object", "hello, store", 0) == COFFER_OK);
  CHECK(Get(store.get(), "data/ab/object") == "hello, store");

  SECTION("create-if-absent refuses an existing object and keeps it") {
    CError err;
    CHECK(Put(store.get(), "data/ab/object", "intruder", 1, &err) == COFFER_ERROR_ALREADY_EXISTS);
    CHECK_THAT(err.message(), Catch::Contains("data/ab/object"));
    CHECK(Get(store.get(), "data/ab/object") == "hello, store");
    CHECK(Put(store.get(), "data/ab/other", "new", 1) == COFFER_OK);
  }
  SECTION("a ranged read and one beyond the end") {
    uint8_t* data = nullptr;
    size_t size = 0;
    REQUIRE(coffer_store_get_range(store.get(), "data/ab/object", 7, 5, &data, &size, nullptr) ==
            COFFER_OK);
    CHECK(std::string(reinterpret_cast<char*>(data), size) == "store");
    coffer_free(data);
    CError err;
    CHECK(coffer_store_get_range(store.get(), "data/ab/object", 10, 5, &data, &size, err.out()) ==
          COFFER_ERROR_INVALID_ARGUMENT);
    CHECK(data == nullptr);
  }
  SECTION("stat, delete, and a missing object") {
    uint64_t size = 0;
    REQUIRE(coffer_store_stat(store.get(), "data/ab/object", &size, nullptr) == COFFER_OK);
    CHECK(size == 12);
    REQUIRE(coffer_store_delete(store.get(), "data/ab/object", nullptr) == COFFER_OK);
    CError err;
    CHECK(coffer_store_stat(store.get(), "data/ab/object", &size, err.out()) ==
          COFFER_ERROR_NOT_FOUND);
    CHECK_THAT(err.message(), Catch::Contains("data/ab/object"));
    CHECK(coffer_store_delete(store.get(), "data/ab/object", nullptr) == COFFER_ERROR_NOT_FOUND);
  }
  SECTION("an empty object is a non-NULL buffer of 0 bytes") {
    REQUIRE(Put(store.get(), "index/empty", "", 0) == COFFER_OK);
    CHECK(Get(store.get(), "index/empty").empty());
  }
  SECTION("a bad name is INVALID_ARGUMENT") {
    CError err;
    CHECK(Put(store.get(), "../escape", "x", 0, &err) == COFFER_ERROR_INVALID_ARGUMENT);
  }
}

TEST_CASE("raw store access: listing in pages, by prefix, and stopping") {
  TempDir dir;
  StorePtr store = OpenStore((dir / "store").string());
  std::map<std::string, uint64_t> all;
  for (int i = 0; i < 25; ++i) {
    std::string name = "index/" + std::to_string(100 + i);
    REQUIRE(Put(store.get(), name, std::string(i, 'x'), 0) == COFFER_OK);
    all[name] = i;
  }
  REQUIRE(Put(store.get(), "config", "c", 0) == COFFER_OK);

  Page pages;
  std::string after;
  int calls = 0;
  for (;; ++calls) {
    Page page = List(store.get(), "index/", after.c_str(), 10);
    pages.insert(pages.end(), page.begin(), page.end());
    if (page.size() < 10) break;
    after = page.back().first;
  }
  CHECK(calls == 2);
  CHECK(pages == Page(all.begin(), all.end()));  // every object once, in order
  CHECK(List(store.get(), nullptr, nullptr, 0).size() == 26);
  CHECK(List(store.get(), "conf", nullptr, 0) == Page{{"config", 1}});

  int seen = 0;
  auto stop_at_third = [](void* user, const char*, uint64_t) -> int {
    return ++*static_cast<int*>(user) == 3 ? 1 : 0;
  };
  CHECK(coffer_store_list(store.get(), "", nullptr, 0, stop_at_third, &seen, nullptr) ==
        COFFER_ERROR_CANCELLED);
  CHECK(seen == 3);
}

TEST_CASE("raw store access: NULL arguments and unknown schemes are errors") {
  coffer_store* store = nullptr;
  CError err;
  CHECK(coffer_store_open(nullptr, &store, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(coffer_store_open("nosuch://x", &store, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(store == nullptr);
  CHECK(coffer_store_put(nullptr, "a", nullptr, 0, 0, err.out()) == COFFER_ERROR_INVALID_ARGUMENT);
  coffer_store_close(nullptr);
}
