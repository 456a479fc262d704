#include "engine/directory_prefetcher.h"

#include <catch2/catch.hpp>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/pattern.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
using coffer::testing::TempDir;
using coffer::testing::WriteFile;

namespace {

// The order a backup walks in, written plainly: the directory, then each
// subdirectory in name order, depth first, excluded entries skipped.
void ReferenceOrder(const std::string& dir, const std::vector<std::string>& excludes,
                    std::vector<std::string>& out) {
  out.push_back(dir);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    std::string child = dir + "/" + n;
    if (MatchesAny(excludes, child)) continue;
    if (std::filesystem::is_directory(std::filesystem::symlink_status(child))) ReferenceOrder(child, excludes, out);
  }
}

void MakeTree(const std::filesystem::path& root) {
  WriteFile(root / "b.txt", "bee");
  WriteFile(root / "a/one", "1");
  WriteFile(root / "a/two", "22");
  WriteFile(root / "a/deep/er/file", "deep");
  WriteFile(root / "a-x/file", "dash sorts before slash");
  WriteFile(root / "skip.tmp/inside", "excluded directory");
  WriteFile(root / "c/skip.tmp", "excluded file");
  WriteFile(root / "c/kept", "kept");
  std::filesystem::create_directories(root / "empty");
  std::filesystem::create_symlink("a", root / "link-to-a");  // a symlink, not walked into
}

}  // namespace

TEST_CASE("the prefetcher lists each directory in the walk's order, sorted, with lstat results") {
  TempDir tmp;
  std::string root = (tmp / "src").string();
  MakeTree(root);
  std::vector<std::string> excludes = {"*.tmp"};
  std::vector<std::string> order;
  ReferenceOrder(root, excludes, order);
  REQUIRE(order.size() == 7);  // src, a, a/deep, a/deep/er, a-x, c, empty

  // 6 is the largest listing (the top directory, "skip.tmp" left out).
  for (size_t bound : {size_t{6}, size_t{8}, DirectoryPrefetcher::kDefaultMaxQueuedEntries}) {
    CAPTURE(bound);
    DirectoryPrefetcher prefetcher({root}, excludes, false, bound);
    for (const std::string& dir : order) {
      CAPTURE(dir);
      std::optional<DirectoryListing> listing = prefetcher.Next(dir);
      REQUIRE(listing);
      CHECK(listing->path == dir);
      CHECK(listing->open_errno == 0);
      CHECK(listing->read_errno == 0);
      std::vector<std::string> expected;
      for (const auto& e : std::filesystem::directory_iterator(dir)) {
        std::string name = e.path().filename();
        if (!MatchesAny(excludes, dir + "/" + name)) expected.push_back(name);
      }
      std::sort(expected.begin(), expected.end());
      std::vector<std::string> names;
      for (const PrefetchedEntry& e : listing->entries) {
        names.push_back(e.name);
        struct stat st;
        REQUIRE(lstat((dir + "/" + e.name).c_str(), &st) == 0);
        CHECK(e.stat_errno == 0);
        CHECK(e.st.st_ino == st.st_ino);
        CHECK(e.st.st_mode == st.st_mode);
        CHECK(e.st.st_size == st.st_size);
      }
      CHECK(names == expected);
    }
    // Past the end: a walk that goes further is out of step.
    CHECK_FALSE(prefetcher.Next(root + "/more"));
    CHECK(prefetcher.out_of_step());
  }
}

TEST_CASE("the prefetcher follows the roots in the order given and skips excluded and non-directory roots") {
  TempDir tmp;
  WriteFile(tmp / "r1/x", "x");
  WriteFile(tmp / "r2/y", "y");
  WriteFile(tmp / "r3.tmp/z", "z");
  WriteFile(tmp / "plain", "a file as a source");
  std::string r1 = (tmp / "r1").string(), r2 = (tmp / "r2").string();
  DirectoryPrefetcher prefetcher({r2, (tmp / "plain").string(), (tmp / "missing").string(),
                                  (tmp / "r3.tmp").string(), r1},
                                 {"*.tmp"}, false);
  auto first = prefetcher.Next(r2);
  REQUIRE(first);
  REQUIRE(first->entries.size() == 1);
  CHECK(first->entries[0].name == "y");
  auto second = prefetcher.Next(r1);
  REQUIRE(second);
  REQUIRE(second->entries.size() == 1);
  CHECK(second->entries[0].name == "x");
  CHECK_FALSE(prefetcher.out_of_step());
}

TEST_CASE("a walk that enters another directory than the prefetcher listed stops it for good") {
  TempDir tmp;
  std::string root = (tmp / "src").string();
  MakeTree(root);
  DirectoryPrefetcher prefetcher({root}, {}, false);
  REQUIRE(prefetcher.Next(root));
  // The walk skipped "a" (say it was replaced by a file meanwhile) and went on.
  CHECK_FALSE(prefetcher.Next(root + "/a-x"));
  CHECK(prefetcher.out_of_step());
  // Nothing afterwards, not even the directory that did come next.
  CHECK_FALSE(prefetcher.Next(root + "/a"));
}

TEST_CASE("a prefetcher dropped half way stops its thread") {
  TempDir tmp;
  std::string root = (tmp / "src").string();
  for (int i = 0; i < 50; ++i) {
    WriteFile(tmp / "src" / ("d" + std::to_string(i)) / "f", "f");
    WriteFile(tmp / "src" / ("d" + std::to_string(i)) / "g", "g");
  }
  {
    // A bound of 50 entries: with the top directory taken, 25 of its
    // subdirectories fit and the thread waits for room.
    DirectoryPrefetcher prefetcher({root}, {}, false, 50);
    REQUIRE(prefetcher.Next(root));
    REQUIRE(prefetcher.Next(root + "/d0"));
  }  // the destructor must not wait for the walk to be consumed
  SUCCEED("destroyed while its thread waited for room");
}

TEST_CASE("a directory larger than the prefetcher's bound ends the read-ahead there") {
  TempDir tmp;
  std::string root = (tmp / "src").string();
  WriteFile(tmp / "src/small/f", "f");
  for (int i = 0; i < 20; ++i) WriteFile(tmp / "src/wide" / ("f" + std::to_string(i)), "f");
  WriteFile(tmp / "later/g", "g");
  DirectoryPrefetcher prefetcher({root, (tmp / "later").string()}, {}, false, 10);
  auto top = prefetcher.Next(root);
  REQUIRE(top);
  CHECK(top->entries.size() == 2);
  REQUIRE(prefetcher.Next(root + "/small"));
  // Twenty entries, over the bound of ten: not listed, and nothing after it.
  CHECK_FALSE(prefetcher.Next(root + "/wide"));
  CHECK(prefetcher.out_of_step());
  CHECK_FALSE(prefetcher.Next((tmp / "later").string()));
}

TEST_CASE("a directory the prefetcher cannot open is listed with the error") {
  TempDir tmp;
  std::string root = (tmp / "src").string();
  WriteFile(tmp / "src/locked/f", "f");
  WriteFile(tmp / "src/open/g", "g");
  std::string locked = root + "/locked";
  REQUIRE(chmod(tmp.path().c_str(), 0755) == 0);
  REQUIRE(chmod(locked.c_str(), 0) == 0);
  // Root opens any directory, so the walk runs in a child process as an
  // unprivileged user when the test runs as root. Exit codes name the check
  // that failed (Catch's assertions belong to this process).
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(10);
    DirectoryPrefetcher prefetcher({root}, {}, false);
    if (!prefetcher.Next(root)) _exit(11);
    auto listing = prefetcher.Next(locked);
    if (!listing) _exit(12);
    if (listing->open_errno != EACCES) _exit(13);
    if (!listing->entries.empty()) _exit(14);
    auto next = prefetcher.Next(root + "/open");  // the walk goes on past it
    if (!next || next->entries.size() != 1) _exit(15);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(chmod(locked.c_str(), 0755) == 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
