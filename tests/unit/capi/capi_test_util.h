// Helpers for the C API tests: owning wrappers for what the library returns
// and a small repository with cheap key derivation.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "coffer/coffer.h"

namespace coffer::testing {

// Owns a coffer_error*; pass `&e.ptr` as the err argument.
struct CError {
  coffer_error* ptr = nullptr;
  ~CError() { coffer_error_free(ptr); }
  coffer_error** out() {
    coffer_error_free(ptr);
    ptr = nullptr;
    return &ptr;
  }
  std::string message() const { return coffer_error_message(ptr); }
  coffer_status code() const { return coffer_error_code(ptr); }
};

// Takes ownership of a library string and parses it as JSON.
inline nlohmann::json TakeJson(char* text) {
  REQUIRE(text != nullptr);
  std::unique_ptr<char, void (*)(void*)> owned(text, coffer_free);
  return nlohmann::json::parse(text);
}

struct RepoCloser {
  void operator()(coffer_repo* r) const { coffer_repo_close(r); }
};
using RepoPtr = std::unique_ptr<coffer_repo, RepoCloser>;

struct BackupOptionsFree {
  void operator()(coffer_backup_options* o) const { coffer_backup_options_free(o); }
};
using BackupOptionsPtr = std::unique_ptr<coffer_backup_options, BackupOptionsFree>;

struct RestoreOptionsFree {
  void operator()(coffer_restore_options* o) const { coffer_restore_options_free(o); }
};
using RestoreOptionsPtr = std::unique_ptr<coffer_restore_options, RestoreOptionsFree>;

// Init options that make tests fast: Argon2id 1 pass over 8 MiB, small
// chunks (so a few hundred KiB make several of them).
inline coffer_init_options* FastInitOptions() {
  coffer_init_options* o = coffer_init_options_new();
  REQUIRE(o != nullptr);
  REQUIRE(coffer_init_options_set_kdf(o, 1, 8u << 20, nullptr) == COFFER_OK);
  REQUIRE(coffer_init_options_set_chunker(o, 4096, 16384, 65536, nullptr) == COFFER_OK);
  return o;
}

inline RepoPtr InitRepo(const std::string& location, const std::string& password = "secret") {
  coffer_init_options* opts = FastInitOptions();
  coffer_repo* repo = nullptr;
  CError err;
  coffer_status s = coffer_repo_init(location.c_str(), password.c_str(), opts, &repo, err.out());
  coffer_init_options_free(opts);
  INFO(err.message());
  REQUIRE(s == COFFER_OK);
  REQUIRE(repo != nullptr);
  // Key slots written later (key add / passwd) are cheap as well.
  REQUIRE(coffer_repo_set_kdf(repo, 1, 8u << 20, nullptr) == COFFER_OK);
  return RepoPtr(repo);
}

inline RepoPtr OpenRepo(const std::string& location, const std::string& password = "secret") {
  coffer_repo* repo = nullptr;
  CError err;
  coffer_status s = coffer_repo_open(location.c_str(), password.c_str(), &repo, err.out());
  INFO(err.message());
  REQUIRE(s == COFFER_OK);
  return RepoPtr(repo);
}

}  // namespace coffer::testing
