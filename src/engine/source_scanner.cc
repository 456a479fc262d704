#include "engine/source_scanner.h"

#include <dirent.h>
#include <sys/stat.h>

#include "engine/pattern.h"

namespace coffer {

SourceScanner::SourceScanner(std::vector<std::string> paths, std::vector<std::string> excludes,
                             bool one_file_system)
    : paths_(std::move(paths)), excludes_(std::move(excludes)), one_file_system_(one_file_system) {
  thread_ = std::thread([this] {
    for (const std::string& p : paths_) {
      struct stat st;
      if (lstat(p.c_str(), &st) == 0) Walk(p, st.st_dev);
    }
    done_ = true;
  });
}

SourceScanner::~SourceScanner() { Stop(); }

void SourceScanner::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void SourceScanner::Walk(const std::string& path, uint64_t root_device) {
  if (stop_ || MatchesAny(excludes_, path)) return;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return;
  if (S_ISREG(st.st_mode)) {
    files_++;
    bytes_ += static_cast<uint64_t>(st.st_size);
    return;
  }
  if (!S_ISDIR(st.st_mode) || (one_file_system_ && st.st_dev != root_device)) return;
  DIR* d = opendir(path.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (struct dirent* ent = readdir(d)) {
    std::string_view n = ent->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  closedir(d);
  std::string prefix = path == "/" ? "/" : path + "/";
  for (const auto& n : names) Walk(prefix + n, root_device);
}

}  // namespace coffer
