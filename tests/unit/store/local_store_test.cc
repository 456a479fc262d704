#include "store/local_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "store_conformance.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> TempFilesUnder(const fs::path& root) {
  std::vector<std::string> temps;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.path().filename().string().starts_with(".tmp-")) temps.push_back(entry.path());
  return temps;
}

std::set<std::string> ListedNames(Store& store, std::string_view prefix = "") {
  std::set<std::string> names;
  COFFER_REQUIRE_OK(store.List(prefix, [&](const ObjectInfo& info) {
    names.insert(info.name);
    return absl::OkStatus();
  }));
  return names;
}

}  // namespace

TEST_CASE("local store keeps the Store contract") {
  testing::TempDir dir;
  testing::RunStoreConformance([&] { return NewLocalStore(dir.path() / "repo"); });
}

TEST_CASE("local store keeps each object as a plain owner-only file under its name") {
  testing::TempDir dir;
  std::unique_ptr<Store> store = NewLocalStore(dir.path());
  COFFER_REQUIRE_OK(store->Put("data/ab/ab12", AsBytes("pack bytes")));
  CHECK(testing::ReadFile(dir / "data/ab/ab12") == "pack bytes");
  struct stat st;
  REQUIRE(::stat((dir / "data/ab/ab12").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((dir / "data/ab").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("local store leaves no temporary files behind") {
  testing::TempDir dir;
  std::unique_ptr<Store> store = NewLocalStore(dir.path());
  for (int i = 0; i < 100; ++i) {
    std::string name = "data/0" + std::to_string(i % 30 % 7) + "/" + std::to_string(i % 30);
    COFFER_REQUIRE_OK(store->Put(name, testing::RandomBytes(i * 10, i)));
    absl::Status again = store->PutIfAbsent(name, AsBytes("loser"));
    CHECK(again.code() == absl::StatusCode::kAlreadyExists);
  }
  CHECK(TempFilesUnder(dir.path()).empty());
  CHECK(ListedNames(*store).size() == 30);
}

TEST_CASE("deferred writes are complete, owner-only and without temporary files after WaitDeferred") {
  testing::TempDir dir;
  std::unique_ptr<Store> store = NewLocalStore(dir.path());
  const uint64_t mark = store->DeferredMark();
  for (int i = 0; i < 40; ++i)
    COFFER_REQUIRE_OK(store->PutContentAddressedDeferred("data/0" + std::to_string(i % 4) + "/" + std::to_string(i),
                                                         testing::RandomBytes(4096 + i, i)));
  COFFER_REQUIRE_OK(store->WaitDeferred(mark));
  CHECK(TempFilesUnder(dir.path()).empty());
  CHECK(ListedNames(*store).size() == 40);
  CHECK(testing::ReadFile(dir / "data/03/7") == ToString(testing::RandomBytes(4096 + 7, 7)));
  struct stat st;
  REQUIRE(::stat((dir / "data/03/7").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("deferred writes still queued when the store is destroyed are completed") {
  testing::TempDir dir;
  {
    std::unique_ptr<Store> store = NewLocalStore(dir.path());
    for (int i = 0; i < 30; ++i)
      COFFER_REQUIRE_OK(store->PutContentAddressedDeferred("data/" + std::to_string(i), testing::RandomBytes(100000, i)));
  }
  CHECK(TempFilesUnder(dir.path()).empty());
  std::unique_ptr<Store> reopened = NewLocalStore(dir.path());
  CHECK(ListedNames(*reopened).size() == 30);
  CHECK(testing::ReadFile(dir / "data/29") == ToString(testing::RandomBytes(100000, 29)));
}

TEST_CASE("a deferred write that cannot be completed fails the waits of writers that made it, not of later ones") {
  testing::TempDir dir;
  std::unique_ptr<Store> store = NewLocalStore(dir.path());
  // A directory where the object would go: the data is written, the move
  // into place fails on the completer thread.
  COFFER_REQUIRE_OK(store->Put("data/ab/in-the-way/x", AsBytes("x")));
  const uint64_t first_writer = store->DeferredMark();
  COFFER_REQUIRE_OK(store->PutContentAddressedDeferred("data/ab/fine", AsBytes("pack one")));
  COFFER_REQUIRE_OK(store->PutContentAddressedDeferred("data/ab/in-the-way", AsBytes("pack two")));
  absl::Status waited = store->WaitDeferred(first_writer);
  INFO(waited.ToString());
  CHECK(waited.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(waited.message()), Catch::Contains("data/ab/in-the-way"));
  CHECK_THAT(std::string(waited.message()), Catch::Contains(store->Describe()));
  // Kept for that writer: a later wait of it must not name what follows.
  COFFER_REQUIRE_OK(store->PutContentAddressedDeferred("data/cd/later", AsBytes("pack three")));
  CHECK(store->WaitDeferred(first_writer) == waited);
  // A writer that starts after the failure is not failed by it.
  const uint64_t second_writer = store->DeferredMark();
  COFFER_REQUIRE_OK(store->PutContentAddressedDeferred("data/cd/fine", AsBytes("pack four")));
  COFFER_REQUIRE_OK(store->WaitDeferred(second_writer));
  CHECK(TempFilesUnder(dir.path()).empty());
  CHECK(ListedNames(*store) ==
        std::set<std::string>{"data/ab/fine", "data/ab/in-the-way/x", "data/cd/fine", "data/cd/later"});
}

TEST_CASE("a temporary file left by a crash is invisible and harmless") {
  testing::TempDir dir;
  testing::WriteFile(dir / ".tmp-xyz", "half-written");
  testing::WriteFile(dir / "data/ab/.tmp-0123456789abcdef", "half-written pack");
  testing::WriteFile(dir / "data/.tmp-dir/inside", "under a temporary directory");
  std::unique_ptr<Store> store = NewLocalStore(dir.path());
  CHECK(ListedNames(*store).empty());

  COFFER_REQUIRE_OK(store->Put("data/ab/abcd", AsBytes("real")));
  COFFER_REQUIRE_OK(store->PutIfAbsent("config", AsBytes("config")));
  CHECK(ListedNames(*store) == std::set<std::string>{"config", "data/ab/abcd"});
  CHECK(ListedNames(*store, "data/ab/") == std::set<std::string>{"data/ab/abcd"});
  CHECK(ListedNames(*store, ".tmp").empty());
  CHECK(ListedNames(*store, "data/.tmp-dir/").empty());
  CHECK(store->Get(".tmp-xyz").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(store->Delete("data/ab/.tmp-0123456789abcdef").code() ==
        absl::StatusCode::kInvalidArgument);
  // Left alone: cleaning up is not the store's business while another writer
  // might still be writing it.
  CHECK(testing::ReadFile(dir / ".tmp-xyz") == "half-written");
}

TEST_CASE("local store messages name the store, the object and the system error") {
  testing::TempDir dir;
  std::unique_ptr<Store> store = NewLocalStore(dir.path());
  absl::Status s = store->Get("data/ab/ab12").status();
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(s.message()) ==
        "local store " + dir.path().string() + ": object data/ab/ab12: No such file or directory");
}

TEST_CASE("Describe names the root, normalized") {
  CHECK(NewLocalStore("/srv/repo")->Describe() == "local store /srv/repo");
  CHECK(NewLocalStore("/srv/repo/")->Describe() == "local store /srv/repo");
  CHECK(NewLocalStore("/srv//x/../repo/.")->Describe() == "local store /srv/repo");
}

TEST_CASE("a missing root is an empty store until the first Put creates it") {
  testing::TempDir dir;
  fs::path root = dir / "a/b/repo";
  std::unique_ptr<Store> store = NewLocalStore(root);
  CHECK(ListedNames(*store).empty());
  CHECK(store->Get("config").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->Delete("config").code() == absl::StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(root));
  COFFER_REQUIRE_OK(store->Put("keys/k1", AsBytes("key")));
  CHECK(fs::is_directory(root / "keys"));
}

TEST_CASE("a root that is a regular file gives a clear error") {
  testing::TempDir dir;
  fs::path root = dir / "not-a-dir";
  testing::WriteFile(root, "a file");
  std::unique_ptr<Store> store = NewLocalStore(root);
  auto check = [&](const absl::Status& s) {
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(std::string(s.message()),
               Catch::Contains(root.string() + " exists but is not a directory"));
  };
  check(store->Put("config", AsBytes("x")));
  check(store->Put("data/ab/x", AsBytes("x")));
  check(store->PutIfAbsent("config", AsBytes("x")));
  check(store->Get("config").status());
  check(store->GetRange("config", 0, 0).status());
  check(store->Stat("config").status());
  check(store->Delete("config"));
  check(store->List("", [](const ObjectInfo&) { return absl::OkStatus(); }));
  check(store->List("data/", [](const ObjectInfo&) { return absl::OkStatus(); }));
  CHECK(testing::ReadFile(root) == "a file");
}

TEST_CASE("an unreadable root is PermissionDenied") {
  if (::geteuid() == 0) {
    WARN("skipped: running as root, which bypasses permission checks");
    return;
  }
  testing::TempDir dir;
  std::unique_ptr<Store> store = NewLocalStore(dir.path() / "repo");
  COFFER_REQUIRE_OK(store->Put("config", AsBytes("x")));
  fs::permissions(dir / "repo", fs::perms::none);
  auto check = [](const absl::Status& s) {
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  };
  check(store->Put("config", AsBytes("y")));
  check(store->Get("config").status());
  check(store->Stat("config").status());
  check(store->List("", [](const ObjectInfo&) { return absl::OkStatus(); }));
  fs::permissions(dir / "repo", fs::perms::owner_all);
  CHECK(testing::ReadFile(dir / "repo/config") == "x");
}

TEST_CASE("a directory where an object would be is not an object, and blocks a Put") {
  testing::TempDir dir;
  std::unique_ptr<Store> store = NewLocalStore(dir.path());
  COFFER_REQUIRE_OK(store->Put("a/b", AsBytes("object under a/")));
  CHECK(store->Get("a").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->Stat("a").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->Delete("a").code() == absl::StatusCode::kNotFound);
  absl::Status over_dir = store->Put("a", AsBytes("x"));
  INFO(over_dir.ToString());
  CHECK(over_dir.code() == absl::StatusCode::kFailedPrecondition);
  absl::Status under_file = store->Put("a/b/c", AsBytes("x"));
  INFO(under_file.ToString());
  CHECK(under_file.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store->Get("a/b/c").status().code() == absl::StatusCode::kNotFound);
  CHECK(ListedNames(*store) == std::set<std::string>{"a/b"});
  CHECK(TempFilesUnder(dir.path()).empty());
}

TEST_CASE("local store follows symlinked directories and survives symlink loops") {
  testing::TempDir dir;
  fs::path root = dir / "repo";
  testing::WriteFile(dir / "elsewhere/ab/ab12", "pack on another disk");
  fs::create_directories(root);
  fs::create_directory_symlink(dir / "elsewhere", root / "data");
  fs::create_directory_symlink(root, root / "loop");
  std::unique_ptr<Store> store = NewLocalStore(root);
  CHECK(ListedNames(*store) == std::set<std::string>{"data/ab/ab12"});
  CHECK(ToString(*store->Get("data/ab/ab12")) == "pack on another disk");
}

TEST_CASE("local store range reads of packs see writes and deletes of the same name") {
  // Packs read by range stay open between reads; what the store itself
  // writes or deletes under that name must not be hidden by that.
  coffer::testing::TempDir tmp;
  auto store = NewLocalStore(tmp / "repo");
  const std::string pack = "data/ab/abcdef";
  COFFER_REQUIRE_OK(store->Put(pack, AsBytes("first version")));
  for (int i = 0; i < 3; ++i) {  // repeated reads hit the open file
    auto got = store->GetRange(pack, 0, 5);
    COFFER_REQUIRE_OK(got.status());
    CHECK(ToString(*got) == "first");
  }
  COFFER_REQUIRE_OK(store->Put(pack, AsBytes("second, longer version")));
  auto got = store->GetRange(pack, 8, 6);
  COFFER_REQUIRE_OK(got.status());
  CHECK(ToString(*got) == "longer");
  COFFER_REQUIRE_OK(store->Delete(pack));
  CHECK(absl::IsNotFound(store->GetRange(pack, 0, 1).status()));
  // More packs than stay open, read round-robin: each read still right.
  for (int round = 0; round < 2; ++round) {
    for (int p = 0; p < 20; ++p) {
      std::string name = "data/0" + std::to_string(p % 10) + "/pack" + std::to_string(p);
      if (round == 0) COFFER_REQUIRE_OK(store->Put(name, AsBytes("pack number " + std::to_string(p))));
      auto part = store->GetRange(name, 12, std::to_string(p).size());
      COFFER_REQUIRE_OK(part.status());
      CHECK(ToString(*part) == std::to_string(p));
    }
  }
}

TEST_CASE("local store range reads notice a pack deleted or replaced by another process") {
  // A second store on the same directory stands for another process (a
  // prune elsewhere): the first one's open pack must not hide what it did.
  coffer::testing::TempDir tmp;
  auto reader = NewLocalStore(tmp / "repo");
  auto other = NewLocalStore(tmp / "repo");
  const std::string pack = "data/cd/cdef01";
  COFFER_REQUIRE_OK(other->Put(pack, AsBytes("original bytes")));
  auto first = reader->GetRange(pack, 0, 8);
  COFFER_REQUIRE_OK(first.status());
  CHECK(ToString(*first) == "original");
  COFFER_REQUIRE_OK(other->Put(pack, AsBytes("replaced bytes")));
  auto second = reader->GetRange(pack, 0, 8);
  COFFER_REQUIRE_OK(second.status());
  CHECK(ToString(*second) == "replaced");
  COFFER_REQUIRE_OK(other->Delete(pack));
  CHECK(absl::IsNotFound(reader->GetRange(pack, 0, 8).status()));
}
