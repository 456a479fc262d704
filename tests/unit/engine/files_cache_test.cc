#include "engine/files_cache.h"

#include <catch2/catch.hpp>
#include <fstream>

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
