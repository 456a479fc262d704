// The users file of coffer-server: one line per user, "NAME:HASH", where
// HASH is libsodium's crypto_pwhash_str (Argon2id, with its own salt and
// cost). Passwords are never stored. The file is written whole to a
// temporary file and renamed over the old one, readable by its owner only.
//
// UserDirectory answers "is this NAME and PASSWORD a user?" for every
// request. Argon2id costs tens of milliseconds and 64 MiB on purpose, so a
// successful check is remembered (as a keyed BLAKE2b of the password, under a
// key made at start-up and never written anywhere) until the file changes;
// checks that do need Argon2id run one at a time, which bounds the memory
// they take. The file is re-read when it changes on disk, so `user add` and
// `user remove` take effect without a restart.
#pragma once

#include <sys/stat.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace server {

struct UserEntry {
  std::string name;
  std::string hash;  // crypto_pwhash_str output
};

// A name a user may have: 1-64 of [A-Za-z0-9._-], not starting with '.'.
// It is the first path component of the user's repositories.
bool ValidUserName(const std::string& name);

// Reads a users file; a missing file is an empty list. Throws
// std::runtime_error naming the file and line for a malformed one.
std::vector<UserEntry> ReadUsersFile(const std::string& path);
// Replaces the file atomically (mode 0600). Throws std::runtime_error.
void WriteUsersFile(const std::string& path, const std::vector<UserEntry>& users);
// Argon2id hash of a new password (libsodium's interactive cost).
std::string HashPassword(const std::string& password);

class UserDirectory {
 public:
  explicit UserDirectory(std::string path);
  // Throws std::runtime_error when the file cannot be read at start-up.
  void Load();
  // True when `name` is a user and `password` is theirs.
  bool Verify(const std::string& name, const std::string& password);
  size_t size();

 private:
  void ReloadIfChanged();  // requires mu_
  std::string path_;
  std::mutex mu_;
  std::map<std::string, std::string> hashes_;                 // name -> stored hash
  std::map<std::string, std::vector<unsigned char>> proven_;  // name -> keyed hash of password
  std::vector<unsigned char> cache_key_;
  std::string dummy_hash_;  // of a random password: checked for unknown names
  struct ::stat seen_ {};
  std::mutex argon_mu_;  // one Argon2id verification at a time
};

}  // namespace server
