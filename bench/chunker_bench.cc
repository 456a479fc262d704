// Chunking throughput over 64 MiB of random data (bytes/s counts every input
// byte, including the min_size prefix of each chunk that is skipped).
#include <benchmark/benchmark.h>

#include <random>

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

void RunChunker(benchmark::State& state, const ChunkerParams& params) {
  const Bytes& data = RandomInput();
  const Chunker chunker(params, GearTable::FromSeed(Bytes(32, 7)));
  size_t chunks = 0;
  for (auto _ : state) {
    ByteView rest = data;
    while (!rest.empty()) {
      const size_t len = chunker.NextChunkLength(rest, true);
      rest = rest.subspan(len);
      ++chunks;
    }
    benchmark::DoNotOptimize(chunks);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["avg_chunk"] = benchmark::Counter(
      static_cast<double>(state.iterations() * data.size()) / static_cast<double>(chunks));
}

void BM_ChunkerDefault(benchmark::State& state) { RunChunker(state, ChunkerParams{}); }
BENCHMARK(BM_ChunkerDefault)->Unit(benchmark::kMillisecond);

// Small chunks: min_size is a smaller share of each chunk, so more is hashed.
void BM_ChunkerSmall(benchmark::State& state) {
  RunChunker(state, {.min_size = 16 << 10, .avg_size = 64 << 10, .max_size = 256 << 10});
}
BENCHMARK(BM_ChunkerSmall)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace coffer
