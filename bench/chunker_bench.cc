// Chunking throughput on random data, one core: fastcdc-gear-v1 (scalar, the
// algorithm of existing repositories) and gear-simd-v1 on each path, for the
// default sizes (512 KiB / 1 MiB / 8 MiB) and small ones (16 / 64 / 256 KiB),
// over inputs of 1, 8 and 64 MiB (in L2, in L3, from memory).
//
// Counters: GB/s is decimal gigabytes per CPU second over every input byte
// (including each chunk's min_size prefix, which is skipped, not hashed);
// x_fastcdc is that rate over fastcdc-gear-v1's on the same sizes and input
// in the same run (it runs first; with repetitions, over its best one). bytes_per_second is Google Benchmark's own
// (binary units). For JSON: --benchmark_format=json or --benchmark_out=FILE.
// A path the CPU lacks is reported as skipped.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>

#include "chunk/chunker.h"

namespace coffer {
namespace {

const Bytes& RandomInput() {
  static const Bytes data = [] {
    Bytes d(64 << 20);
    std::mt19937_64 rng(1);
    for (auto& b : d) b = static_cast<uint8_t>(rng());
    return d;
  }();
  return data;
}

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Variant {
  std::string name;
  ChunkerAlgorithm algorithm;
  ChunkerPath path;
};

struct Sizes {
  std::string name;
  ChunkerParams params;
};

// fastcdc-gear-v1's best GB/s so far per (sizes, input length), for the
// ratios (the best, so that a slow repetition never flatters the others).
std::map<std::pair<std::string, size_t>, double>& Baseline() {
  static std::map<std::pair<std::string, size_t>, double> rates;
  return rates;
}

void RunChunker(benchmark::State& state, const Variant& variant, const Sizes& sizes,
                size_t input_size) {
  if (variant.algorithm == ChunkerAlgorithm::kGearSimdV1 && !ChunkerPathSupported(variant.path)) {
    state.SkipWithError(("this CPU cannot run the " + std::string(ChunkerPathName(variant.path)) +
                         " path")
                            .c_str());
    return;
  }
  const ByteView data = ByteView(RandomInput()).first(input_size);
  const Chunker chunker(variant.algorithm, sizes.params, GearTable::FromSeed(Bytes(32, 7)),
                        variant.path);
  size_t chunks = 0;
  const double start = CpuSeconds();
  for (auto _ : state) {
    ByteView rest = data;
    while (!rest.empty()) {
      const size_t len = chunker.NextChunkLength(rest, true);
      rest = rest.subspan(len);
      ++chunks;
    }
    benchmark::DoNotOptimize(chunks);
  }
  const double seconds = CpuSeconds() - start;
  const double bytes = static_cast<double>(state.iterations()) * static_cast<double>(input_size);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  const double gbps = bytes / seconds / 1e9;
  state.counters["GB/s"] = gbps;
  state.counters["avg_chunk"] = bytes / static_cast<double>(chunks);
  const auto key = std::make_pair(sizes.name, input_size);
  if (variant.algorithm == ChunkerAlgorithm::kFastCdcGearV1) {
    double& best = Baseline()[key];
    best = std::max(best, gbps);
  } else if (auto it = Baseline().find(key); it != Baseline().end()) {
    state.counters["x_fastcdc"] = gbps / it->second;
  }
}

const int kRegistered = [] {
  const Variant variants[] = {
      {"fastcdc-gear-v1", ChunkerAlgorithm::kFastCdcGearV1, ChunkerPath::kScalar},
      {"gear-simd-v1/scalar", ChunkerAlgorithm::kGearSimdV1, ChunkerPath::kScalar},
      {"gear-simd-v1/avx2", ChunkerAlgorithm::kGearSimdV1, ChunkerPath::kAvx2},
      {"gear-simd-v1/avx512", ChunkerAlgorithm::kGearSimdV1, ChunkerPath::kAvx512},
  };
  const Sizes size_sets[] = {
      {"default", ChunkerParams{}},
      {"small", {.min_size = 16 << 10, .avg_size = 64 << 10, .max_size = 256 << 10}},
  };
  for (const Sizes& sizes : size_sets) {
    for (size_t mib : {1, 8, 64}) {
      for (const Variant& variant : variants) {
        const std::string name = "BM_Chunk/" + sizes.name + "/" + variant.name + "/" +
                                 std::to_string(mib) + "MiB";
        benchmark::RegisterBenchmark(name.c_str(), RunChunker, variant, sizes, mib << 20)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  return 0;
}();

}  // namespace
}  // namespace coffer
