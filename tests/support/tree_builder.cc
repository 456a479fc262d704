#include "support/tree_builder.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace coffer::testing {

void WriteFile(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Bytes RandomBytes(size_t size, uint64_t seed) {
  Bytes out(size);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<uint8_t>(x >> 24);
  }
  return out;
}

namespace {

std::map<std::string, std::string> UserXattrs(const fs::path& p) {
  std::map<std::string, std::string> out;
  ssize_t n = llistxattr(p.c_str(), nullptr, 0);
  if (n <= 0) return out;
  std::string names(static_cast<size_t>(n), '\0');
  n = llistxattr(p.c_str(), names.data(), names.size());
  for (size_t pos = 0; n > 0 && pos < static_cast<size_t>(n);) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.rfind("user.", 0) != 0) continue;
    ssize_t len = lgetxattr(p.c_str(), name.c_str(), nullptr, 0);
    std::string value(len > 0 ? static_cast<size_t>(len) : 0, '\0');
    if (len > 0) lgetxattr(p.c_str(), name.c_str(), value.data(), value.size());
    out[name] = value;
  }
  return out;
}

void CompareEntry(const fs::path& a, const fs::path& b, const std::string& rel, bool compare_dir_mtime,
                  std::vector<std::string>& diffs) {
  struct stat sa {}, sb {};
  if (lstat(a.c_str(), &sa) != 0) { diffs.push_back(rel + ": missing in first tree"); return; }
  if (lstat(b.c_str(), &sb) != 0) { diffs.push_back(rel + ": missing in second tree"); return; }
  auto differ = [&](const char* what, auto x, auto y) {
    if (x != y) {
      std::ostringstream s;
      s << rel << ": " << what << " differs (" << x << " vs " << y << ")";
      diffs.push_back(s.str());
    }
  };
  differ("file type", sa.st_mode & S_IFMT, sb.st_mode & S_IFMT);
  if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) return;
  if (!S_ISLNK(sa.st_mode)) differ("mode", sa.st_mode & 07777, sb.st_mode & 07777);
  differ("uid", sa.st_uid, sb.st_uid);
  differ("gid", sa.st_gid, sb.st_gid);
  if (!S_ISDIR(sa.st_mode) || compare_dir_mtime) {
    differ("mtime sec", sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
    differ("mtime nsec", sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
  }
  if (S_ISREG(sa.st_mode)) {
    differ("size", sa.st_size, sb.st_size);
    differ("link count", sa.st_nlink, sb.st_nlink);
    if (sa.st_size == sb.st_size && ReadFile(a) != ReadFile(b)) diffs.push_back(rel + ": content differs");
    // A sparse source must restore sparse: allow some slack for filesystem rounding.
    bool a_sparse = sa.st_blocks * 512 + 65536 < sa.st_size;
    if (a_sparse && sb.st_blocks > sa.st_blocks + 256)
      diffs.push_back(rel + ": sparse file restored dense");
  }
  if (S_ISLNK(sa.st_mode)) differ("symlink target", fs::read_symlink(a).string(), fs::read_symlink(b).string());
  if (UserXattrs(a) != UserXattrs(b)) diffs.push_back(rel + ": user xattrs differ");
}

void Walk(const fs::path& a, const fs::path& b, const std::string& rel, std::vector<std::string>& diffs) {
  std::map<std::string, bool> names;
  for (auto& e : fs::directory_iterator(a)) names[e.path().filename().string()] = true;
  for (auto& e : fs::directory_iterator(b)) names[e.path().filename().string()] = true;
  for (auto& [name, _] : names) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    CompareEntry(a / name, b / name, child, true, diffs);
    if (fs::is_directory(fs::symlink_status(a / name)) && fs::is_directory(fs::symlink_status(b / name)))
      Walk(a / name, b / name, child, diffs);
  }
}

}  // namespace

std::vector<std::string> CompareTrees(const fs::path& a, const fs::path& b) {
  std::vector<std::string> diffs;
  Walk(a, b, "", diffs);
  return diffs;
}

}  // namespace coffer::testing
