#include "base/atomic_file.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/temp_dir.h"

namespace coffer {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int TempFilesIn(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().find(".tmp-") != std::string::npos;
  return n;
}

TEST_CASE("atomic file: commit replaces the file whole, creating its directory") {
  coffer::testing::TempDir tmp;
  fs::path file = tmp / "sub" / "cache";
  {
    auto w = AtomicFileWriter::Create(file, "test cache");
    REQUIRE(w.ok());
    REQUIRE(w->Append(AsBytes("hello, ")).ok());
    REQUIRE(w->Append(AsBytes("world")).ok());
    CHECK_FALSE(fs::exists(file));  // nothing visible before the commit
    REQUIRE(w->Commit().ok());
  }
  CHECK(Slurp(file) == "hello, world");
  auto again = AtomicFileWriter::Create(file, "test cache");
  REQUIRE(again.ok());
  REQUIRE(again->Append(AsBytes("second")).ok());
  REQUIRE(again->Commit().ok());
  CHECK(Slurp(file) == "second");
  CHECK(TempFilesIn(tmp / "sub") == 0);
  CHECK(absl::IsFailedPrecondition(again->Commit()));
}

TEST_CASE("atomic file: a writer dropped without commit leaves the old file and no temporary") {
  coffer::testing::TempDir tmp;
  fs::path file = tmp / "cache";
  std::ofstream(file) << "old";
  {
    auto w = AtomicFileWriter::Create(file, "test cache");
    REQUIRE(w.ok());
    REQUIRE(w->Append(AsBytes("half of the new")).ok());
    CHECK(TempFilesIn(tmp.path()) == 1);
  }
  CHECK(Slurp(file) == "old");
  CHECK(TempFilesIn(tmp.path()) == 0);
}

TEST_CASE("atomic file: an impossible place is an error naming the file") {
  coffer::testing::TempDir tmp;
  std::ofstream(tmp / "plain") << "x";
  auto w = AtomicFileWriter::Create(tmp / "plain" / "cache", "test cache");  // parent is a file
  REQUIRE_FALSE(w.ok());
  CHECK(absl::IsUnavailable(w.status()));
  CHECK_THAT(std::string(w.status().message()), Catch::Contains("test cache") && Catch::Contains("plain"));
}

}  // namespace
}  // namespace coffer
