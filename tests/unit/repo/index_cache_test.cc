// The local index cache (repo/index_cache.h) and how Repository::LoadIndex
// uses it: served from the cache, noticing new and removed index objects,
// and never trusting a cache it cannot authenticate.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "repo/blob_writer.h"
#include "repo/index_cache.h"
#include "repo/object_kind.h"
#include "repo/repository.h"
#include "support/repo_fixture.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
using coffer::testing::MustInit;
using coffer::testing::TempDir;

namespace {

Id RandomId(std::mt19937_64& rng) {
  Id id;
  for (auto& b : id.bytes) b = static_cast<uint8_t>(rng());
  return id;
}

IndexObject SomePacks(std::mt19937_64& rng, size_t packs, size_t blobs_per_pack) {
  IndexObject object;
  for (size_t p = 0; p < packs; ++p) {
    PackContents pack{RandomId(rng), {}};
    uint32_t offset = kPackPrefixSize;
    for (size_t i = 0; i < blobs_per_pack; ++i) {
      uint32_t length = 100 + static_cast<uint32_t>(rng() % 100000);
      pack.blobs.push_back({i % 5 ? BlobType::kData : BlobType::kTree, RandomId(rng), offset, length,
                            static_cast<uint32_t>(length + rng() % 1000)});
      offset += length;
    }
    object.packs.push_back(std::move(pack));
  }
  return object;
}

Bytes ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& p, const Bytes& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

void RequireSameIndex(const Index& a, const Index& b) {
  REQUIRE(a.blob_count() == b.blob_count());
  REQUIRE(a.pack_count() == b.pack_count());
  size_t differ = 0;
  a.ForEach([&](const BlobRef& r) {
    auto other = b.Find(r.blob.id);
    if (!other || other->pack != r.pack || other->blob.offset != r.blob.offset ||
        other->blob.length != r.blob.length || other->blob.raw_length != r.blob.raw_length ||
        other->blob.type != r.blob.type)
      ++differ;
  });
  CHECK(differ == 0);
}

Id PutIndexObject(Repository& repo, const IndexObject& object) {
  auto id = repo.PutContentAddressed(&IndexName, EncryptIndexObject(object, repo.keys().index_key));
  REQUIRE(id.ok());
  return *id;
}

}  // namespace

TEST_CASE("an index cache file round-trips the index it was written from") {
  TempDir dir;
  std::mt19937_64 rng(1);
  const Key32 key = Key32::Random();
  const Id repo_id = RandomId(rng);
  IndexBuilder builder;
  builder.Merge(SomePacks(rng, 300, 200));
  Index index = std::move(builder).Build();
  std::vector<Id> objects = {RandomId(rng), RandomId(rng), RandomId(rng)};
  std::sort(objects.begin(), objects.end());
  const auto file = IndexCachePath(dir.path(), repo_id);
  REQUIRE(WriteIndexCache(file, repo_id, key, objects, index).ok());
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);

  auto cache = IndexCacheFile::Open(file, repo_id, key);
  REQUIRE(cache.ok());
  CHECK(cache->objects() == objects);
  auto read = cache->ReadIndex();
  REQUIRE(read.ok());
  RequireSameIndex(index, *read);

  SECTION("a missing file is NotFound") {
    CHECK(absl::IsNotFound(IndexCacheFile::Open(dir / "none", repo_id, key).status()));
  }
  SECTION("another key, another repository: refused") {
    CHECK(absl::IsDataLoss(IndexCacheFile::Open(file, repo_id, Key32::Random()).status()));
    CHECK(absl::IsDataLoss(IndexCacheFile::Open(file, RandomId(rng), key).status()));
  }
  SECTION("an index with blobs merged since is not written") {
    index.Merge(SomePacks(rng, 1, 5));
    CHECK(absl::IsFailedPrecondition(WriteIndexCache(file, repo_id, key, objects, index)));
  }
}

TEST_CASE("a cache file with any byte changed, or cut short, is refused") {
  TempDir dir;
  std::mt19937_64 rng(2);
  const Key32 key = Key32::Random();
  const Id repo_id = RandomId(rng);
  IndexBuilder builder;
  builder.Merge(SomePacks(rng, 50, 100));
  Index index = std::move(builder).Build();
  const auto file = IndexCachePath(dir.path(), repo_id);
  REQUIRE(WriteIndexCache(file, repo_id, key, {RandomId(rng)}, index).ok());
  const Bytes good = ReadFile(file);

  // Every byte of the header and object list, then bytes spread over the body.
  std::vector<size_t> positions;
  for (size_t i = 0; i < 200; ++i) positions.push_back(i);
  for (size_t i = 200; i < good.size(); i += good.size() / 300) positions.push_back(i);
  positions.push_back(good.size() - 1);
  size_t accepted = 0;
  for (size_t pos : positions) {
    Bytes bad = good;
    bad[pos] ^= static_cast<uint8_t>(1 + rng() % 255);
    WriteFile(file, bad);
    auto cache = IndexCacheFile::Open(file, repo_id, key);
    if (cache.ok() && cache->ReadIndex().ok()) ++accepted;
  }
  CHECK(accepted == 0);
  for (size_t cut : {size_t{0}, size_t{10}, good.size() / 2, good.size() - 1}) {
    WriteFile(file, Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
    auto cache = IndexCacheFile::Open(file, repo_id, key);
    CHECK_FALSE((cache.ok() && cache->ReadIndex().ok()));
  }
  Bytes longer = good;
  longer.push_back(0);
  WriteFile(file, longer);
  CHECK_FALSE(IndexCacheFile::Open(file, repo_id, key).ok());
}

TEST_CASE("LoadIndex reads the cache after the first time and notices new and removed index objects") {
  TempDir dir;
  std::mt19937_64 rng(3);
  auto repo = MustInit(NewLocalStore(dir / "repo"));
  repo->set_cache_dir(dir / "cache");
  std::vector<Id> objects;
  for (int i = 0; i < 3; ++i) objects.push_back(PutIndexObject(*repo, SomePacks(rng, 20, 50)));

  REQUIRE(repo->LoadIndex().ok());
  CHECK_FALSE(repo->last_index_load().from_cache);
  CHECK(repo->last_index_load().objects_fetched == 3);
  CHECK(repo->last_index_load().cache_written);
  CHECK(repo->index().blob_count() == 3 * 20 * 50);
  Index first = repo->index();

  auto reopened = Repository::Open(NewLocalStore(dir / "repo"), "secret");
  REQUIRE(reopened.ok());
  Repository& again = **reopened;
  again.set_cache_dir(dir / "cache");
  REQUIRE(again.LoadIndex().ok());
  CHECK(again.last_index_load().from_cache);
  CHECK(again.last_index_load().objects_fetched == 0);
  CHECK_FALSE(again.last_index_load().cache_written);
  RequireSameIndex(first, again.index());

  SECTION("an index object added since is fetched and merged") {
    IndexObject added = SomePacks(rng, 2, 10);
    PutIndexObject(*repo, added);
    REQUIRE(again.LoadIndex().ok());
    CHECK(again.last_index_load().from_cache);
    CHECK(again.last_index_load().objects_fetched == 1);
    CHECK(again.index().blob_count() == 3 * 20 * 50 + 20);
    CHECK(again.index().Has(added.packs[1].blobs[9].id));
  }
  SECTION("many added objects get the cache rewritten") {
    for (int i = 0; i < 20; ++i) PutIndexObject(*repo, SomePacks(rng, 1, 3));
    REQUIRE(again.LoadIndex().ok());
    CHECK(again.last_index_load().from_cache);
    CHECK(again.last_index_load().objects_fetched == 20);
    CHECK(again.last_index_load().cache_written);
    REQUIRE(again.LoadIndex().ok());
    CHECK(again.last_index_load().from_cache);
    CHECK(again.last_index_load().objects_fetched == 0);
    CHECK(again.index().blob_count() == 3 * 20 * 50 + 60);
  }
  SECTION("an index object removed since means a full load") {
    REQUIRE(repo->store().Delete(IndexName(objects[1])).ok());
    REQUIRE(again.LoadIndex().ok());
    CHECK_FALSE(again.last_index_load().from_cache);
    CHECK(again.last_index_load().objects_fetched == 2);
    CHECK(again.index().blob_count() == 2 * 20 * 50);
    REQUIRE(again.LoadIndex().ok());
    CHECK(again.last_index_load().from_cache);
  }
  SECTION("a damaged index object added since fails the load, naming it") {
    REQUIRE(repo->store().Put(IndexName(RandomId(rng)), Bytes(100, 7)).ok());
    absl::Status s = again.LoadIndex();
    CHECK(absl::IsDataLoss(s));
    CHECK_THAT(std::string(s.message()), Catch::Contains("index/"));
  }
  SECTION("a tampered cache is ignored, and rewritten from the store") {
    const auto file = IndexCachePath(dir / "cache", repo->config().repo_id);
    Bytes data = ReadFile(file);
    data[data.size() / 2] ^= 0x01;
    WriteFile(file, data);
    REQUIRE(again.LoadIndex().ok());
    CHECK_FALSE(again.last_index_load().from_cache);
    CHECK(again.last_index_load().cache_written);
    RequireSameIndex(first, again.index());
  }
  SECTION("a cache written under another key plants nothing") {
    // Someone with write access to the cache directory but not the keys
    // builds an index that points a blob elsewhere.
    Id target;
    first.ForEach([&](const BlobRef& r) { target = r.blob.id; });
    IndexObject lie = SomePacks(rng, 1, 1);
    lie.packs[0].blobs[0].id = target;
    IndexBuilder forged;
    forged.Merge(lie);
    Index planted = std::move(forged).Build();
    const auto file = IndexCachePath(dir / "cache", repo->config().repo_id);
    REQUIRE(WriteIndexCache(file, repo->config().repo_id, Key32::Random(), objects, planted).ok());
    REQUIRE(again.LoadIndex().ok());
    CHECK_FALSE(again.last_index_load().from_cache);
    CHECK(again.index().Find(target)->pack == first.Find(target)->pack);
    RequireSameIndex(first, again.index());
  }
}

TEST_CASE("a load with a report reads every object and leaves a usable cache") {
  TempDir dir;
  std::mt19937_64 rng(4);
  auto repo = MustInit(NewLocalStore(dir / "repo"));
  repo->set_cache_dir(dir / "cache");
  PutIndexObject(*repo, SomePacks(rng, 5, 5));
  PutIndexObject(*repo, SomePacks(rng, 5, 5));
  IndexLoadReport report;
  REQUIRE(repo->LoadIndex(&report).ok());
  CHECK(report.objects.size() == 2);
  CHECK_FALSE(repo->last_index_load().from_cache);
  REQUIRE(repo->LoadIndex().ok());
  CHECK(repo->last_index_load().from_cache);
  CHECK(repo->index().blob_count() == 50);
}

TEST_CASE("blobs written through a backup's blob writer are in the cache the next time") {
  TempDir dir;
  auto repo = MustInit(NewLocalStore(dir / "repo"));
  repo->set_cache_dir(dir / "cache");
  REQUIRE(repo->LoadIndex().ok());
  std::vector<Id> ids;
  {
    BlobWriter writer(*repo);
    for (int i = 0; i < 50; ++i) {
      Bytes data = coffer::testing::RandomBytes(5000 + i, i);
      ids.push_back(repo->hasher().Hash(data));
      REQUIRE(writer.Save(BlobType::kData, ids.back(), data).ok());
    }
    REQUIRE(writer.Flush().ok());
  }
  auto reopened = Repository::Open(NewLocalStore(dir / "repo"), "secret");
  REQUIRE(reopened.ok());
  (*reopened)->set_cache_dir(dir / "cache");
  REQUIRE((*reopened)->LoadIndex().ok());
  CHECK((*reopened)->last_index_load().from_cache);  // the empty index was cached; one object is new
  CHECK((*reopened)->last_index_load().objects_fetched == 1);
  for (const Id& id : ids) REQUIRE((*reopened)->ReadBlob(id).ok());
}

TEST_CASE("UpdateIndexCache stores what this process added once LoadIndex would rewrite it, not before") {
  TempDir dir;
  std::mt19937_64 rng(5);
  auto repo = MustInit(NewLocalStore(dir / "repo"));
  repo->set_cache_dir(dir / "cache");
  for (int i = 0; i < 3; ++i) PutIndexObject(*repo, SomePacks(rng, 20, 50));
  REQUIRE(repo->LoadIndex().ok());
  // The next process's load: from the cache, with every blob this one has
  // (RequireSameIndex), answering how many objects it still had to fetch.
  auto load_again = [&] {
    auto reopened = Repository::Open(NewLocalStore(dir / "repo"), "secret");
    REQUIRE(reopened.ok());
    (*reopened)->set_cache_dir(dir / "cache");
    REQUIRE((*reopened)->LoadIndex().ok());
    CHECK((*reopened)->last_index_load().from_cache);
    return (*reopened)->last_index_load().objects_fetched;
  };
  auto same_index_from_cache_alone = [&](const Index& expected) {
    auto reopened = Repository::Open(NewLocalStore(dir / "repo"), "secret");
    REQUIRE(reopened.ok());
    (*reopened)->set_cache_dir(dir / "cache");
    REQUIRE((*reopened)->LoadIndex().ok());
    REQUIRE((*reopened)->last_index_load().objects_fetched == 0);
    RequireSameIndex(expected, (*reopened)->index());
  };

  SECTION("a small addition is left for the next load to merge") {
    IndexObject added = SomePacks(rng, 1, 5);
    repo->AddToIndex(added, {PutIndexObject(*repo, added)});
    repo->UpdateIndexCache();
    CHECK(load_again() == 1);
  }
  SECTION("a large one is written into the cache") {
    IndexObject added = SomePacks(rng, 20, 50);  // a third more blobs
    repo->AddToIndex(added, {PutIndexObject(*repo, added)});
    repo->UpdateIndexCache();
    CHECK(load_again() == 0);
    same_index_from_cache_alone(repo->index());
    CHECK(repo->index().Has(added.packs[19].blobs[49].id));
  }
  SECTION("many small ones are written into the cache") {
    for (int i = 0; i < 20; ++i) {
      IndexObject added = SomePacks(rng, 1, 1);
      repo->AddToIndex(added, {PutIndexObject(*repo, added)});
    }
    repo->UpdateIndexCache();
    CHECK(load_again() == 0);
    same_index_from_cache_alone(repo->index());
  }
  SECTION("a second load of the same repository starts its cache counts afresh") {
    // Loaded again while the cache cannot be written (a file stands where
    // its directory goes): the counts of the first load must not make the
    // next update think the cache holds what it does not.
    namespace fs = std::filesystem;
    const fs::path repo_cache = dir / "cache" / repo->config().repo_id.Hex();
    fs::remove_all(repo_cache);
    { std::ofstream(repo_cache) << "not a directory"; }
    REQUIRE(repo->LoadIndex().ok());
    CHECK_FALSE(repo->last_index_load().cache_written);
    fs::remove(repo_cache);
    IndexObject added = SomePacks(rng, 1, 1);
    repo->AddToIndex(added, {PutIndexObject(*repo, added)});
    repo->UpdateIndexCache();  // nothing cached yet: any addition writes it
    CHECK(load_again() == 0);
  }
  SECTION("objects another process wrote meanwhile are still fetched") {
    IndexObject added = SomePacks(rng, 20, 50);
    repo->AddToIndex(added, {PutIndexObject(*repo, added)});
    PutIndexObject(*repo, SomePacks(rng, 1, 2));  // not in this process's index
    repo->UpdateIndexCache();
    CHECK(load_again() == 1);
  }
  SECTION("an index set by hand is not cached") {
    IndexObject added = SomePacks(rng, 20, 50);
    repo->AddToIndex(added, {PutIndexObject(*repo, added)});
    repo->SetIndex(Index());
    repo->UpdateIndexCache();
    CHECK(load_again() == 1);
  }
}
