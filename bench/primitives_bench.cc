// Throughput of the per-blob primitives: keyed hash, AEAD, compression.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "compress/codec.h"
#include "crypto/aead.h"
#include "hash/keyed_hash.h"

namespace coffer {
namespace {

constexpr size_t kBlobSize = 1 << 20;

Bytes RandomBlob(size_t n) {
  Bytes d(n);
  std::mt19937_64 rng(2);
  for (auto& b : d) b = static_cast<uint8_t>(rng());
  return d;
}

// Semi-compressible: words drawn from a vocabulary interleaved with random
// bytes; lz4 keeps about 62% of it and zstd (level 3) about 50%.
Bytes SemiCompressibleBlob(size_t n) {
  static const char* kWords[] = {"backup", "restore", "snapshot", "chunk", "pack", "index",
                                 "retention", "policy", "agent", "store", "repository", "key"};
  std::mt19937_64 rng(3);
  Bytes d;
  d.reserve(n + 64);
  while (d.size() < n) {
    const std::string w = kWords[rng() % 12];
    d.insert(d.end(), w.begin(), w.end());
    for (int i = 0, k = static_cast<int>(rng() % 6); i < k; ++i) {
      d.push_back(static_cast<uint8_t>(rng()));
    }
  }
  d.resize(n);
  return d;
}

void SetBytes(benchmark::State& state, size_t per_iteration) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * per_iteration));
}

void BM_KeyedHash(benchmark::State& state) {
  const Bytes data = RandomBlob(static_cast<size_t>(state.range(0)));
  const KeyedHasher hasher(Bytes(32, 1));
  for (auto _ : state) benchmark::DoNotOptimize(hasher.Hash(data));
  SetBytes(state, data.size());
}
// 256 bytes: a tree or a tiny file, where the per-call cost shows.
BENCHMARK(BM_KeyedHash)->Arg(256)->Arg(4 << 10)->Arg(kBlobSize);

void BM_Sha256(benchmark::State& state) {
  const Bytes data = RandomBlob(kBlobSize);
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(data));
  SetBytes(state, data.size());
}
BENCHMARK(BM_Sha256);

void BM_Seal(benchmark::State& state) {
  const Cipher cipher = static_cast<Cipher>(state.range(0));
  state.SetLabel(std::string(CipherName(cipher)));
  const Bytes data = RandomBlob(kBlobSize);
  const Key32 key = Key32::Random();
  Bytes out;
  for (auto _ : state) {
    out.clear();
    SealAppend(cipher, key, data, {}, out);
    benchmark::DoNotOptimize(out.data());
  }
  SetBytes(state, data.size());
}
BENCHMARK(BM_Seal)
    ->Arg(static_cast<int>(Cipher::kXChaCha20Poly1305))
    ->Arg(static_cast<int>(Cipher::kAes256Gcm));

void BM_Open(benchmark::State& state) {
  const Cipher cipher = static_cast<Cipher>(state.range(0));
  state.SetLabel(std::string(CipherName(cipher)));
  const Key32 key = Key32::Random();
  const Bytes envelope = Seal(cipher, key, RandomBlob(kBlobSize));
  for (auto _ : state) {
    auto opened = Open(key, envelope);
    if (!opened.ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(opened);
  }
  SetBytes(state, kBlobSize);
}
BENCHMARK(BM_Open)
    ->Arg(static_cast<int>(Cipher::kXChaCha20Poly1305))
    ->Arg(static_cast<int>(Cipher::kAes256Gcm));

void BM_Compress(benchmark::State& state) {
  const Compression c{static_cast<Codec>(state.range(0)), 0};
  const Bytes data = SemiCompressibleBlob(kBlobSize);
  size_t compressed = 0;
  for (auto _ : state) {
    Bytes payload = CompressBlob(data, c);
    compressed = payload.size();
    benchmark::DoNotOptimize(payload.data());
  }
  state.SetLabel(std::string(CodecName(c.codec)));
  state.counters["ratio"] = static_cast<double>(compressed) / static_cast<double>(kBlobSize);
  SetBytes(state, data.size());
}
BENCHMARK(BM_Compress)
    ->Arg(static_cast<int>(Codec::kLz4))
    ->Arg(static_cast<int>(Codec::kZstd));

void BM_Decompress(benchmark::State& state) {
  const Compression c{static_cast<Codec>(state.range(0)), 0};
  const Bytes payload = CompressBlob(SemiCompressibleBlob(kBlobSize), c);
  for (auto _ : state) {
    auto raw = DecompressBlob(payload, kBlobSize);
    if (!raw.ok()) state.SkipWithError("decompress failed");
    benchmark::DoNotOptimize(raw);
  }
  state.SetLabel(std::string(CodecName(c.codec)));
  SetBytes(state, kBlobSize);
}
BENCHMARK(BM_Decompress)
    ->Arg(static_cast<int>(Codec::kLz4))
    ->Arg(static_cast<int>(Codec::kZstd));

}  // namespace
}  // namespace coffer
