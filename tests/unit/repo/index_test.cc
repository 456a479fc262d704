// The in-memory index (repo/index.h, repo/index_table.h) against a plain
// hash map holding the same entries.
#include <catch2/catch.hpp>

#include <random>

#include "absl/container/flat_hash_map.h"
#include "repo/index.h"

using namespace coffer;

namespace {

Id RandomId(std::mt19937_64& rng) {
  Id id;
  for (size_t i = 0; i < Id::kSize; i += 8) {
    uint64_t v = rng();
    std::memcpy(id.bytes.data() + i, &v, 8);
  }
  return id;
}

// What the index must answer: first location wins.
struct Reference {
  absl::flat_hash_map<Id, BlobRef> blobs;
  std::vector<Id> packs;
  absl::flat_hash_map<Id, bool> pack_seen;
  void Merge(const IndexObject& object) {
    for (const PackContents& pack : object.packs) {
      if (pack_seen.try_emplace(pack.pack, true).second) packs.push_back(pack.pack);
      for (const PackedBlob& b : pack.blobs) blobs.try_emplace(b.id, BlobRef{pack.pack, b});
    }
  }
};

// Packs of every shape the table encodes differently: blobs back to back or
// with gaps (as prune leaves them), overlapping or out of order, data, trees
// or both, incompressible (raw close to length), compressible, extreme
// values, empty packs and blobs stored twice.
IndexObject RandomObject(std::mt19937_64& rng, size_t blobs, std::vector<Id>& ids) {
  IndexObject object;
  while (blobs > 0) {
    PackContents pack;
    pack.pack = RandomId(rng);
    const int shape = static_cast<int>(rng() % 8);
    const size_t count = std::min<size_t>(blobs, shape == 7 ? 0 : 1 + rng() % 300);
    uint32_t offset = kPackPrefixSize;
    for (size_t i = 0; i < count; ++i) {
      PackedBlob b;
      b.id = (!ids.empty() && rng() % 50 == 0) ? ids[rng() % ids.size()] : RandomId(rng);  // duplicates
      b.type = shape == 2 ? BlobType::kTree : shape == 3 && rng() % 2 ? BlobType::kTree : BlobType::kData;
      b.length = static_cast<uint32_t>(40 + rng() % (shape == 4 ? 8 << 20 : 70000));
      const bool incompressible = shape == 5 || (shape != 6 && rng() % 2);
      b.raw_length = incompressible ? b.length - 31 - static_cast<uint32_t>(rng() % 4)
                                    : static_cast<uint32_t>(b.length * (1 + rng() % 5) + rng() % 100);
      if (shape == 1) offset += static_cast<uint32_t>(rng() % 3 == 0 ? rng() % 5000 : 0);  // gaps
      b.offset = offset;
      if (shape == 0 && rng() % 7 == 0) b.offset = static_cast<uint32_t>(rng());  // anywhere
      if (shape == 6 && rng() % 5 == 0) {                                        // extremes
        b.offset = UINT32_MAX - static_cast<uint32_t>(rng() % 3);
        b.length = static_cast<uint32_t>(rng() % 2 ? UINT32_MAX : 0);
        b.raw_length = static_cast<uint32_t>(rng() % 2 ? UINT32_MAX : 0);
      }
      offset = b.offset + b.length;
      ids.push_back(b.id);
      pack.blobs.push_back(b);
    }
    blobs -= count;
    if (shape == 0 && pack.blobs.size() > 1) std::swap(pack.blobs.front(), pack.blobs.back());
    object.packs.push_back(std::move(pack));
    if (rng() % 40 == 0 && !object.packs.empty()) object.packs.push_back(object.packs[rng() % object.packs.size()]);
  }
  return object;
}

void RequireSame(const Index& index, const Reference& ref, const std::vector<Id>& ids, std::mt19937_64& rng) {
  REQUIRE(index.blob_count() == ref.blobs.size());
  REQUIRE(index.pack_count() == ref.packs.size());
  std::vector<Id> packs = index.packs(), expected_packs = ref.packs;
  std::sort(packs.begin(), packs.end());
  std::sort(expected_packs.begin(), expected_packs.end());
  REQUIRE(packs == expected_packs);

  size_t mismatches = 0;
  for (const auto& [id, expected] : ref.blobs) {
    auto found = index.Find(id);
    if (!found || found->pack != expected.pack || found->blob.id != id || found->blob.type != expected.blob.type ||
        found->blob.offset != expected.blob.offset || found->blob.length != expected.blob.length ||
        found->blob.raw_length != expected.blob.raw_length || !index.Has(id))
      ++mismatches;
  }
  CHECK(mismatches == 0);

  // Misses: random ids, and ids that differ from stored ones only in one
  // byte (the bucket, the fingerprint, the middle or the very last byte).
  size_t false_hits = 0;
  std::vector<Id> probes;
  for (int i = 0; i < 20000; ++i) probes.push_back(RandomId(rng));
  for (int i = 0; i < 20000; ++i) {
    Id id = ids[rng() % ids.size()];
    const size_t byte = std::array<size_t, 6>{0, 1, 2, 3, 4, 31}[rng() % 6];
    id.bytes[byte] ^= static_cast<uint8_t>(1 + rng() % 255);
    if (!ref.blobs.contains(id)) probes.push_back(id);
  }
  for (const Id& id : probes) false_hits += index.Has(id) || index.Find(id).has_value();
  CHECK(false_hits == 0);

  // HasMany answers like Has, for hits and misses mixed.
  std::vector<Id> mixed(probes.begin(), probes.begin() + 5000);
  for (int i = 0; i < 5000; ++i) mixed.push_back(ids[rng() % ids.size()]);
  std::shuffle(mixed.begin(), mixed.end(), rng);
  std::unique_ptr<bool[]> found(new bool[mixed.size()]);
  index.HasMany(mixed, found.get());
  size_t differ = 0;
  for (size_t i = 0; i < mixed.size(); ++i) differ += found[i] != ref.blobs.contains(mixed[i]);
  CHECK(differ == 0);

  size_t visited = 0, unknown = 0;
  index.ForEach([&](const BlobRef& r) {
    ++visited;
    auto it = ref.blobs.find(r.blob.id);
    if (it == ref.blobs.end() || it->second.pack != r.pack || it->second.blob.offset != r.blob.offset ||
        it->second.blob.length != r.blob.length || it->second.blob.raw_length != r.blob.raw_length ||
        it->second.blob.type != r.blob.type)
      ++unknown;
  });
  CHECK(visited == ref.blobs.size());
  CHECK(unknown == 0);
}

}  // namespace

TEST_CASE("the compact index answers exactly like a map of its entries, for millions of blobs") {
  std::mt19937_64 rng(1);
  Reference ref;
  IndexBuilder builder;
  std::vector<Id> ids;
  for (int i = 0; i < 20; ++i) {
    IndexObject object = RandomObject(rng, 100000, ids);
    ref.Merge(object);
    builder.Merge(object);
  }
  Index index = std::move(builder).Build();
  REQUIRE(index.compact());
  REQUIRE(index.table().Validate().ok());
  CHECK(index.blob_count() > 1'900'000);
  RequireSame(index, ref, ids, rng);
  // 32-byte ids alone are 32 bytes per blob; these random packs are small
  // (about 150 blobs), so their names weigh more than in real repositories.
  CHECK(static_cast<double>(index.MemoryUsage()) / static_cast<double>(index.blob_count()) < 48);
}

TEST_CASE("blobs merged after the table is built are found, and compaction changes no answer") {
  std::mt19937_64 rng(2);
  Reference ref;
  std::vector<Id> ids;
  IndexBuilder builder;
  IndexObject first = RandomObject(rng, 200000, ids);
  ref.Merge(first);
  builder.Merge(first);
  Index index = std::move(builder).Build();

  SECTION("a few packs stay in the added map") {
    IndexObject more = RandomObject(rng, 5000, ids);
    ref.Merge(more);
    index.Merge(more);
    CHECK_FALSE(index.compact());
    RequireSame(index, ref, ids, rng);
    index.Compact();
    CHECK(index.compact());
    RequireSame(index, ref, ids, rng);
  }
  SECTION("many packs compact on their own") {
    for (int i = 0; i < 4; ++i) {
      IndexObject more = RandomObject(rng, 40000, ids);
      ref.Merge(more);
      index.Merge(more);
    }
    RequireSame(index, ref, ids, rng);
  }
  SECTION("an empty index grows by merging alone") {
    Index grown;
    Reference again;
    for (int i = 0; i < 3; ++i) {
      IndexObject more = RandomObject(rng, 50000, ids);
      again.Merge(more);
      grown.Merge(more);
    }
    RequireSame(grown, again, ids, rng);
  }
}

TEST_CASE("the first location merged wins, in the table and in the added map") {
  const Id blob = Id::FromHex(std::string(64, 'a')).value();
  const Id pack1 = Id::FromHex(std::string(64, '1')).value();
  const Id pack2 = Id::FromHex(std::string(64, '2')).value();
  IndexObject a, b;
  a.packs.push_back({pack1, {PackedBlob{BlobType::kData, blob, 100, 50, 60}}});
  b.packs.push_back({pack2, {PackedBlob{BlobType::kTree, blob, 200, 70, 80}}});

  IndexBuilder builder;
  builder.Merge(a);
  builder.Merge(b);
  Index built = std::move(builder).Build();
  REQUIRE(built.Find(blob));
  CHECK(built.Find(blob)->pack == pack1);
  CHECK(built.Find(blob)->blob.offset == 100);
  CHECK(built.pack_count() == 2);

  built.Merge(b);  // again, into the added map: still the first
  CHECK(built.Find(blob)->pack == pack1);

  Index merged;
  merged.Merge(b);
  merged.Merge(a);
  CHECK(merged.Find(blob)->pack == pack2);
  CHECK(merged.Find(blob)->blob.type == BlobType::kTree);
  merged.Compact();
  CHECK(merged.Find(blob)->pack == pack2);
  CHECK(merged.blob_count() == 1);
  CHECK(merged.pack_count() == 2);
}

TEST_CASE("an empty index and an index of empty packs answer nothing") {
  Index empty;
  CHECK_FALSE(empty.Has(Id{}));
  CHECK(empty.blob_count() == 0);
  IndexBuilder builder;
  builder.AddPack({Id::FromHex(std::string(64, 'b')).value(), {}});
  Index packs_only = std::move(builder).Build();
  CHECK(packs_only.pack_count() == 1);
  CHECK(packs_only.blob_count() == 0);
  CHECK_FALSE(packs_only.Find(Id{}));
  REQUIRE(packs_only.table().Validate().ok());
}

TEST_CASE("a table's arrays rebuild the same table, and damaged arrays are refused") {
  std::mt19937_64 rng(3);
  std::vector<Id> ids;
  Reference ref;
  IndexBuilder builder;
  IndexObject object = RandomObject(rng, 30000, ids);
  ref.Merge(object);
  builder.Merge(object);
  Index index = std::move(builder).Build();

  const IndexTable& table = index.table();
  IndexTable copy = IndexTable::Allocate(table.shape());
  auto from = table.Arrays();
  auto to = copy.MutableArrays();
  REQUIRE(from.size() == to.size());
  for (size_t a = 0; a < from.size(); ++a) {
    REQUIRE(from[a].size() == to[a].size());
    std::copy(from[a].begin(), from[a].end(), to[a].begin());
  }
  REQUIRE(copy.Validate().ok());
  auto rebuilt = Index::FromTable(copy, index.packs());
  REQUIRE(rebuilt.ok());
  RequireSame(*rebuilt, ref, ids, rng);

  SECTION("rows out of range") {
    auto arrays = copy.MutableArrays();
    std::fill(arrays[2].begin(), arrays[2].end(), 0xff);  // every record's row
    CHECK(absl::IsDataLoss(copy.Validate()));
  }
  SECTION("bucket starts out of order") {
    auto arrays = copy.MutableArrays();
    arrays[0][4 * 100 + 3] ^= 0x40;
    CHECK(absl::IsDataLoss(copy.Validate()));
  }
  SECTION("a pack list that does not fit") {
    std::vector<Id> packs = index.packs();
    std::swap(packs.front(), packs.back());
    CHECK(absl::IsDataLoss(Index::FromTable(copy, packs).status()));
    packs.pop_back();
    CHECK(absl::IsDataLoss(Index::FromTable(copy, packs).status()));
  }
}

TEST_CASE("ids crowded into one bucket or sharing a fingerprint are all found, and no near miss is") {
  // Not what keyed hashes produce, but the lookup must not depend on luck:
  // long runs of equal fingerprints and buckets far from uniform.
  std::mt19937_64 rng(5);
  Reference ref;
  IndexBuilder builder;
  std::vector<Id> ids;
  IndexObject object;
  PackContents pack{RandomId(rng), {}};
  uint32_t offset = kPackPrefixSize;
  auto add = [&](const Id& id) {
    pack.blobs.push_back({BlobType::kData, id, offset, 100, 90});
    offset += 100;
    ids.push_back(id);
  };
  for (int i = 0; i < 20000; ++i) add(RandomId(rng));
  for (int i = 0; i < 700; ++i) {  // one fingerprint, 700 times
    Id id = RandomId(rng);
    id.bytes[0] = 0x12, id.bytes[1] = 0x34, id.bytes[2] = 0x56, id.bytes[3] = 0x78;
    add(id);
  }
  for (int i = 0; i < 3000; ++i) {  // one bucket, fingerprints bunched low
    Id id = RandomId(rng);
    id.bytes[0] = 0x9a, id.bytes[1] = 0xbc, id.bytes[2] = static_cast<uint8_t>(rng() % 3);
    add(id);
  }
  object.packs.push_back(pack);
  ref.Merge(object);
  builder.Merge(object);
  Index index = std::move(builder).Build();
  RequireSame(index, ref, ids, rng);
  size_t false_hits = 0;
  for (int i = 0; i < 20000; ++i) {
    Id id = ids[20000 + rng() % 3700];
    id.bytes[4 + rng() % 28] ^= static_cast<uint8_t>(1 + rng() % 255);
    if (!ref.blobs.contains(id)) false_hits += index.Has(id);
  }
  CHECK(false_hits == 0);
}
