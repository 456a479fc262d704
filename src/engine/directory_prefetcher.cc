#include "engine/directory_prefetcher.h"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <utility>

#include "engine/pattern.h"

namespace coffer {

DirectoryPrefetcher::DirectoryPrefetcher(std::vector<std::string> roots, std::vector<std::string> excludes,
                                         bool one_file_system, size_t max_queued_entries)
    : roots_(std::move(roots)),
      excludes_(std::move(excludes)),
      one_file_system_(one_file_system),
      max_queued_entries_(std::max<size_t>(max_queued_entries, 1)) {
  thread_ = std::thread([this] { Run(); });
}

DirectoryPrefetcher::~DirectoryPrefetcher() {
  {
    std::lock_guard<std::mutex> guard(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

bool DirectoryPrefetcher::out_of_step() const {
  std::lock_guard<std::mutex> guard(mu_);
  return out_of_step_;
}

std::optional<DirectoryListing> DirectoryPrefetcher::Next(const std::string& path) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) return std::nullopt;
  changed_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (queue_.empty() || queue_.front().path != path) {
    // The walk entered a directory this thread did not list next: the tree
    // changed under one of them. Nothing queued can be trusted to follow.
    out_of_step_ = true;
    stop_ = true;
    queue_.clear();
    queued_entries_ = 0;
    lock.unlock();
    changed_.notify_all();
    return std::nullopt;
  }
  DirectoryListing listing = std::move(queue_.front());
  queue_.pop_front();
  queued_entries_ -= listing.entries.size();
  lock.unlock();
  changed_.notify_all();
  return listing;
}

void DirectoryPrefetcher::Run() {
  for (const std::string& root : roots_) {
    if (gave_up_) break;
    // As the backup does for a source: excluded, missing or not a directory
    // means there is nothing to walk.
    if (MatchesAny(excludes_, root)) continue;
    struct stat st;
    if (lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    Walk(root, st.st_dev);
  }
  {
    std::lock_guard<std::mutex> guard(mu_);
    done_ = true;
  }
  changed_.notify_all();
}

void DirectoryPrefetcher::Walk(const std::string& path, dev_t root_device) {
  if (stop_ || gave_up_) return;
  DirectoryListing listing;
  listing.path = path;
  DIR* d = opendir(path.c_str());
  if (!d) {
    listing.open_errno = errno;
    Push(std::move(listing));
    return;
  }
  std::string prefix = path == "/" ? "/" : path + "/";
  errno = 0;
  while (struct dirent* ent = readdir(d)) {
    std::string_view n = ent->d_name;
    if (n != "." && n != ".." && !MatchesAny(excludes_, prefix + std::string(n))) {
      if (listing.entries.size() == max_queued_entries_ || stop_) {
        // Over the bound (its lstat results would hold too much memory), or
        // stopped: the walk lists this directory and the rest itself.
        closedir(d);
        gave_up_ = true;
        return;
      }
      listing.entries.push_back(PrefetchedEntry{std::string(n)});
    }
    errno = 0;  // readdir signals its end and its errors only through errno
  }
  listing.read_errno = errno;
  std::sort(listing.entries.begin(), listing.entries.end(),
            [](const PrefetchedEntry& a, const PrefetchedEntry& b) { return a.name < b.name; });
  std::vector<std::string> subdirs;
  for (PrefetchedEntry& e : listing.entries) {
    if (stop_) break;  // the listing is not used
    if (fstatat(dirfd(d), e.name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0) {
      e.stat_errno = errno;
      continue;
    }
    if (S_ISDIR(e.st.st_mode) && !(one_file_system_ && e.st.st_dev != root_device))
      subdirs.push_back(prefix + e.name);
  }
  closedir(d);
  if (!Push(std::move(listing))) return;
  for (const std::string& sub : subdirs) Walk(sub, root_device);
}

bool DirectoryPrefetcher::Push(DirectoryListing listing) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return stop_ || queued_entries_ + listing.entries.size() <= max_queued_entries_; });
  if (stop_) return false;
  queued_entries_ += listing.entries.size();
  queue_.push_back(std::move(listing));
  lock.unlock();
  changed_.notify_all();
  return true;
}

}  // namespace coffer
