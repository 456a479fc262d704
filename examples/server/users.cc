#include "users.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace server {
namespace {

std::runtime_error Error(const std::string& what) { return std::runtime_error(what); }

std::vector<unsigned char> KeyedHash(const std::vector<unsigned char>& key,
                                     const std::string& password) {
  std::vector<unsigned char> out(crypto_generichash_BYTES);
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                     key.data(), key.size());
  return out;
}

bool SameFile(const struct ::stat& a, const struct ::stat& b) {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

bool ValidUserName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

std::vector<UserEntry> ReadUsersFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return {};
    throw Error("cannot read users file " + path + ": " + std::strerror(errno));
  }
  std::vector<UserEntry> users;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    UserEntry entry;
    if (colon != std::string::npos) entry = {line.substr(0, colon), line.substr(colon + 1)};
    if (colon == std::string::npos || !ValidUserName(entry.name) ||
        entry.hash.rfind("$argon2id$", 0) != 0)
      throw Error("users file " + path + " line " + std::to_string(number) +
                  " is not NAME:ARGON2ID-HASH (manage the file with `coffer-server user add`)");
    users.push_back(std::move(entry));
  }
  return users;
}

void WriteUsersFile(const std::string& path, const std::vector<UserEntry>& users) {
  std::string text = "# coffer-server users: NAME:Argon2id hash (coffer-server user add/remove)\n";
  for (const UserEntry& u : users) text += u.name + ":" + u.hash + "\n";
  std::string temp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error("cannot write users file " + temp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(temp.c_str());
    throw Error("cannot write users file " + path + ": " + std::strerror(e));
  }
}

std::string HashPassword(const std::string& password) {
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw Error("out of memory while hashing the password");
  return hash;
}

UserDirectory::UserDirectory(std::string path) : path_(std::move(path)) {
  cache_key_.resize(crypto_generichash_KEYBYTES);
  randombytes_buf(cache_key_.data(), cache_key_.size());
  std::vector<unsigned char> random_password(32);
  randombytes_buf(random_password.data(), random_password.size());
  dummy_hash_ = HashPassword(
      std::string(reinterpret_cast<const char*>(random_password.data()), random_password.size()));
}

void UserDirectory::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  hashes_.clear();
  proven_.clear();
  if (::stat(path_.c_str(), &seen_) != 0) seen_ = {};
  for (UserEntry& u : ReadUsersFile(path_)) hashes_[u.name] = std::move(u.hash);
}

void UserDirectory::ReloadIfChanged() {
  struct ::stat now {};
  if (::stat(path_.c_str(), &now) != 0) now = {};
  if (SameFile(now, seen_)) return;
  std::map<std::string, std::string> fresh;
  try {
    for (UserEntry& u : ReadUsersFile(path_)) fresh[u.name] = std::move(u.hash);
  } catch (const std::exception&) {
    return;  // A half-edited file: keep the users we know until it is whole.
  }
  seen_ = now;
  hashes_ = std::move(fresh);
  proven_.clear();
}

bool UserDirectory::Verify(const std::string& name, const std::string& password) {
  std::string hash;
  std::vector<unsigned char> presented = KeyedHash(cache_key_, password);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReloadIfChanged();
    auto it = hashes_.find(name);
    // An unknown name costs one Argon2id all the same, so timing does not
    // tell which names exist.
    hash = it != hashes_.end() ? it->second : dummy_hash_;
    auto known = proven_.find(name);
    if (known != proven_.end() && known->second.size() == presented.size() &&
        sodium_memcmp(known->second.data(), presented.data(), presented.size()) == 0)
      return true;
  }
  bool ok;
  {
    std::lock_guard<std::mutex> one_at_a_time(argon_mu_);
    ok = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  }
  if (!ok || hash == dummy_hash_) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = hashes_.find(name);
  if (it != hashes_.end() && it->second == hash) proven_[name] = std::move(presented);
  return true;
}

size_t UserDirectory::size() {
  std::lock_guard<std::mutex> lock(mu_);
  ReloadIfChanged();
  return hashes_.size();
}

}  // namespace server
