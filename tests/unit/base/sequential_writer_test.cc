#include "base/sequential_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "support/temp_dir.h"
#include "support/tree_builder.h"

namespace coffer {
namespace {

namespace fs = std::filesystem;

Bytes ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Writes `data` through a SequentialWriter in appends of random sizes.
void WriteInPieces(const fs::path& p, const Bytes& data, bool try_direct, uint64_t seed, bool* was_direct) {
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  SequentialWriter w(fd, try_direct);
  *was_direct = w.direct();
  std::mt19937_64 rng(seed);
  size_t at = 0;
  while (at < data.size()) {
    size_t n = std::min<size_t>(data.size() - at, rng() % 700000 + 1);
    REQUIRE(w.Append(ByteView(data).subspan(at, n)).ok());
    at += n;
  }
  CHECK(w.size() == data.size());
  REQUIRE(w.Finish().ok());
  CHECK((fcntl(fd, F_GETFL) & O_DIRECT) == 0);  // left as an ordinary descriptor
  close(fd);
}

TEST_CASE("sequential writer writes exactly the bytes given, direct or not") {
  coffer::testing::TempDir tmp;
  // Sizes around the 4 KiB alignment and the stage (1-4 MiB by the number of
  // cores), and a megabyte.
  const size_t stage = SequentialWriter::StageSize();
  CHECK(stage % 4096 == 0);
  CHECK(stage >= (size_t{1} << 20));
  CHECK(stage <= (size_t{4} << 20));
  const size_t sizes[] = {0,         1,     4095,      4096, 4097, 1 << 20, stage - 1,
                          stage, stage + 1, 2 * stage + 4321};
  int direct_files = 0;
  for (bool try_direct : {true, false}) {
    for (size_t size : sizes) {
      Bytes data = coffer::testing::RandomBytes(size, size + 7);
      fs::path p = tmp / ("f" + std::to_string(size) + (try_direct ? "d" : "b"));
      bool was_direct = false;
      WriteInPieces(p, data, try_direct, size, &was_direct);
      if (!try_direct) CHECK_FALSE(was_direct);
      direct_files += was_direct;
      INFO("size " << size << " try_direct " << try_direct);
      CHECK(fs::file_size(p) == size);
      CHECK(ReadAll(p) == data);
    }
  }
  // ext4, xfs and btrfs take O_DIRECT: there the direct path must really
  // have been used for every file that asked for it.
  struct statfs fs_info;
  REQUIRE(statfs(tmp.path().c_str(), &fs_info) == 0);
  bool disk_fs = fs_info.f_type == 0xEF53 || fs_info.f_type == 0x58465342 || fs_info.f_type == 0x9123683E;
  if (SequentialWriter::Enabled() && disk_fs) CHECK(direct_files == static_cast<int>(std::size(sizes)));
}

TEST_CASE("sequential writer on tmpfs writes the same bytes") {
  // tmpfs takes O_DIRECT only on newer kernels (6.6+): either way the bytes
  // must be the same.
  if (!fs::is_directory("/dev/shm")) return;  // no tmpfs to try
  fs::path p = fs::path("/dev/shm") / ("coffer-seqw-" + std::to_string(getpid()));
  Bytes data = coffer::testing::RandomBytes(2 * (1 << 20) + 5, 3);
  bool was_direct = false;
  WriteInPieces(p, data, true, 9, &was_direct);
  CHECK(ReadAll(p) == data);
  fs::remove(p);
}

TEST_CASE("sequential writer leaves holes only when not direct") {
  coffer::testing::TempDir tmp;
  fs::path p = tmp / "sparse";
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  {
    SequentialWriter w(fd, false);
    REQUIRE(w.Append(AsBytes("head")).ok());
    REQUIRE(w.Skip(1 << 20).ok());
    REQUIRE(w.Append(AsBytes("tail")).ok());
    REQUIRE(w.Finish().ok());
    CHECK(w.size() == 8 + (1 << 20));
  }
  close(fd);
  Bytes got = ReadAll(p);
  REQUIRE(got.size() == 8 + (1 << 20));
  CHECK(std::string(got.begin(), got.begin() + 4) == "head");
  CHECK(std::all_of(got.begin() + 4, got.end() - 4, [](uint8_t b) { return b == 0; }));
  CHECK(std::string(got.end() - 4, got.end()) == "tail");

  // A file that ends in a hole still gets its whole size.
  fs::path t = tmp / "trailing";
  fd = open(t.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  {
    SequentialWriter w(fd, false);
    REQUIRE(w.Append(AsBytes("head")).ok());
    REQUIRE(w.Skip(3 << 20).ok());
    REQUIRE(w.Finish().ok());
  }
  close(fd);
  CHECK(fs::file_size(t) == 4 + (3u << 20));

  fs::path q = tmp / "direct";
  fd = open(q.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  SequentialWriter w(fd, true);
  CHECK(absl::IsFailedPrecondition(w.Skip(10)) == SequentialWriter::Enabled());
  REQUIRE(w.Finish().ok());
  close(fd);
}

}  // namespace
}  // namespace coffer
