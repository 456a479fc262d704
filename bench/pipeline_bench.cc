// Pack writing and the whole backup pipeline on generated data.
//
// BM_PackWrite: compressed payloads sealed into a 16 MiB pack and finished,
// the work BlobWriter does per pack besides compression.
// BM_BackupPipelineFresh: a first backup (read, chunk, hash, compress,
// encrypt, pack, write) of a generated 256 MiB tree of files into a new local
// repository in a temporary directory, with the default repository settings
// and the files cache off; the argument is the number of worker threads.
// Making the repository is excluded from the timing.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "compress/codec.h"
#include "crypto/secret.h"
#include "engine/backup.h"
#include "repo/pack.h"
#include "repo/repository.h"
#include "store/local_store.h"

namespace coffer {
namespace {

namespace fs = std::filesystem;

// Text-like data with random bytes mixed in: compresses about 2:1 with zstd.
Bytes MixedData(size_t n, uint64_t seed) {
  static const char* kWords[] = {"backup ", "restore ", "snapshot ", "chunk ", "pack ", "index ",
                                 "retention ", "policy ", "agent ", "store ", "key\n", "= 42;\n"};
  std::mt19937_64 rng(seed);
  Bytes d;
  d.reserve(n + 16);
  while (d.size() < n) {
    const std::string w = kWords[rng() % 12];
    d.insert(d.end(), w.begin(), w.end());
    for (int i = 0, k = static_cast<int>(rng() % 4); i < k; ++i) d.push_back(static_cast<uint8_t>(rng()));
  }
  d.resize(n);
  return d;
}

void BM_PackWrite(benchmark::State& state) {
  const Bytes raw = MixedData(1 << 20, 1);
  const Bytes payload = CompressBlob(raw, Compression{});
  const Key32 public_key = Key32::Random();
  constexpr size_t kPackSize = 16u << 20;
  size_t written = 0;
  Bytes reuse;
  for (auto _ : state) {
    PackBuilder pack(Cipher::kAes256Gcm, public_key, std::move(reuse), kPackSize + (1u << 20));
    uint64_t n = 0;
    while (pack.size() < kPackSize) {
      Id id;
      id.bytes[0] = static_cast<uint8_t>(n);
      id.bytes[1] = static_cast<uint8_t>(n++ >> 8);
      pack.Add(BlobType::kData, id, payload, static_cast<uint32_t>(raw.size()));
    }
    reuse = pack.Finish();
    written += reuse.size();
    benchmark::DoNotOptimize(reuse.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(written));
}
BENCHMARK(BM_PackWrite)->Unit(benchmark::kMillisecond);

// A tree of `files` files of 64 KiB .. 4 MiB, about `total` bytes, made once.
struct Corpus {
  fs::path root;
  uint64_t bytes = 0;
  Corpus() {
    root = fs::temp_directory_path() / ("coffer-pipeline-bench-" + std::to_string(getpid()));
    std::mt19937_64 rng(7);
    constexpr uint64_t kTotal = 256u << 20;
    for (int i = 0; bytes < kTotal; ++i) {
      fs::path dir = root / ("d" + std::to_string(i % 16));
      fs::create_directories(dir);
      size_t size = (64u << 10) + rng() % (4u << 20);
      Bytes data = MixedData(size, rng());
      std::ofstream(dir / ("f" + std::to_string(i)), std::ios::binary)
          .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
      bytes += size;
    }
  }
  ~Corpus() { fs::remove_all(root); }
};

Corpus& SharedCorpus() {
  static Corpus corpus;
  return corpus;
}

std::unique_ptr<Repository> NewRepo(const fs::path& dir) {
  fs::remove_all(dir);
  InitOptions options;
  options.kdf.ops_limit = 1;  // the KDF is not what this measures
  options.kdf.mem_limit = 64 * 1024;
  options.kdf.salt = RandomBytes(16);
  auto repo = Repository::Init(NewLocalStore(dir), "bench", options);
  if (!repo.ok()) std::abort();
  return std::move(*repo);
}

void BM_BackupPipelineFresh(benchmark::State& state) {
  Corpus& corpus = SharedCorpus();
  const fs::path repo_dir = corpus.root.string() + "-repo";
  BackupOptions options;
  options.paths = {corpus.root.string()};
  options.use_files_cache = false;
  options.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto repo = NewRepo(repo_dir);
    state.ResumeTiming();
    auto result = RunBackup(*repo, options);
    if (!result.ok()) state.SkipWithError(std::string(result.status().message()).c_str());
  }
  fs::remove_all(repo_dir);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.bytes));
}
BENCHMARK(BM_BackupPipelineFresh)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
}  // namespace coffer
