// The in-memory index (src/repo/index_table.h) and the local index cache:
// memory per blob, lookups, building, and opening a repository's index with
// and without the cache. Results: docs/PERFORMANCE.md, "Index".
//
// Synthetic repositories stand in for real backups: index objects are built
// the way BlobWriter builds them (blobs appended to 16 MiB packs, trees in
// packs of their own, 32 packs per index object) from blob ids that are
// uniformly random, like keyed hashes. Two shapes of data:
//   mixed  8% trees (300 B..64 KiB, zstd about 4:1), 62% whole small files
//          (64 B..512 KiB, log-uniform), 30% chunks of large files (512 KiB
//          + exponential, mean 1 MiB, at most 8 MiB); 40% of data blobs
//          compress 1.3..4:1, the rest are stored as they are.
//   large  only chunks of large files (mean 1 MiB), half of them
//          compressible: the fewest blobs per pack, the worst case.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "repo/index.h"
#include "repo/object_kind.h"
#include "repo/repository.h"
#include "store/local_store.h"

namespace coffer {
namespace {

constexpr uint32_t kPackSize = 16u << 20;
constexpr size_t kPacksPerObject = 32;
constexpr uint64_t kSeed = 20240601;

enum class Shape { kMixed = 0, kLarge = 1 };
const char* ShapeName(Shape s) { return s == Shape::kMixed ? "mixed" : "large"; }

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The i-th blob id of a synthetic repository (stream 0) or a pack id
// (stream 1); ids of stream 2 are never stored (misses).
Id SyntheticId(uint64_t stream, uint64_t i) {
  Id id;
  for (int k = 0; k < 4; ++k) {
    uint64_t v = SplitMix(kSeed ^ (stream << 60) ^ (i * 4 + k));
    std::memcpy(id.bytes.data() + 8 * k, &v, 8);
  }
  return id;
}

uint32_t VarintSize(uint64_t v) {
  uint32_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

// Calls sink(object) for index objects holding `blobs` blobs.
void Generate(size_t blobs, Shape shape, const std::function<void(IndexObject&&)>& sink) {
  std::mt19937_64 rng(kSeed + static_cast<uint64_t>(shape));
  std::uniform_real_distribution<double> u01(0, 1);
  auto log_uniform = [&](double lo, double hi) {
    return static_cast<uint32_t>(std::exp(std::log(lo) + u01(rng) * (std::log(hi) - std::log(lo))));
  };
  std::exponential_distribution<double> tail(1.0 / (512 * 1024));
  IndexObject object;
  PackContents open[2];  // data, trees
  uint32_t used[2] = {kPackPrefixSize, kPackPrefixSize};
  uint64_t packs = 0;
  auto close_pack = [&](int slot) {
    open[slot].pack = SyntheticId(1, packs++);
    object.packs.push_back(std::move(open[slot]));
    open[slot] = PackContents{};
    used[slot] = kPackPrefixSize;
    if (object.packs.size() == kPacksPerObject) {
      sink(std::move(object));
      object = IndexObject{};
    }
  };
  for (size_t i = 0; i < blobs; ++i) {
    double kind = u01(rng);
    BlobType type = BlobType::kData;
    uint32_t raw;
    bool compressible;
    double ratio = 1.3 + u01(rng) * 2.7;
    if (shape == Shape::kMixed && kind < 0.08) {
      type = BlobType::kTree;
      raw = log_uniform(300, 64 << 10);
      compressible = true;
      ratio = 4;
    } else if (shape == Shape::kMixed && kind < 0.70) {
      raw = log_uniform(64, 512 << 10);
      compressible = u01(rng) < 0.4;
    } else {
      raw = static_cast<uint32_t>(std::min<double>(8 << 20, (512 << 10) + tail(rng)));
      compressible = u01(rng) < (shape == Shape::kMixed ? 0.4 : 0.5);
    }
    uint32_t payload = compressible ? static_cast<uint32_t>(raw / ratio) + 8 : raw + 1 + VarintSize(raw);
    uint32_t length = payload + 30;  // AES-256-GCM envelope
    int slot = type == BlobType::kTree ? 1 : 0;
    open[slot].blobs.push_back(PackedBlob{type, SyntheticId(0, i), used[slot], length, raw});
    used[slot] += length;
    if (used[slot] >= kPackSize) close_pack(slot);
  }
  for (int slot : {0, 1})
    if (!open[slot].blobs.empty()) close_pack(slot);
  if (!object.packs.empty()) sink(std::move(object));
}

Index BuildIndex(size_t blobs, Shape shape) {
  IndexBuilder builder;
  Generate(blobs, shape, [&](IndexObject&& o) { builder.Merge(o); });
  return std::move(builder).Build();
}

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// One index per (size, shape), built on first use and kept.
const Index& SharedIndex(size_t blobs, Shape shape) {
  static std::map<std::pair<size_t, int>, std::unique_ptr<Index>> cache;
  auto& slot = cache[{blobs, static_cast<int>(shape)}];
  if (!slot) slot = std::make_unique<Index>(BuildIndex(blobs, shape));
  return *slot;
}

constexpr size_t kQueries = 1 << 20;

std::vector<Id> Queries(size_t blobs, bool hits) {
  std::vector<Id> q(kQueries);
  std::mt19937_64 rng(7);
  for (auto& id : q) id = hits ? SyntheticId(0, rng() % blobs) : SyntheticId(2, rng());
  return q;
}

// ---- memory ----

void BM_IndexMemory(benchmark::State& state) {
  const size_t blobs = static_cast<size_t>(state.range(0));
  const Shape shape = static_cast<Shape>(state.range(1));
  state.SetLabel(ShapeName(shape));
  double per_blob = 0, rss_per_blob = 0, blobs_per_pack = 0;
  for (auto _ : state) {
    malloc_trim(0);
    size_t before = ResidentBytes();
    auto index = std::make_unique<Index>(BuildIndex(blobs, shape));
    malloc_trim(0);
    size_t after = ResidentBytes();
    per_blob = static_cast<double>(index->MemoryUsage()) / static_cast<double>(index->blob_count());
    rss_per_blob = (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(blobs);
    blobs_per_pack = static_cast<double>(index->blob_count()) / static_cast<double>(index->pack_count());
  }
  state.counters["bytes_per_blob"] = per_blob;
  state.counters["rss_bytes_per_blob"] = rss_per_blob;
  state.counters["blobs_per_pack"] = blobs_per_pack;
}
BENCHMARK(BM_IndexMemory)
    ->Args({1'000'000, 0})
    ->Args({10'000'000, 0})
    ->Args({10'000'000, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// ---- lookups ----

void RunLookups(benchmark::State& state, bool hits, bool batched, bool find) {
  const size_t blobs = static_cast<size_t>(state.range(0));
  const Index& index = SharedIndex(blobs, Shape::kMixed);
  const std::vector<Id> queries = Queries(blobs, hits);
  constexpr size_t kBatch = 256;
  bool found[kBatch];
  size_t i = 0, hit_count = 0;
  for (auto _ : state) {
    if (batched) {
      index.HasMany(std::span<const Id>(queries.data() + i, kBatch), found);
      for (size_t k = 0; k < kBatch; ++k) hit_count += found[k];
    } else {
      for (size_t k = 0; k < kBatch; ++k) {
        if (find) {
          auto ref = index.Find(queries[i + k]);
          hit_count += ref.has_value();
          benchmark::DoNotOptimize(ref);
        } else {
          hit_count += index.Has(queries[i + k]);
        }
      }
    }
    i = (i + kBatch) % kQueries;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  if (hit_count != (hits ? state.iterations() * kBatch : 0)) state.SkipWithError("wrong lookup result");
}

void BM_IndexHasHit(benchmark::State& state) { RunLookups(state, true, false, false); }
void BM_IndexHasMiss(benchmark::State& state) { RunLookups(state, false, false, false); }
void BM_IndexHasManyHit(benchmark::State& state) { RunLookups(state, true, true, false); }
void BM_IndexHasManyMiss(benchmark::State& state) { RunLookups(state, false, true, false); }
void BM_IndexFindHit(benchmark::State& state) { RunLookups(state, true, false, true); }
void BM_IndexFindMiss(benchmark::State& state) { RunLookups(state, false, false, true); }
BENCHMARK(BM_IndexHasHit)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_IndexHasMiss)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_IndexHasManyHit)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_IndexHasManyMiss)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_IndexFindHit)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_IndexFindMiss)->Arg(1'000'000)->Arg(10'000'000);

// ---- inserting ----

// Building from index objects (what LoadIndex does without a cache).
void BM_IndexBuild(benchmark::State& state) {
  const size_t blobs = static_cast<size_t>(state.range(0));
  std::vector<IndexObject> objects;
  Generate(blobs, Shape::kMixed, [&](IndexObject&& o) { objects.push_back(std::move(o)); });
  for (auto _ : state) {
    IndexBuilder builder;
    for (const auto& o : objects) builder.Merge(o);
    Index index = std::move(builder).Build();
    benchmark::DoNotOptimize(index.blob_count());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * blobs));
}
BENCHMARK(BM_IndexBuild)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

// Adding new packs to a loaded index, as a backup does (includes compaction).
void BM_IndexAddPacks(benchmark::State& state) {
  const size_t blobs = static_cast<size_t>(state.range(0));
  std::vector<IndexObject> objects;
  Generate(blobs, Shape::kMixed, [&](IndexObject&& o) { objects.push_back(std::move(o)); });
  for (auto _ : state) {
    Index index;
    for (const auto& o : objects) index.Merge(o);
    benchmark::DoNotOptimize(index.blob_count());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * blobs));
}
BENCHMARK(BM_IndexAddPacks)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

// ---- opening a repository ----

struct TempRepo {
  std::filesystem::path dir;
  std::filesystem::path cache;
  TempRepo(size_t blobs) {
    dir = std::filesystem::temp_directory_path() / ("coffer-index-bench-" + std::to_string(getpid()) + "-" +
                                                    std::to_string(blobs));
    cache = dir / "cache";
    std::filesystem::remove_all(dir);
    InitOptions options;
    options.kdf.ops_limit = 1;
    options.kdf.mem_limit = 64 * 1024;
    options.kdf.salt = RandomBytes(16);
    auto repo = Repository::Init(NewLocalStore(dir / "repo"), "pw", options);
    if (!repo.ok()) throw std::runtime_error(std::string(repo.status().message()));
    Repository& r = **repo;
    Generate(blobs, Shape::kMixed, [&](IndexObject&& o) {
      auto id = r.PutContentAddressed(&IndexName, EncryptIndexObject(o, r.keys().index_key));
      if (!id.ok()) throw std::runtime_error(std::string(id.status().message()));
    });
  }
  ~TempRepo() { std::filesystem::remove_all(dir); }
};

TempRepo& SharedRepo(size_t blobs) {
  static std::map<size_t, std::unique_ptr<TempRepo>> repos;
  auto& slot = repos[blobs];
  if (!slot) slot = std::make_unique<TempRepo>(blobs);
  return *slot;
}

enum class OpenMode { kNoCache, kCold, kWarm };

// kNoCache: LoadIndex without a cache directory (fetch, decrypt and parse
// every index object); kCold: the same plus writing the cache (the first
// open); kWarm: reading the cache.
void RunOpen(benchmark::State& state, OpenMode mode) {
  const size_t blobs = static_cast<size_t>(state.range(0));
  TempRepo& temp = SharedRepo(blobs);
  auto repo = Repository::Open(NewLocalStore(temp.dir / "repo"), "pw");
  if (!repo.ok()) return state.SkipWithError("open failed");
  if (mode != OpenMode::kNoCache) (*repo)->set_cache_dir(temp.cache);
  if (mode == OpenMode::kWarm && !(*repo)->LoadIndex().ok()) return state.SkipWithError("load failed");
  for (auto _ : state) {
    state.PauseTiming();
    if (mode == OpenMode::kCold) std::filesystem::remove_all(temp.cache);
    state.ResumeTiming();
    if (!(*repo)->LoadIndex().ok()) return state.SkipWithError("load failed");
    state.PauseTiming();
    const IndexLoadInfo& info = (*repo)->last_index_load();
    if (info.from_cache != (mode == OpenMode::kWarm) || (*repo)->index().blob_count() != blobs)
      return state.SkipWithError("unexpected load");
    state.ResumeTiming();
  }
  state.counters["objects_fetched"] = static_cast<double>((*repo)->last_index_load().objects_fetched);
  if (mode != OpenMode::kNoCache)
    state.counters["cache_MiB"] =
        static_cast<double>(std::filesystem::file_size(temp.cache / (*repo)->config().repo_id.Hex() / "index")) /
        (1 << 20);
}
void BM_OpenIndexNoCache(benchmark::State& state) { RunOpen(state, OpenMode::kNoCache); }
void BM_OpenIndexCold(benchmark::State& state) { RunOpen(state, OpenMode::kCold); }
void BM_OpenIndexWarm(benchmark::State& state) { RunOpen(state, OpenMode::kWarm); }
BENCHMARK(BM_OpenIndexNoCache)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_OpenIndexCold)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_OpenIndexWarm)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace coffer
