#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <thread>

#include "engine/backup.h"
#include "engine/restore.h"
#include "repo/object_kind.h"
#include "support/forwarding_store.h"
#include "support/repo_fixture.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
namespace fs = std::filesystem;
using coffer::testing::CompareTrees;
using coffer::testing::RandomBytes;
using coffer::testing::WriteFile;

namespace {

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

// A tree with every kind of entry the engine must preserve.
void BuildRichTree(const fs::path& root) {
  WriteFile(root / "empty", "");
  WriteFile(root / "small.txt", "hello, coffer\n");
  WriteFile(root / "big.bin", Str(RandomBytes(3 * 1024 * 1024 + 17, 1)));
  std::string repetitive;
  for (int i = 0; i < 20000; ++i) repetitive += "line " + std::to_string(i % 100) + "\n";
  WriteFile(root / "text" / "repetitive.txt", repetitive);
  WriteFile(root / "ünïcödé ☃" / "naïve café.txt", "unicode");
  WriteFile(root / "odd names" / " leading space", "x");
  WriteFile(root / "odd names" / "new\nline", "y");
  WriteFile(root / "odd names" / std::string("latin1-\xe9"), "not utf-8");
  fs::path deep = root / "deep";
  for (int i = 0; i < 60; ++i) deep /= "d" + std::to_string(i);
  WriteFile(deep / "leaf", "deep");
  fs::create_directories(root / "empty dir");
  fs::create_symlink("small.txt", root / "link-to-small");
  fs::create_symlink("/nonexistent/target", root / "dangling");
  fs::create_hard_link(root / "small.txt", root / "hardlink-to-small");
  WriteFile(root / "modes" / "setgid-exec", "#!/bin/sh\n");
  chmod((root / "modes" / "setgid-exec").c_str(), 02755);
  WriteFile(root / "modes" / "readonly", "ro");
  chmod((root / "modes" / "readonly").c_str(), 0400);
  chmod((root / "modes").c_str(), 0750);
  mkfifo((root / "fifo").c_str(), 0640);
  std::string xa = (root / "small.txt").string();
  setxattr(xa.c_str(), "user.comment", "kept", 4, 0);
  setxattr(xa.c_str(), "user.binary", "\x00\x01\x02", 3, 0);
  // Owner other than root, when we are root.
  if (geteuid() == 0) lchown((root / "text" / "repetitive.txt").c_str(), 1234, 5678);
  // Nanosecond mtimes.
  struct timespec times[2] = {{1600000000, 123456789}, {1600000001, 987654321}};
  utimensat(AT_FDCWD, (root / "small.txt").c_str(), times, AT_SYMLINK_NOFOLLOW);
  utimensat(AT_FDCWD, (root / "link-to-small").c_str(), times, AT_SYMLINK_NOFOLLOW);
}

// The tree id of `path` inside the snapshot tree `root`.
Id SubtreeOf(Repository& repo, Id root, const fs::path& path) {
  for (const auto& part : path.relative_path()) {
    auto tree = repo.ReadTree(root);
    REQUIRE(tree.ok());
    auto it = std::find_if(tree->nodes.begin(), tree->nodes.end(),
                           [&](const Node& n) { return n.name == part.string(); });
    REQUIRE(it != tree->nodes.end());
    REQUIRE(it->subtree);
    root = *it->subtree;
  }
  return root;
}

BackupOptions Options(const fs::path& source, const fs::path& cache) {
  // Created up front: creating it during the first backup would change the
  // mtime of a directory on the way to the source, and so the trees.
  fs::create_directories(cache);
  BackupOptions o;
  o.paths = {source.string()};
  o.cache_dir = cache;
  return o;
}

}  // namespace

TEST_CASE("backup and restore reproduce a tree byte for byte and field by field") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src", cache = tmp / "cache", target = tmp / "restored";
  BuildRichTree(src);
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  std::vector<std::string> warnings;
  BackupOptions o = Options(src, cache);
  o.warning = [&](const std::string& p, const std::string& m) { warnings.push_back(p + ": " + m); };
  auto result = RunBackup(*repo, o);
  REQUIRE(result.ok());
  CHECK_FALSE(result->snapshot.partial);
  CHECK(result->snapshot.summary.files_new >= 10);
  CHECK(result->snapshot.summary.bytes_added > 3 * 1024 * 1024);

  RestoreOptions r;
  r.target = target;
  auto restored = RunRestore(*repo, r);
  REQUIRE(restored.ok());
  auto diffs = CompareTrees(src, target / src.relative_path());
  INFO(::Catch::Detail::stringify(diffs));
  CHECK(diffs.empty());
}

TEST_CASE("an unchanged tree is not read again and adds nothing") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "a", Str(RandomBytes(200000, 2)));
  WriteFile(src / "b", Str(RandomBytes(300000, 3)));
  fs::create_symlink("a", src / "link");  // readlink updates its atime
  fs::create_directories(src / "dir");    // listing updates its atime
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  auto first = RunBackup(*repo, Options(src, tmp / "cache"));
  REQUIRE(first.ok());
  auto second = RunBackup(*repo, Options(src, tmp / "cache"));
  REQUIRE(second.ok());
  CHECK(second->snapshot.summary.files_unchanged == 2);
  CHECK(second->snapshot.summary.bytes_read == 0);
  // Only directories on the way to the source may have changed (other tests
  // running at the same time touch /tmp): no data, and the source's tree is
  // the same.
  size_t depth = std::distance(src.begin(), src.end());
  CHECK(second->snapshot.summary.blobs_added <= depth);
  CHECK(SubtreeOf(*repo, second->snapshot.tree, src) == SubtreeOf(*repo, first->snapshot.tree, src));
  CHECK(second->snapshot.parent == first->snapshot_id);

  SECTION("a changed file is read again; only its new chunks are added") {
    std::string a = Str(RandomBytes(200000, 2));
    a[100] ^= 1;
    WriteFile(src / "a", a);
    auto third = RunBackup(*repo, Options(src, tmp / "cache"));
    REQUIRE(third.ok());
    CHECK(third->snapshot.summary.files_changed == 1);
    CHECK(third->snapshot.summary.files_unchanged == 1);
    CHECK(third->snapshot.summary.bytes_read == 200000);
    CHECK(third->snapshot.summary.bytes_added < 200000);
  }
  SECTION("without the files cache, files are read but nothing new is stored") {
    BackupOptions o = Options(src, tmp / "cache");
    o.use_files_cache = false;
    auto third = RunBackup(*repo, o);
    REQUIRE(third.ok());
    CHECK(third->snapshot.summary.bytes_read == 500000);
    CHECK(third->snapshot.summary.blobs_added <= depth);  // only directories on the way to the source
  }
}

TEST_CASE("a re-backup read ahead by the prefetcher records the same trees as a walk of its own") {
  coffer::testing::TempDir tmp;
  // Sources whose visiting order is not the sorted order of their paths
  // ("a-x" < "a/b" as strings, "a" < "a-x" as names), and excludes.
  fs::path base = tmp / "src";
  BuildRichTree(base / "a" / "b");
  WriteFile(base / "a-x" / "f", "dash");
  WriteFile(base / "a-x" / "sub" / "skip.tmp", "excluded");
  WriteFile(base / "a-x" / "sub" / "kept", "kept");
  WriteFile(base / "c" / "node_modules" / "x", "excluded dir");
  WriteFile(base / "c" / "d" / "e", "e");
  fs::create_directories(tmp / "cache");
  BackupOptions o;
  o.paths = {(base / "c").string(), (base / "a-x").string(), (base / "a" / "b").string()};
  o.cache_dir = tmp / "cache";
  o.excludes = {"*.tmp", "node_modules"};
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  auto first = RunBackup(*repo, o);
  REQUIRE(first.ok());
  CHECK(first->dirs_read_ahead == 0);  // no parent: the walk reads for itself
  // The files cache, replaced by rename whenever it is written.
  const fs::path cache_file = tmp / "cache" / repo->config().repo_id.Hex() / "files";
  auto inode_of = [&] {
    struct stat st {};
    REQUIRE(stat(cache_file.c_str(), &st) == 0);
    return st.st_ino;
  };
  const auto cache_inode = inode_of();
  auto second = RunBackup(*repo, o);
  REQUIRE(second.ok());
  CHECK(second->snapshot.parent == first->snapshot_id);
  CHECK(inode_of() == cache_inode);  // every file found as it was: nothing to write
  // Every directory of the sources came from the prefetcher: it never fell
  // out of step with the walk. The rich tree has 67 (61 in its deep chain),
  // "a-x" 2 and "c" 2.
  CHECK(second->dirs_read_ahead == 71);
  CHECK(second->snapshot.summary.files_unchanged == first->snapshot.summary.files_new);
  CHECK(second->snapshot.summary.bytes_read == 0);
  for (const fs::path& source : {base / "a" / "b", base / "a-x", base / "c"}) {
    CAPTURE(source);
    CHECK(SubtreeOf(*repo, second->snapshot.tree, source) == SubtreeOf(*repo, first->snapshot.tree, source));
  }

  SECTION("changes made between the backups are seen") {
    WriteFile(base / "a-x" / "sub" / "new", "new file");
    fs::remove(base / "c" / "d" / "e");
    WriteFile(base / "a" / "b" / "small.txt", "changed content");
    auto third = RunBackup(*repo, o);
    REQUIRE(third.ok());
    CHECK(third->snapshot.summary.files_new == 1);
    CHECK(third->snapshot.summary.files_changed == 2);  // small.txt and its hard link
    RestoreOptions r;
    r.target = tmp / "out";
    REQUIRE(RunRestore(*repo, r).ok());
    fs::path out = r.target / base.relative_path();
    auto diffs = CompareTrees(base / "a" / "b", out / "a" / "b");
    INFO(::Catch::Detail::stringify(diffs));
    CHECK(diffs.empty());
    CHECK(coffer::testing::ReadFile(out / "a-x" / "sub" / "new") == "new file");
    CHECK(fs::exists(out / "a-x" / "sub" / "kept"));
    CHECK(fs::exists(out / "a-x" / "f"));
    CHECK_FALSE(fs::exists(out / "a-x" / "sub" / "skip.tmp"));
    CHECK(fs::is_directory(out / "c" / "d"));
    CHECK_FALSE(fs::exists(out / "c" / "d" / "e"));
    CHECK_FALSE(fs::exists(out / "c" / "node_modules"));
  }
}

TEST_CASE("after a first backup, the next process reads the whole index from the local cache") {
  // The backup wrote the index objects it made into the cache it found
  // empty: the re-backup after it fetches and merges none of them again.
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  for (int i = 0; i < 40; ++i) WriteFile(src / ("f" + std::to_string(i)), Str(RandomBytes(50000, static_cast<uint64_t>(i))));
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  auto first = RunBackup(*repo, Options(src, tmp / "cache"));
  REQUIRE(first.ok());
  auto reopened = Repository::Open(NewLocalStore(tmp / "repo"), "secret");
  REQUIRE(reopened.ok());
  (*reopened)->set_cache_dir(tmp / "cache");
  REQUIRE((*reopened)->LoadIndex().ok());
  CHECK((*reopened)->last_index_load().from_cache);
  CHECK((*reopened)->last_index_load().objects_fetched == 0);
  CHECK((*reopened)->index().blob_count() == repo->index().blob_count());
  CHECK((*reopened)->index().blob_count() > 40);
}

TEST_CASE("a tree deeper than the directories the walk holds open backs up and restores") {
  // The walk keeps up to 128 directories open and uses full paths below.
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src", deep = src;
  for (int i = 0; i < 200; ++i) {
    deep /= "d" + std::to_string(i);
    if (i % 50 == 0) WriteFile(deep / "file", "level " + std::to_string(i));
  }
  WriteFile(deep / "leaf", "bottom");
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  auto result = RunBackup(*repo, Options(src, tmp / "cache"));
  REQUIRE(result.ok());
  CHECK_FALSE(result->snapshot.partial);
  CHECK(result->snapshot.summary.files_new == 5);

  SECTION("and so does a re-backup from read-ahead listings that reads changed files at every depth") {
    // Each changed file is opened in its directory, which the walk then
    // opens for the first time (the listings came from the prefetcher).
    fs::path level = src;
    for (int i = 0; i < 200; ++i) {
      level /= "d" + std::to_string(i);
      if (i % 50 == 0) WriteFile(level / "file", "changed at level " + std::to_string(i));
    }
    WriteFile(deep / "leaf", "a new bottom");
    auto again = RunBackup(*repo, Options(src, tmp / "cache"));
    REQUIRE(again.ok());
    CHECK_FALSE(again->snapshot.partial);
    CHECK(again->dirs_read_ahead == 201);  // the source and its 200 levels
    CHECK(again->snapshot.summary.files_changed == 5);
    CHECK(again->snapshot.summary.files_unchanged == 0);
  }
  RestoreOptions r;
  r.target = tmp / "restored";
  REQUIRE(RunRestore(*repo, r).ok());
  auto diffs = CompareTrees(src, r.target / src.relative_path());
  INFO(::Catch::Detail::stringify(diffs));
  CHECK(diffs.empty());
}

TEST_CASE("extended attributes added or removed since the last backup are in the next one") {
  // The files cache lets a re-backup skip reading the attributes of an
  // unchanged file that had none: setting or removing one changes the
  // ctime, so the file is then not unchanged. A directory's are read through
  // its descriptor: by the walk on a first backup, by the read-ahead after.
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src", cache = tmp / "cache";
  WriteFile(src / "plain", "no attributes yet");
  WriteFile(src / "tagged", "has one");
  WriteFile(src / "kept", "keeps one");
  WriteFile(src / "dir" / "inside", "in a tagged directory");
  REQUIRE(setxattr((src / "tagged").c_str(), "user.tag", "x", 1, 0) == 0);
  REQUIRE(setxattr((src / "kept").c_str(), "user.kept", "yes", 3, 0) == 0);
  REQUIRE(setxattr((src / "dir").c_str(), "user.dir", "one", 3, 0) == 0);
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  auto xattrs_of = [&](const Id& snapshot_tree) {
    auto tree = repo->ReadTree(SubtreeOf(*repo, snapshot_tree, src));
    REQUIRE(tree.ok());
    std::map<std::string, std::vector<std::string>> names;
    for (const Node& n : tree->nodes)
      for (const Xattr& x : n.xattrs) names[n.name].push_back(x.name + "=" + Str(x.value));
    return names;
  };
  auto first = RunBackup(*repo, Options(src, cache));
  REQUIRE(first.ok());
  CHECK(xattrs_of(first->snapshot.tree)["dir"] == std::vector<std::string>{"user.dir=one"});
  auto unchanged = RunBackup(*repo, Options(src, cache));
  REQUIRE(unchanged.ok());
  CHECK(unchanged->snapshot.summary.files_unchanged == 4);
  CHECK(unchanged->dirs_read_ahead == 2);
  CHECK(unchanged->snapshot.tree == first->snapshot.tree);

  REQUIRE(setxattr((src / "plain").c_str(), "user.added", "later", 5, 0) == 0);
  REQUIRE(removexattr((src / "tagged").c_str(), "user.tag") == 0);
  REQUIRE(setxattr((src / "dir").c_str(), "user.dir", "two", 3, 0) == 0);
  auto after = RunBackup(*repo, Options(src, cache));
  REQUIRE(after.ok());
  CHECK(after->snapshot.summary.files_unchanged == 2);  // "kept" and "dir/inside"
  CHECK(after->dirs_read_ahead == 2);

  auto names = xattrs_of(after->snapshot.tree);
  CHECK(names["plain"] == std::vector<std::string>{"user.added=later"});
  CHECK(names["tagged"].empty());
  CHECK(names["kept"] == std::vector<std::string>{"user.kept=yes"});
  CHECK(names["dir"] == std::vector<std::string>{"user.dir=two"});
}

TEST_CASE("a repository made with fastcdc-gear-v1 still backs up, dedups and restores") {
  // Repositories created before gear-simd-v1 keep their algorithm; the engine
  // must chunk with whatever the config names.
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src", target = tmp / "restored";
  std::string data = Str(RandomBytes(600000, 4));
  WriteFile(src / "a", data);
  InitOptions options = coffer::testing::SmallRepoOptions();
  options.chunker_algorithm = ChunkerAlgorithm::kFastCdcGearV1;
  { coffer::testing::MustInit(NewLocalStore(tmp / "repo"), "secret", options); }
  auto repo = Repository::Open(NewLocalStore(tmp / "repo"), "secret");
  REQUIRE(repo.ok());
  REQUIRE((*repo)->chunker().algorithm() == ChunkerAlgorithm::kFastCdcGearV1);
  auto first = RunBackup(**repo, Options(src, tmp / "cache"));
  REQUIRE(first.ok());
  data.insert(300000, "an insertion shifts everything after it");
  WriteFile(src / "a", data);
  auto second = RunBackup(**repo, Options(src, tmp / "cache"));
  REQUIRE(second.ok());
  CHECK(second->snapshot.summary.files_changed == 1);
  // Chunks away from the insertion are found again (16 KiB average chunks).
  CHECK(second->snapshot.summary.bytes_added < 100000);

  RestoreOptions r;
  r.target = target;
  REQUIRE(RunRestore(**repo, r).ok());
  auto diffs = CompareTrees(src, target / src.relative_path());
  INFO(::Catch::Detail::stringify(diffs));
  CHECK(diffs.empty());
}

TEST_CASE("a multi-GiB sparse file is backed up without reading its holes and restored sparse") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  fs::create_directories(src);
  std::string path = (src / "disk.img").string();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  Bytes data = RandomBytes(100000, 4);
  REQUIRE(pwrite(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
  REQUIRE(pwrite(fd, data.data(), data.size(), 3LL << 30) == static_cast<ssize_t>(data.size()));
  REQUIRE(ftruncate(fd, 5LL << 30) == 0);
  close(fd);
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  auto result = RunBackup(*repo, Options(src, tmp / "cache"));
  REQUIRE(result.ok());
  CHECK(result->snapshot.summary.bytes_read < 10 * 1024 * 1024);
  RestoreOptions r;
  r.target = tmp / "restored";
  REQUIRE(RunRestore(*repo, r).ok());
  fs::path restored = tmp / "restored" / src.relative_path() / "disk.img";
  struct stat st;
  REQUIRE(stat(restored.c_str(), &st) == 0);
  CHECK(st.st_size == (5LL << 30));
  CHECK(st.st_blocks * 512 < 64LL * 1024 * 1024);
  // Contents where data was written.
  fd = open(restored.c_str(), O_RDONLY);
  Bytes back(data.size());
  REQUIRE(pread(fd, back.data(), back.size(), 3LL << 30) == static_cast<ssize_t>(back.size()));
  close(fd);
  CHECK(back == data);
}

TEST_CASE("a stream is backed up as a named file") {
  coffer::testing::TempDir tmp;
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  Bytes dump = RandomBytes(700000, 5);
  size_t offset = 0;
  BackupOptions o;
  o.cache_dir = tmp / "cache";
  o.streams.push_back({"/db/dump.sql", [&](MutableByteView buf) -> absl::StatusOr<size_t> {
                         size_t n = std::min<size_t>({buf.size(), dump.size() - offset, 4096});
                         std::copy_n(dump.begin() + offset, n, buf.begin());
                         offset += n;
                         return n;
                       }});
  auto result = RunBackup(*repo, o);
  REQUIRE(result.ok());
  CHECK(result->snapshot.paths == std::vector<std::string>{"/db/dump.sql"});
  RestoreOptions r;
  r.target = tmp / "out";
  REQUIRE(RunRestore(*repo, r).ok());
  CHECK(coffer::testing::ReadFile(tmp / "out" / "db" / "dump.sql") == Str(dump));
}

TEST_CASE("a source that fails mid-backup makes a partial snapshot, not a failure") {
  coffer::testing::TempDir tmp;
  WriteFile(tmp / "src" / "ok.txt", "fine");
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  BackupOptions o = Options(tmp / "src", tmp / "cache");
  o.streams.push_back({"/broken", [](MutableByteView) -> absl::StatusOr<size_t> {
                         return absl::DataLossError("disk on fire");
                       }});
  std::vector<std::string> warnings;
  o.warning = [&](const std::string& p, const std::string& m) { warnings.push_back(p + ": " + m); };
  auto result = RunBackup(*repo, o);
  REQUIRE(result.ok());
  CHECK(result->snapshot.partial);
  REQUIRE(result->snapshot.errors.size() == 1);
  CHECK(result->snapshot.errors[0].path == "/broken");
  CHECK_THAT(result->snapshot.errors[0].message, Catch::Contains("disk on fire"));
  CHECK(warnings.size() == 1);
}

TEST_CASE("excludes leave matching entries out") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "keep.txt", "k");
  WriteFile(src / "skip.tmp", "s");
  WriteFile(src / "node_modules" / "pkg" / "index.js", "n");
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  BackupOptions o = Options(src, tmp / "cache");
  o.excludes = {"*.tmp", "node_modules"};
  REQUIRE(RunBackup(*repo, o).ok());
  RestoreOptions r;
  r.target = tmp / "out";
  REQUIRE(RunRestore(*repo, r).ok());
  fs::path out = tmp / "out" / src.relative_path();
  CHECK(fs::exists(out / "keep.txt"));
  CHECK_FALSE(fs::exists(out / "skip.tmp"));
  CHECK_FALSE(fs::exists(out / "node_modules"));
}

TEST_CASE("includes back up only matching files and the directories leading to them") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "docs" / "a.pdf", "a");
  WriteFile(src / "docs" / "a.txt", "t");
  WriteFile(src / "deep" / "er" / "b.pdf", "b");
  WriteFile(src / "other" / "c.txt", "c");
  WriteFile(src / "skipped" / "d.pdf", "d");
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  BackupOptions o = Options(src, tmp / "cache");
  o.includes = {"*.pdf"};
  o.excludes = {"skipped"};
  REQUIRE(RunBackup(*repo, o).ok());
  RestoreOptions r;
  r.target = tmp / "out";
  REQUIRE(RunRestore(*repo, r).ok());
  fs::path out = tmp / "out" / src.relative_path();
  CHECK(fs::exists(out / "docs" / "a.pdf"));
  CHECK(fs::exists(out / "deep" / "er" / "b.pdf"));
  CHECK_FALSE(fs::exists(out / "docs" / "a.txt"));
  CHECK_FALSE(fs::exists(out / "other"));
  CHECK_FALSE(fs::exists(out / "skipped"));
}

TEST_CASE("restore of chosen paths, and refusal to overwrite") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "docs" / "a.txt", "A");
  WriteFile(src / "docs" / "sub" / "b.txt", "B");
  WriteFile(src / "other" / "c.txt", "C");
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  REQUIRE(RunBackup(*repo, Options(src, tmp / "cache")).ok());
  RestoreOptions r;
  r.target = tmp / "out";
  r.includes = {(src / "docs").string()};
  REQUIRE(RunRestore(*repo, r).ok());
  fs::path out = tmp / "out" / src.relative_path();
  CHECK(coffer::testing::ReadFile(out / "docs" / "sub" / "b.txt") == "B");
  CHECK_FALSE(fs::exists(out / "other"));

  SECTION("existing files are not overwritten, and nothing is written") {
    WriteFile(out / "docs" / "a.txt", "local edit");
    fs::remove(out / "docs" / "sub" / "b.txt");
    auto again = RunRestore(*repo, r);
    REQUIRE(absl::IsAlreadyExists(again.status()));
    CHECK_THAT(std::string(again.status().message()), Catch::Contains("a.txt"));
    CHECK(coffer::testing::ReadFile(out / "docs" / "a.txt") == "local edit");
    CHECK_FALSE(fs::exists(out / "docs" / "sub" / "b.txt"));
  }
  SECTION("with overwrite they are replaced") {
    WriteFile(out / "docs" / "a.txt", "local edit");
    r.overwrite = true;
    REQUIRE(RunRestore(*repo, r).ok());
    CHECK(coffer::testing::ReadFile(out / "docs" / "a.txt") == "A");
  }
  SECTION("a path the snapshot does not have is an error") {
    r.includes = {"/no/such/path"};
    CHECK(absl::IsNotFound(RunRestore(*repo, r).status()));
  }
}

TEST_CASE("a whole-snapshot restore into a target that has entries checks for conflicts first") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "a.txt", "A");
  WriteFile(src / "z" / "b.txt", "B");
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  REQUIRE(RunBackup(*repo, Options(src, tmp / "cache")).ok());
  fs::path out = tmp / "out" / src.relative_path();
  WriteFile(out / "z" / "b.txt", "local edit");  // the target is not empty: no streaming
  RestoreOptions r;
  r.target = tmp / "out";
  auto s = RunRestore(*repo, r);
  REQUIRE(absl::IsAlreadyExists(s.status()));
  CHECK_THAT(std::string(s.status().message()), Catch::Contains("b.txt"));
  CHECK(coffer::testing::ReadFile(out / "z" / "b.txt") == "local edit");
  CHECK_FALSE(fs::exists(out / "a.txt"));  // nothing was written

  SECTION("an empty existing target is restored into") {
    fs::create_directories(tmp / "empty");
    r.target = tmp / "empty";
    REQUIRE(RunRestore(*repo, r).ok());
    CHECK(coffer::testing::ReadFile(tmp / "empty" / src.relative_path() / "a.txt") == "A");
  }
}

TEST_CASE("restore of many files of every size, in batches, is byte-exact") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  // Sizes around the direct-write threshold and the 4 KiB alignment, more
  // files than one batch, in several directories.
  const size_t sizes[] = {0, 1, 100, 4095, 4096, 4097, 65536, (256 << 10) - 1, 256 << 10,
                          (256 << 10) + 1, 1 << 20, (1 << 20) + 4097, 5 * (1 << 20) + 3};
  int n = 0;
  for (int dir = 0; dir < 4; ++dir) {
    for (size_t size : sizes) {
      std::string name = "d" + std::to_string(dir) + "/f" + std::to_string(n);
      WriteFile(src / name, Str(RandomBytes(size, ++n)));
    }
  }
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  REQUIRE(RunBackup(*repo, Options(src, tmp / "cache")).ok());
  RestoreOptions r;
  r.target = tmp / "out";
  std::vector<Progress> seen;
  r.progress = [&](const Progress& p) {
    seen.push_back(p);
    return true;
  };
  auto result = RunRestore(*repo, r);
  REQUIRE(result.ok());
  CHECK(result->files == static_cast<uint64_t>(n));
  CHECK(CompareTrees(src, tmp / "out" / src.relative_path()).empty());
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.back().totals_final);
  CHECK(seen.back().files_done == static_cast<uint64_t>(n));
  CHECK(seen.back().files_total == static_cast<uint64_t>(n));
}

TEST_CASE("a file named like a restore's temporary file is neither an error nor touched") {
  // Files are written unnamed where the filesystem allows, and temporary
  // names are unique where not (base/pending_file.h): a file under the bare
  // suffix may be the user's and is left as it is.
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "file", "the real content");
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  REQUIRE(RunBackup(*repo, Options(src, tmp / "cache")).ok());
  fs::path restored = tmp / "restored" / src.relative_path();
  WriteFile(restored / "file.coffer-restore-tmp", "half of an earlier attemp");
  RestoreOptions r;
  r.target = tmp / "restored";
  REQUIRE(RunRestore(*repo, r).ok());
  CHECK(coffer::testing::ReadFile(restored / "file") == "the real content");
  CHECK(coffer::testing::ReadFile(restored / "file.coffer-restore-tmp") == "half of an earlier attemp");
  r.overwrite = true;  // replacing goes through a temporary name where linking cannot replace
  REQUIRE(RunRestore(*repo, r).ok());
  CHECK(coffer::testing::ReadFile(restored / "file") == "the real content");
  CHECK(coffer::testing::ReadFile(restored / "file.coffer-restore-tmp") == "half of an earlier attemp");
}

// Fails every pack read after the first `allowed` ones, as a store that
// goes away half way through a restore.
class PackReadsRunOut : public coffer::testing::ForwardingStore {
 public:
  PackReadsRunOut(std::unique_ptr<Store> inner, int allowed) : ForwardingStore(std::move(inner)), allowed_(allowed) {}
  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    if (name.starts_with("data/") && reads_++ >= allowed_) return absl::UnavailableError("injected: the store went away");
    return ForwardingStore::GetRange(name, offset, length);
  }

 private:
  const int allowed_;
  std::atomic<int> reads_{0};
};

TEST_CASE("a restore that fails half way leaves only complete files, under their names, and no temporary ones") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  std::map<std::string, std::string> contents;
  for (int i = 0; i < 60; ++i) {
    std::string name = "f" + std::to_string(i);
    contents[name] = Str(RandomBytes(static_cast<size_t>(1000 + (i % 7) * 30000), static_cast<uint64_t>(i)));
    WriteFile(src / name, contents[name]);
  }
  {
    auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
    REQUIRE(RunBackup(*repo, Options(src, tmp / "cache")).ok());
  }
  auto repo = Repository::Open(std::make_unique<PackReadsRunOut>(NewLocalStore(tmp / "repo"), 60), "secret");
  REQUIRE(repo.ok());
  RestoreOptions r;
  r.target = tmp / "restored";
  auto result = RunRestore(**repo, r);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kUnavailable);  // the store's failure, not data loss
  fs::path restored = r.target / src.relative_path();
  size_t complete = 0;
  REQUIRE(fs::is_directory(restored));
  for (const auto& e : fs::directory_iterator(restored)) {
    std::string name = e.path().filename().string();
    CAPTURE(name);
    REQUIRE(contents.count(name) == 1);  // no temporary or unknown names
    CHECK(coffer::testing::ReadFile(e.path()) == contents[name]);
    complete++;
  }
  CHECK(complete > 0);
  CHECK(complete < contents.size());
}

TEST_CASE("restore detects a corrupted pack and names it") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "f", Str(RandomBytes(100000, 9)));
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  REQUIRE(RunBackup(*repo, Options(src, tmp / "cache")).ok());
  // Corrupt every data pack (trees are in their own pack; keep those).
  std::vector<std::string> packs;
  REQUIRE(repo->store().List("data/", [&](const ObjectInfo& i) {
                 packs.push_back(i.name);
                 return absl::OkStatus();
               }).ok());
  REQUIRE(packs.size() == 2);
  bool corrupted = false;
  for (const auto& p : packs) {
    Bytes bytes = *repo->store().Get(p);
    if (bytes.size() < 50000) continue;  // the tree pack
    bytes[bytes.size() / 2] ^= 0x40;
    REQUIRE(repo->store().Put(p, bytes).ok());
    corrupted = true;
  }
  REQUIRE(corrupted);
  RestoreOptions r;
  r.target = tmp / "out";
  auto restored = RunRestore(*repo, r);
  REQUIRE_FALSE(restored.ok());
  CHECK(absl::IsDataLoss(restored.status()));
  CHECK_THAT(std::string(restored.status().message()), Catch::Contains("data/"));
  // Nothing half-written under the real name.
  CHECK_FALSE(fs::exists(tmp / "out" / src.relative_path() / "f"));
}

TEST_CASE("concurrent backups into one repository both succeed and restore") {
  coffer::testing::TempDir tmp;
  coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  WriteFile(tmp / "a" / "file", Str(RandomBytes(2000000, 11)));
  WriteFile(tmp / "b" / "file", Str(RandomBytes(2000000, 12)));
  WriteFile(tmp / "a" / "shared", Str(RandomBytes(500000, 13)));
  WriteFile(tmp / "b" / "shared", Str(RandomBytes(500000, 13)));
  absl::Status sa, sb;
  std::thread ta([&] {
    auto repo = Repository::Open(NewLocalStore(tmp / "repo"), "secret");
    sa = repo.ok() ? RunBackup(**repo, Options(tmp / "a", tmp / "cache-a")).status() : repo.status();
  });
  std::thread tb([&] {
    auto repo = Repository::Open(NewLocalStore(tmp / "repo"), "secret");
    sb = repo.ok() ? RunBackup(**repo, Options(tmp / "b", tmp / "cache-b")).status() : repo.status();
  });
  ta.join();
  tb.join();
  REQUIRE(sa.ok());
  REQUIRE(sb.ok());
  auto repo = Repository::Open(NewLocalStore(tmp / "repo"), "secret");
  REQUIRE(repo.ok());
  auto snaps = (*repo)->ListSnapshots();
  REQUIRE(snaps->size() == 2);
  for (const auto& s : *snaps) {
    RestoreOptions r;
    r.snapshot = s.id.Hex();
    r.target = tmp / ("out-" + s.id.ShortHex());
    REQUIRE(RunRestore(**repo, r).ok());
    fs::path which = s.snapshot.paths[0];
    CHECK(CompareTrees(which, r.target / which.relative_path()).empty());
  }
}

TEST_CASE("progress is reported and cancelling stops the backup without a snapshot") {
  coffer::testing::TempDir tmp;
  for (int i = 0; i < 40; ++i) WriteFile(tmp / "src" / ("f" + std::to_string(i)), Str(RandomBytes(200000, i)));
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  BackupOptions o = Options(tmp / "src", tmp / "cache");
  int calls = 0;
  o.progress = [&](const Progress& p) {
    ++calls;
    return p.files_done < 5;
  };
  // Report at least every file: make the clock irrelevant by many small reads.
  auto result = RunBackup(*repo, o);
  if (result.ok()) {
    // Finished before the first report saw 5 files: the machine was fast.
    CHECK(calls >= 1);
  } else {
    CHECK(absl::IsCancelled(result.status()));
    CHECK(repo->ListSnapshots()->empty());
  }
}

TEST_CASE("sockets are skipped with a warning, and the snapshot is not partial") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "file", "x");
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock = (src / "sock").string();
  REQUIRE(sock.size() < sizeof(addr.sun_path));
  std::copy(sock.begin(), sock.end(), addr.sun_path);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  BackupOptions o = Options(src, tmp / "cache");
  std::vector<std::string> warnings;
  o.warning = [&](const std::string& p, const std::string& m) { warnings.push_back(p + ": " + m); };
  auto result = RunBackup(*repo, o);
  close(fd);
  REQUIRE(result.ok());
  CHECK_FALSE(result->snapshot.partial);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("sock") && Catch::Contains("socket"));
  RestoreOptions r;
  r.target = tmp / "out";
  REQUIRE(RunRestore(*repo, r).ok());
  CHECK(fs::exists(tmp / "out" / src.relative_path() / "file"));
  CHECK_FALSE(fs::exists(fs::symlink_status(tmp / "out" / src.relative_path() / "sock")));
}

namespace {

// Backs up `src` (holding a directory "locked" that cannot be opened) twice,
// the second time read ahead by the prefetcher. Returns 0, or the number of
// the first check that failed: it may run in a child process, where Catch
// cannot report.
int BackUpLockedDirectoryTwice(const fs::path& tmp, const fs::path& src) {
  try {
    auto repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
    for (int round = 0; round < 2; ++round) {
      auto result = RunBackup(*repo, Options(src, tmp / "cache"));
      if (!result.ok()) return 20 + round;
      const Snapshot& snap = result->snapshot;
      if (!snap.partial || snap.errors.size() != 1) return 30 + round;
      if (snap.errors[0].path != (src / "locked").string()) return 40 + round;
      if (snap.errors[0].message != "cannot read directory: Permission denied") return 50 + round;
      if ((round == 1) != (result->dirs_read_ahead > 0)) return 60 + round;
      // Kept, empty, beside what could be read.
      auto tree = repo->ReadTree(SubtreeOf(*repo, snap.tree, src));
      if (!tree.ok() || tree->nodes.size() != 2 || tree->nodes[0].name != "locked" ||
          tree->nodes[1].name != "ok.txt")
        return 70 + round;
      auto locked = repo->ReadTree(*tree->nodes[0].subtree);
      if (!locked.ok() || !locked->nodes.empty()) return 80 + round;
    }
    return 0;
  } catch (...) {
    return 99;
  }
}

}  // namespace

TEST_CASE("a directory that cannot be opened is kept empty and named in the snapshot's errors") {
  coffer::testing::TempDir tmp;
  fs::path src = tmp / "src";
  WriteFile(src / "ok.txt", "fine");
  WriteFile(src / "locked" / "secret.txt", "not for this user");
  REQUIRE(chmod((src / "locked").c_str(), 0) == 0);
  int failed_check;
  if (geteuid() != 0) {
    failed_check = BackUpLockedDirectoryTwice(tmp.path(), src);
  } else {
    // Root opens any directory: an unprivileged child backs up instead.
    REQUIRE(chmod(tmp.path().c_str(), 0777) == 0);
    REQUIRE(chmod(src.c_str(), 0777) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
      _exit(BackUpLockedDirectoryTwice(tmp.path(), src));
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    failed_check = WEXITSTATUS(status);
  }
  chmod((src / "locked").c_str(), 0700);  // so the temporary directory can go
  CHECK(failed_check == 0);
}
