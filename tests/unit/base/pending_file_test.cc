#include "base/pending_file.h"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "support/temp_dir.h"

namespace coffer {
namespace {

namespace fs = std::filesystem;

constexpr char kPrefix[] = ".pending-tmp";

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::set<std::string> NamesIn(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

void Write(const PendingFile& file, const std::string& text) {
  REQUIRE(write(file.fd(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

// Create, write `text`, commit: the whole life of a pending file.
void CreateWriteCommit(const fs::path& dest, FileNaming naming, const std::string& text) {
  auto file = PendingFile::Create(dest.string(), naming, kPrefix);
  REQUIRE(file.ok());
  Write(*file, text);
  REQUIRE(file->Commit().ok());
}

const char* NameOf(FileNaming naming) {
  switch (naming) {
    case FileNaming::kLinkEmptyPath: return "linked with AT_EMPTY_PATH";
    case FileNaming::kLinkProcFd: return "linked through /proc/self/fd";
    case FileNaming::kTemporaryName: return "under a temporary name";
  }
  return "?";
}

// Whether `naming` makes a file here: AT_EMPTY_PATH needs root (or
// CAP_DAC_READ_SEARCH) before Linux 6.10, the /proc link a mounted /proc,
// both a filesystem with O_TMPFILE.
bool Works(FileNaming naming) {
  coffer::testing::TempDir scratch;
  auto file = PendingFile::Create((scratch / "probe").string(), naming, kPrefix);
  return file.ok() && file->Commit().ok() && fs::exists(scratch / "probe");
}

// The namings this process can use, the cheapest first (as the probe
// prefers them); a temporary name always works.
std::vector<FileNaming> UsableNamings() {
  std::vector<FileNaming> usable;
  for (FileNaming naming : {FileNaming::kLinkEmptyPath, FileNaming::kLinkProcFd})
    if (Works(naming)) usable.push_back(naming);
  usable.push_back(FileNaming::kTemporaryName);
  return usable;
}

TEST_CASE("pending file: named only on commit, with what was written, whichever the naming") {
  for (FileNaming naming : UsableNamings()) {
    CAPTURE(NameOf(naming));
    coffer::testing::TempDir tmp;
    fs::path dest = tmp / "file";
    auto file = PendingFile::Create(dest.string(), naming, kPrefix);
    REQUIRE(file.ok());
    Write(*file, "complete content");
    CHECK_FALSE(fs::exists(dest));
    if (naming != FileNaming::kTemporaryName) CHECK(NamesIn(tmp.path()).empty());  // not even a temporary name
    REQUIRE(file->Commit().ok());
    CHECK(Slurp(dest) == "complete content");
    CHECK(NamesIn(tmp.path()) == std::set<std::string>{"file"});
  }
}

TEST_CASE("pending file: commit replaces an existing file and leaves no temporary name") {
  for (FileNaming naming : UsableNamings()) {
    CAPTURE(NameOf(naming));
    coffer::testing::TempDir tmp;
    fs::path dest = tmp / "file";
    Spit(dest, "old");
    auto file = PendingFile::Create(dest.string(), naming, kPrefix);
    REQUIRE(file.ok());
    Write(*file, "new");
    CHECK(Slurp(dest) == "old");  // untouched until the commit
    REQUIRE(file->Commit().ok());
    CHECK(Slurp(dest) == "new");
    CHECK(NamesIn(tmp.path()) == std::set<std::string>{"file"});
  }
}

TEST_CASE("pending file: dropped without a commit leaves nothing behind") {
  for (FileNaming naming : UsableNamings()) {
    CAPTURE(NameOf(naming));
    coffer::testing::TempDir tmp;
    {
      auto file = PendingFile::Create((tmp / "file").string(), naming, kPrefix);
      REQUIRE(file.ok());
      Write(*file, "half of it");
      PendingFile moved = std::move(*file);  // the moved-from one owns nothing
    }
    CHECK(NamesIn(tmp.path()).empty());
  }
}

TEST_CASE("pending file: files named like temporary ones are never touched") {
  // They may be the user's own (or being restored beside): temporary names
  // are unique, so creating and replacing leave them alone.
  const std::string neighbour = std::string("file") + kPrefix, bare = kPrefix;
  for (FileNaming naming : UsableNamings()) {
    for (bool replacing : {false, true}) {
      CAPTURE(NameOf(naming), replacing);
      coffer::testing::TempDir tmp;
      fs::path dest = tmp / "file";
      Spit(tmp / neighbour, "not yours");
      Spit(tmp / bare, "nor this");
      if (replacing) Spit(dest, "old");
      CreateWriteCommit(dest, naming, "whole");
      CHECK(Slurp(dest) == "whole");
      CHECK(Slurp(tmp / neighbour) == "not yours");
      CHECK(Slurp(tmp / bare) == "nor this");
      CHECK(NamesIn(tmp.path()) == std::set<std::string>{"file", neighbour, bare});
    }
  }
}

TEST_CASE("pending file: a name as long as the filesystem allows is made and replaced") {
  // The temporary name does not grow with the destination's name.
  const std::string name(255, 'n');
  for (FileNaming naming : UsableNamings()) {
    for (bool replacing : {false, true}) {
      CAPTURE(NameOf(naming), replacing);
      coffer::testing::TempDir tmp;
      fs::path dest = tmp / name;
      if (replacing) Spit(dest, "old");
      CreateWriteCommit(dest, naming, "long");
      CHECK(Slurp(dest) == "long");
      CHECK(NamesIn(tmp.path()) == std::set<std::string>{name});
    }
  }
}

TEST_CASE("pending file: a missing directory is an error naming it, for every naming") {
  for (FileNaming naming : UsableNamings()) {
    CAPTURE(NameOf(naming));
    coffer::testing::TempDir tmp;
    std::string missing = (tmp / "missing").string();
    auto file = PendingFile::Create(missing + "/file", naming, kPrefix);
    REQUIRE_FALSE(file.ok());
    CHECK(file.status().code() == absl::StatusCode::kInternal);
    CHECK(std::string(file.status().message()).find(missing + "/") != std::string::npos);
    CHECK(std::string(file.status().message()).find("No such file or directory") != std::string::npos);
  }
}

TEST_CASE("pending file: the probe picks the cheapest naming that works and leaves nothing") {
  coffer::testing::TempDir tmp;
  // The cheapest naming that works here (AT_EMPTY_PATH for root, and for
  // anyone since Linux 6.10; else the /proc link; else a temporary name).
  CHECK(ProbeFileNaming(tmp.path().string()) == UsableNamings().front());
  CHECK(NamesIn(tmp.path()).empty());
  CHECK(ProbeFileNaming((tmp / "missing").string()) == FileNaming::kTemporaryName);

  if (geteuid() == 0 && UsableNamings().front() != FileNaming::kTemporaryName) {
    // An unprivileged user links too (AT_EMPTY_PATH where the kernel lets
    // it, else the /proc link). A child process, since setuid is for good;
    // exit codes name the check that failed.
    REQUIRE(chmod(tmp.path().c_str(), 0777) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
      // Changing the user made this process undumpable, which hides its
      // /proc/self/fd from itself; a process started as that user is not.
      if (prctl(PR_SET_DUMPABLE, 1) != 0) _exit(13);
      FileNaming naming = ProbeFileNaming(tmp.path().string());
      if (naming == FileNaming::kTemporaryName) _exit(11);
      auto file = PendingFile::Create((tmp / "mine").string(), naming, kPrefix);
      if (!file.ok() || write(file->fd(), "x", 1) != 1 || !file->Commit().ok()) _exit(12);
      _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(NamesIn(tmp.path()) == std::set<std::string>{"mine"});
  }
}

}  // namespace
}  // namespace coffer
