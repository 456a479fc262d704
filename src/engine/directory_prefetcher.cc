#include "engine/directory_prefetcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <utility>

#include "engine/node_metadata.h"
#include "engine/pattern.h"

namespace coffer {
namespace {

// Directories the thread holds open while it lists below them, so each is
// opened by one path component; deeper ones are opened by their whole path.
// Well below the default limit of 1024 open files, with the walk's own 128.
constexpr int kMaxHeldDirs = 64;
constexpr size_t kDirentsBufferSize = 32 << 10;
constexpr int kOpenDirFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;

}  // namespace

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
    Walk(root, -1, root, st.st_dev, 0);
  }
  {
    std::lock_guard<std::mutex> guard(mu_);
    done_ = true;
  }
  changed_.notify_all();
}

void DirectoryPrefetcher::Walk(const std::string& path, int parent_fd, const std::string& name,
                               dev_t root_device, int depth) {
  if (stop_ || gave_up_) return;
  DirectoryListing listing;
  listing.path = path;
  // Raw getdents64 rather than opendir/readdir: no fstat per directory, and
  // the name resolved in the parent rather than along the whole path.
  int fd = parent_fd >= 0 ? openat(parent_fd, name.c_str(), kOpenDirFlags) : open(path.c_str(), kOpenDirFlags);
  if (fd < 0) {
    listing.open_errno = errno;
    Push(std::move(listing));
    return;
  }
  listing.xattrs = ReadUserXattrs(fd, path);  // no path walk, unlike the walk's own by path
  std::string prefix = path == "/" ? "/" : path + "/";
  dirents_.resize(kDirentsBufferSize);
  for (;;) {
    ssize_t n = getdents64(fd, dirents_.data(), dirents_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0) listing.read_errno = errno;
      break;
    }
    for (ssize_t at = 0; at < n;) {
      const auto* ent = reinterpret_cast<const struct dirent64*>(dirents_.data() + at);
      at += ent->d_reclen;
      std::string_view entry_name = ent->d_name;
      if (entry_name == "." || entry_name == "..") continue;
      if (!excludes_.empty() && MatchesAny(excludes_, prefix + std::string(entry_name))) continue;
      if (listing.entries.size() == max_queued_entries_ || stop_) {
        // Over the bound (its lstat results would hold too much memory), or
        // stopped: the walk lists this directory and the rest itself.
        close(fd);
        gave_up_ = true;
        return;
      }
      listing.entries.push_back(PrefetchedEntry{std::string(entry_name)});
    }
  }
  std::sort(listing.entries.begin(), listing.entries.end(),
            [](const PrefetchedEntry& a, const PrefetchedEntry& b) { return a.name < b.name; });
  std::vector<std::string> subdirs;  // names
  for (PrefetchedEntry& e : listing.entries) {
    if (stop_) break;  // the listing is not used
    if (fstatat(fd, e.name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0) {
      e.stat_errno = errno;
      continue;
    }
    if (S_ISDIR(e.st.st_mode) && !(one_file_system_ && e.st.st_dev != root_device)) subdirs.push_back(e.name);
  }
  if (depth + 1 >= kMaxHeldDirs) {
    close(fd);
    fd = -1;
  }
  if (Push(std::move(listing))) {
    for (const std::string& sub : subdirs) Walk(prefix + sub, fd, sub, root_device, depth + 1);
  }
  if (fd >= 0) close(fd);
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
