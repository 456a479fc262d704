// Writes the seed corpora of the fuzz targets from real objects: it backs up
// a small tree into a memory repository, takes the plaintext of every kind of
// object from it, and writes each seed both as the plaintext (parse targets,
// and the plaintext mode of decrypt targets) and encrypted again with the
// fixed keys of fuzz_support.h (the stored mode).
//
//   make_fuzz_corpus <tests/fuzz/corpus>
//
// Run it again when the format changes; the seeds are committed.
#include <sys/stat.h>
#include <sys/xattr.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/byte_io.h"
#include "compress/codec.h"
#include "crypto/aead.h"
#include "engine/backup.h"
#include "fuzz_support.h"
#include "repo/index.h"
#include "repo/key_slot.h"
#include "repo/object_kind.h"
#include "repo/pack.h"
#include "repo/repository.h"
#include "store/memory_store.h"

using namespace coffer;
namespace fs = std::filesystem;

namespace {

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::cerr << what << ": " << s << "\n";
    std::exit(1);
  }
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  Check(v.status(), what);
  return std::move(*v);
}

class Corpus {
 public:
  explicit Corpus(fs::path root) : root_(std::move(root)) {}
  // Writes `data` as seed `name` of target `target`, once per distinct content.
  void Add(const std::string& target, const std::string& name, ByteView data) {
    if (!seen_[target].insert(Bytes(data.begin(), data.end())).second) return;
    fs::create_directories(root_ / target);
    std::ofstream out(root_ / target / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    counts_[target]++;
  }
  // A decrypt target's seed: mode byte, then the data.
  void AddMode(const std::string& target, const std::string& name, bool plaintext, ByteView data) {
    Bytes seed{static_cast<uint8_t>(plaintext ? 1 : 0)};
    seed.insert(seed.end(), data.begin(), data.end());
    Add(target, name, seed);
  }
  void Report() const {
    for (const auto& [target, n] : counts_) std::cout << target << ": " << n << " seeds\n";
  }

 private:
  fs::path root_;
  std::map<std::string, std::set<Bytes>> seen_;
  std::map<std::string, int> counts_;
};

void WriteFile(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// A small tree with every kind of node and name a tree document can hold.
void BuildTree(const fs::path& root) {
  WriteFile(root / "hello.txt", "hello, coffer\n");
  WriteFile(root / "empty", "");
  std::string data(40000, '\0');
  uint32_t x = 1;
  for (char& c : data) c = static_cast<char>((x = x * 1103515245 + 12345) >> 24);
  WriteFile(root / "data.bin", data);
  WriteFile(root / "dir" / "nested" / "file", "nested");
  WriteFile(root / "caf\xc3\xa9", "utf-8 name");
  WriteFile(root / std::string("latin1-\xe9"), "not utf-8");
  fs::create_symlink("hello.txt", root / "link");
  mkfifo((root / "fifo").c_str(), 0640);
  fs::create_hard_link(root / "hello.txt", root / "hardlink");
  setxattr((root / "hello.txt").c_str(), "user.note", "kept", 4, 0);
  // A sparse file: a hole between two data parts.
  std::ofstream sparse(root / "sparse", std::ios::binary);
  sparse << "head";
  sparse.seekp(1 << 20);
  sparse << "tail";
}

std::vector<std::string> Names(Store& store, std::string_view prefix) {
  std::vector<std::string> names;
  Check(store.List(prefix, [&](const ObjectInfo& info) {
    names.push_back(info.name);
    return absl::OkStatus();
  }), "list");
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_corpus <corpus directory>\n";
    return 2;
  }
  Corpus corpus(argv[1]);
  fs::path tmp = fs::temp_directory_path() / ("coffer-corpus-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  BuildTree(tmp / "src");

  auto store_owner = NewMemoryStore();
  InitOptions options;
  options.chunker = ChunkerParams{4 * 1024, 16 * 1024, 64 * 1024};
  options.pack_size = 1 << 20;
  options.kdf = fuzz::CheapKdf();
  options.compression = Compression{Codec::kZstd, 3};
  const std::string password = "corpus";
  auto repo = Must(Repository::Init(std::move(store_owner), password, options), "init");
  BackupOptions backup;
  backup.paths = {(tmp / "src").string()};
  backup.use_files_cache = false;
  backup.tags = {"seed", "caf\xc3\xa9"};
  backup.host = "seed-host";
  Must(RunBackup(*repo, backup), "first backup");
  WriteFile(tmp / "src" / "hello.txt", "changed\n");
  Must(RunBackup(*repo, backup), "second backup");
  Check(repo->LoadIndex(), "load index");
  const MasterKeys& keys = repo->keys();
  const MasterKeys& fixed = fuzz::FixedKeys();
  Store& s = repo->store();

  // config
  Bytes config_json = Must(Open(keys.index_key, Must(s.Get(kConfigName), "get config"), AsBytes(kConfigAad)), "config");
  corpus.Add("config", "real", config_json);
  corpus.AddMode("config_decrypt", "plain", true, config_json);
  corpus.AddMode("config_decrypt", "stored", false, EncryptConfig(repo->config(), fixed.index_key));

  // key slots: the real slot, its keys document, and slots for the fixed
  // keys (full and write-only) under the fixed password.
  for (const std::string& name : Names(s, kKeysPrefix)) {
    Bytes slot = Must(s.Get(name), "get key slot");
    corpus.Add("key_slot", "slot", slot);
    ParsedKeySlot parsed = Must(ParseKeySlot(slot), "parse key slot");
    Key32 wrap = Must(DeriveKeyFromPassword(password, parsed.kdf), "kdf");
    Bytes keys_json = Must(Open(wrap, parsed.envelope, AsBytes(kKeySlotAad)), "open key slot");
    corpus.Add("key_slot", "keys", keys_json);
    corpus.AddMode("key_slot_open", "plain", true, keys_json);
  }
  for (bool write_only : {false, true}) {
    KeySlotInfo info{"seed-host", "seed-user", "seed", 1767225600, write_only};
    Bytes slot = Must(CreateKeySlot(fixed, fuzz::kFixedPassword, fuzz::CheapKdf(), info), "create slot");
    corpus.Add("key_slot", write_only ? "fixed-write-only" : "fixed-full", slot);
    corpus.AddMode("key_slot_open", write_only ? "stored-write-only" : "stored-full", false, slot);
  }

  // index objects
  int n = 0;
  for (const std::string& name : Names(s, kIndexPrefix)) {
    Bytes payload = Must(Open(keys.index_key, Must(s.Get(name), "get index"), AsBytes(kIndexAad)), "index");
    Bytes raw = Must(DecompressBlob(payload, 1 << 30), "index payload");
    std::string tag = std::to_string(n++);
    corpus.Add("index", "real-" + tag, raw);
    corpus.AddMode("index_decrypt", "plain-" + tag, true, payload);
    corpus.AddMode("index_decrypt", "stored-" + tag, false,
                   EncryptIndexObject(Must(ParseIndexObject(raw), "parse index"), fixed.index_key));
    corpus.Add("payload", "index-" + tag, payload);
  }
  IndexObject with_supersedes;
  with_supersedes.supersedes = {Id::FromBytes(fuzz::FixedKey(9).view())};
  with_supersedes.packs.push_back({Id::FromBytes(fuzz::FixedKey(8).view()),
                                   {{BlobType::kTree, Id::FromBytes(fuzz::FixedKey(10).view()), 85, 100, 58}}});
  {
    Bytes payload = Must(Open(fixed.index_key, EncryptIndexObject(with_supersedes, fixed.index_key),
                              AsBytes(kIndexAad)), "index");
    corpus.Add("index", "supersedes", Must(DecompressBlob(payload, 1 << 30), "payload"));
  }

  // snapshots
  n = 0;
  for (const std::string& name : Names(s, kSnapshotsPrefix)) {
    Bytes stored = Must(s.Get(name), "get snapshot");
    Key32 data_key = Must(OpenSealedKey(keys.data_key_pair(), ByteView(stored).subspan(5, kSealedKeySize)), "seal");
    Bytes json = Must(Open(data_key, ByteView(stored).subspan(5 + kSealedKeySize), AsBytes(kSnapshotAad)), "snap");
    std::string tag = std::to_string(n++);
    corpus.Add("snapshot", "real-" + tag, json);
    corpus.AddMode("snapshot_decrypt", "plain-" + tag, true, json);
    Snapshot snap = Must(ParseSnapshot(json), "parse snapshot");
    snap.partial = true;
    snap.errors.push_back({"/unreadable", "permission denied"});
    corpus.AddMode("snapshot_decrypt", "stored-" + tag, false,
                   EncryptSnapshot(snap, repo->config().data_cipher, fixed.public_key));
  }

  // packs: headers as plaintext; one pack rebuilt under the fixed key from
  // the real blobs' payloads.
  n = 0;
  PackBuilder rebuilt(Cipher::kAes256Gcm, fixed.public_key);
  std::set<int> tree_seeds;
  for (const std::string& name : Names(s, kDataPrefix)) {
    Bytes pack = Must(s.Get(name), "get pack");
    Key32 data_key = Must(OpenPackDataKey(pack, keys.data_key_pair()), "pack key");
    ByteReader tail(ByteView(pack).subspan(pack.size() - 4));
    uint32_t header_len = *tail.U32();
    size_t header_start = pack.size() - 4 - header_len;
    Bytes header = Must(Open(data_key, ByteView(pack).subspan(header_start, header_len),
                             AsBytes(kPackHeaderAad)), "pack header");
    ByteWriter seed;
    seed.U32(static_cast<uint32_t>(header_start));
    seed.Raw(header);
    std::string tag = std::to_string(n++);
    corpus.Add("pack_header", "real-" + tag, seed.bytes());
    corpus.AddMode("pack_read", "plain-" + tag, true, header);
    for (const PackedBlob& b : Must(ReadPackHeader(pack, keys.data_key_pair()), "read header")) {
      Bytes payload = Must(OpenPackedBlob(data_key, b.id, ByteView(pack).subspan(b.offset, b.length)), "blob");
      if (rebuilt.blob_count() < 6 && (b.type == BlobType::kTree || b.raw_length < 8192))
        rebuilt.Add(b.type, b.id, payload, b.raw_length);
      if (b.type != BlobType::kTree) continue;
      Bytes json = Must(DecompressBlob(payload, b.raw_length), "tree");
      std::string t = std::to_string(tree_seeds.size());
      tree_seeds.insert(static_cast<int>(tree_seeds.size()));
      corpus.Add("tree", "real-" + t, json);
      corpus.AddMode("tree_decrypt", "plain-" + t, true, payload);
      corpus.AddMode("tree_decrypt", "stored-" + t, false,
                     Seal(Cipher::kAes256Gcm, fuzz::FixedKey(4), payload, Id::FromBytes(fuzz::FixedKey(5).view()).bytes));
      corpus.Add("payload", "tree-" + t, payload);
    }
  }
  corpus.AddMode("pack_read", "stored", false, rebuilt.Finish());

  // payloads of each codec
  Bytes text = ToBytes(std::string(3000, 'a') + "coffer payload seed");
  for (Codec codec : {Codec::kNone, Codec::kLz4, Codec::kZstd})
    corpus.Add("payload", std::string(CodecName(codec)), CompressBlob(codec == Codec::kNone ? AsBytes("xyz") : text,
                                                                      Compression{codec, 0}));

  // locks, as EncryptLock writes them (src/repo/lock.cc)
  for (bool exclusive : {false, true}) {
    nlohmann::json lock = {{"host", "seed-host"},         {"user", "seed-user"},    {"pid", 4242},
                           {"exclusive", exclusive},      {"created_unix", 1767225600},
                           {"refreshed_unix", 1767225900}};
    std::string json = lock.dump();
    std::string tag = exclusive ? "exclusive" : "shared";
    corpus.AddMode("lock_decrypt", "plain-" + tag, true, AsBytes(json));
    corpus.AddMode("lock_decrypt", "stored-" + tag, false,
                   Seal(Cipher::kXChaCha20Poly1305, fixed.index_key, AsBytes(json), AsBytes(kLockAad)));
  }

  fs::remove_all(tmp);
  corpus.Report();
  return 0;
}
