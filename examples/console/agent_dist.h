// The agent files the console hands to new machines (the `coffer` program
// and libcoffer.so.0), found next to the console or in --agent-dist, with
// their SHA-256 sums for the install script.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace console {

struct AgentFile {
  std::string name;  // as served under /agent/NAME and installed
  std::filesystem::path path;
  std::string sha256;  // lowercase hex
  uintmax_t size = 0;
  std::filesystem::file_time_type mtime;
};

class AgentDist {
 public:
  // Looks for coffer in DIR or DIR/bin, and for libcoffer.so.0 in DIR,
  // DIR/lib or DIR/.. (the build tree) or DIR/../lib (an installed prefix).
  // An empty `dir` means the directory of the running console. Returns
  // false, with problem() saying what is missing, when a file is not found.
  bool Locate(const std::string& dir);
  bool available() const { return !program_.empty(); }
  const std::string& problem() const { return problem_; }

  // The files with sums that match what is on disk now (a file replaced
  // since the last call, e.g. by a rebuild, is hashed again). Throws when a
  // file can no longer be read.
  std::vector<AgentFile> Files();
  // The path of the served file called `name`, if there is one.
  std::optional<std::filesystem::path> PathOf(const std::string& name);

  static constexpr const char* kSoname = "libcoffer.so.0";
  // uname -m of the machines the program runs on (from its ELF header).
  std::string Arch() const { return arch_; }
  // The library's version, from its file name (libcoffer.so.0.1.0: 0.1.0).
  std::string Version() const;

 private:
  std::mutex mutex_;
  std::filesystem::path program_;
  std::filesystem::path library_;
  std::string arch_;
  std::string problem_;
  std::vector<AgentFile> files_;
};

}  // namespace console
