#include "engine/files_cache.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sys/stat.h>

#include "base/byte_io.h"
#include "support/temp_dir.h"

using namespace coffer;

namespace {
Id IdOf(uint8_t b) {
  Id id;
  id.bytes.fill(b);
  return id;
}
const FileFingerprint kFp{10, 20, 30, 40};
}  // namespace

TEST_CASE("the files cache keeps fingerprints, content and the no-attributes flag across a save") {
  coffer::testing::TempDir tmp;
  auto file = tmp / "files";
  {
    FilesCache cache = FilesCache::Load(file);
    cache.Record("/a", kFp, {ContentPart{IdOf(1), 0}, ContentPart{Id{}, 4096}}, /*no_xattrs=*/true);
    cache.Record("/b", kFp, {ContentPart{IdOf(2), 0}}, /*no_xattrs=*/false);
    REQUIRE(cache.Save().ok());
  }
  FilesCache cache = FilesCache::Load(file);
  std::vector<ContentPart> content;
  bool no_xattrs = false;
  REQUIRE(cache.Find("/a", kFp, &content, &no_xattrs) == FilesCache::Lookup::kUnchanged);
  CHECK(no_xattrs);
  REQUIRE(content.size() == 2);
  CHECK(content[0].blob == IdOf(1));
  CHECK(content[1].hole == 4096);
  no_xattrs = true;
  REQUIRE(cache.Find("/b", kFp, &content, &no_xattrs) == FilesCache::Lookup::kUnchanged);
  CHECK_FALSE(no_xattrs);
  FileFingerprint touched = kFp;
  touched.ctime_ns++;
  CHECK(cache.Find("/a", touched, &content, &no_xattrs) == FilesCache::Lookup::kChanged);
  CHECK(cache.Find("/c", kFp, &content, &no_xattrs) == FilesCache::Lookup::kNew);
}

TEST_CASE("a version 1 files cache still loads, with attributes to be read") {
  coffer::testing::TempDir tmp;
  auto file = tmp / "files";
  ByteWriter w;  // the version 1 layout: no flags byte
  w.Raw(AsBytes(std::string_view("CFFC")));
  w.U32(1);
  w.Varint(1);
  w.String("/a");
  w.U64(kFp.size);
  w.U64(static_cast<uint64_t>(kFp.mtime_ns));
  w.U64(static_cast<uint64_t>(kFp.ctime_ns));
  w.U64(kFp.inode);
  w.U32(0);
  w.Varint(1);
  w.Varint(0);
  w.PutId(IdOf(7));
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(w.bytes().data()), static_cast<std::streamsize>(w.bytes().size()));
  }
  FilesCache cache = FilesCache::Load(file);
  std::vector<ContentPart> content;
  bool no_xattrs = true;
  REQUIRE(cache.Find("/a", kFp, &content, &no_xattrs) == FilesCache::Lookup::kUnchanged);
  CHECK_FALSE(no_xattrs);
  REQUIRE(content.size() == 1);
  CHECK(content[0].blob == IdOf(7));
}

TEST_CASE("a truncated files cache is an empty cache") {
  coffer::testing::TempDir tmp;
  auto file = tmp / "files";
  {
    FilesCache cache = FilesCache::Load(file);
    cache.Record("/a", kFp, {ContentPart{IdOf(1), 0}}, true);
    REQUIRE(cache.Save().ok());
  }
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 5);
  FilesCache cache = FilesCache::Load(file);
  std::vector<ContentPart> content;
  CHECK(cache.Find("/a", kFp, &content) == FilesCache::Lookup::kNew);
}

TEST_CASE("a files cache seen again unchanged is not rewritten; any difference is") {
  coffer::testing::TempDir tmp;
  auto file = tmp / "files";
  const std::vector<ContentPart> a_parts = {ContentPart{IdOf(1), 0}, ContentPart{Id{}, 4096}, ContentPart{IdOf(3), 0}};
  {
    FilesCache cache = FilesCache::Load(file);
    CHECK_FALSE(cache.NeedsSave());  // nothing to say
    cache.Record("/a", kFp, a_parts, true);
    cache.Record("/b", kFp, {ContentPart{IdOf(2), 0}}, false);
    CHECK(cache.NeedsSave());
    REQUIRE(cache.Save().ok());
  }
  // Save replaces the file by renaming a new one over it: a new inode.
  auto inode_of = [&] {
    struct stat st {};
    stat(file.c_str(), &st);
    return st.st_ino;
  };
  const auto written = inode_of();
  auto replay = [&](FilesCache& cache) {  // a backup that finds both files as they were
    std::vector<ContentPart> content;
    bool no_xattrs = false;
    REQUIRE(cache.Find("/a", kFp, &content, &no_xattrs) == FilesCache::Lookup::kUnchanged);
    cache.Record("/a", kFp, content, no_xattrs);
    REQUIRE(cache.Find("/b", kFp, &content, &no_xattrs) == FilesCache::Lookup::kUnchanged);
    cache.Record("/b", kFp, content, no_xattrs);
  };
  SECTION("everything seen as it was: nothing to write") {
    FilesCache cache = FilesCache::Load(file);
    replay(cache);
    CHECK_FALSE(cache.NeedsSave());
    REQUIRE(cache.Save().ok());
    CHECK(inode_of() == written);
  }
  // A backup's fast path: Find, then MarkSeen when the file is taken as unchanged.
  auto find = [](FilesCache& cache, const std::string& path, const FileFingerprint& fp, bool mark_seen) {
    std::vector<ContentPart> content;
    FilesCache::Found found;
    FilesCache::Lookup lookup = cache.Find(path, fp, &content, nullptr, &found);
    if (mark_seen) cache.MarkSeen(found);
    return lookup;
  };
  SECTION("found unchanged and marked seen: no Record needed, nothing to write") {
    FilesCache cache = FilesCache::Load(file);
    REQUIRE(find(cache, "/a", kFp, true) == FilesCache::Lookup::kUnchanged);
    CHECK(cache.NeedsSave());  // /b not seen yet: it would age
    REQUIRE(find(cache, "/b", kFp, true) == FilesCache::Lookup::kUnchanged);
    CHECK_FALSE(cache.NeedsSave());
  }
  SECTION("found but not marked (the file was not taken as unchanged) ages") {
    FilesCache cache = FilesCache::Load(file);
    REQUIRE(find(cache, "/a", kFp, false) == FilesCache::Lookup::kUnchanged);
    REQUIRE(find(cache, "/b", kFp, true) == FilesCache::Lookup::kUnchanged);
    CHECK(cache.NeedsSave());
  }
  SECTION("found changed is not seen: it ages unless recorded") {
    FilesCache cache = FilesCache::Load(file);
    FileFingerprint touched = kFp;
    touched.mtime_ns++;
    REQUIRE(find(cache, "/a", touched, true) == FilesCache::Lookup::kChanged);  // marking: no effect
    REQUIRE(find(cache, "/b", kFp, true) == FilesCache::Lookup::kUnchanged);
    CHECK(cache.NeedsSave());
  }
  SECTION("a file not seen ages, so the cache is written") {
    FilesCache cache = FilesCache::Load(file);
    std::vector<ContentPart> content;
    REQUIRE(cache.Find("/a", kFp, &content) == FilesCache::Lookup::kUnchanged);
    cache.Record("/a", kFp, content, true);
    CHECK(cache.NeedsSave());
    REQUIRE(cache.Save().ok());
    FilesCache again = FilesCache::Load(file);
    replay(again);
    CHECK(again.NeedsSave());  // /b was loaded with age 1: seen now, age 0 again
  }
  SECTION("changed parts, attributes flag or fingerprint are written") {
    FilesCache cache = FilesCache::Load(file);
    replay(cache);
    SECTION("parts") { cache.Record("/a", kFp, {ContentPart{IdOf(9), 0}}, true); }
    SECTION("one blob of three") {
      auto parts = a_parts;
      parts[2].blob = IdOf(4);
      cache.Record("/a", kFp, parts, true);
    }
    SECTION("flag") { cache.Record("/a", kFp, a_parts, false); }
    SECTION("fingerprint") {
      FileFingerprint fp = kFp;
      fp.mtime_ns++;
      cache.Record("/a", fp, a_parts, true);
    }
    SECTION("a new file") { cache.Record("/new", kFp, {}, true); }
    CHECK(cache.NeedsSave());
    REQUIRE(cache.Save().ok());
  }
  // Whatever was written, the loaded parts survive a rewrite unchanged.
  FilesCache last = FilesCache::Load(file);
  std::vector<ContentPart> content;
  FilesCache::Lookup found = last.Find("/b", kFp, &content);
  REQUIRE(found == FilesCache::Lookup::kUnchanged);
  REQUIRE(content.size() == 1);
  CHECK(content[0].blob == IdOf(2));
}

TEST_CASE("a files cache larger than its write buffer survives a save whole") {
  // 30,000 entries of ~100 bytes: the file is written in several pieces.
  coffer::testing::TempDir tmp;
  auto file = tmp / "files";
  auto path_of = [](int i) { return "/some/rather/long/directory/name/for/the/test/file-" + std::to_string(i); };
  {
    FilesCache cache = FilesCache::Load(file);
    for (int i = 0; i < 30000; ++i) {
      FileFingerprint fp{static_cast<uint64_t>(i), i, i, static_cast<uint64_t>(i)};
      cache.Record(path_of(i), fp, {ContentPart{IdOf(static_cast<uint8_t>(i)), 0}}, (i % 2) == 0);
    }
    REQUIRE(cache.Save().ok());
  }
  CHECK(std::filesystem::file_size(file) > (2u << 20));
  FilesCache cache = FilesCache::Load(file);
  for (int i = 0; i < 30000; i += 997) {
    FileFingerprint fp{static_cast<uint64_t>(i), i, i, static_cast<uint64_t>(i)};
    std::vector<ContentPart> content;
    bool no_xattrs = false;
    REQUIRE(cache.Find(path_of(i), fp, &content, &no_xattrs) == FilesCache::Lookup::kUnchanged);
    REQUIRE(content.size() == 1);
    CHECK(content[0].blob == IdOf(static_cast<uint8_t>(i)));
    CHECK(no_xattrs == ((i % 2) == 0));
  }
  std::vector<ContentPart> content;
  FileFingerprint last{29999, 29999, 29999, 29999};
  CHECK(cache.Find(path_of(29999), last, &content) == FilesCache::Lookup::kUnchanged);
}
