// The structs behind the opaque handles of coffer.h. Option objects hold the
// internal option structs directly, so an entry point only adds callbacks.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "coffer/coffer.h"
#include "crypto/password_kdf.h"
#include "engine/backup.h"
#include "engine/restore.h"
#include "repo/repository.h"

struct coffer_repo {
  std::string location;
  std::unique_ptr<coffer::Repository> repo;
  // Argon2id cost for slots written by key_add / key_change_password.
  uint64_t kdf_ops_limit = coffer::KdfParams{}.ops_limit;
  uint64_t kdf_mem_limit = coffer::KdfParams{}.mem_limit;
  // Held for the duration of every call on this handle; see HandleLease.
  std::mutex busy;
};

struct coffer_init_options {
  coffer::InitOptions init;  // its KdfParams salt is replaced at init time
  std::string mirror;        // replica location (coffer_init_options_set_mirror)
};

struct CofferCallbacks {
  coffer_progress_fn progress = nullptr;
  void* progress_user = nullptr;
  coffer_warning_fn warning = nullptr;
  void* warning_user = nullptr;
};

struct CofferStream {
  std::string path;
  coffer_read_fn read = nullptr;
  void* user = nullptr;
};

struct coffer_backup_options {
  std::vector<std::string> paths;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::string host;
  std::optional<std::string> cache_dir;
  bool files_cache = true;
  bool one_file_system = false;
  int threads = 0;
  std::vector<CofferStream> streams;
  CofferCallbacks callbacks;
};

struct coffer_restore_options {
  std::string snapshot = "latest";
  std::string target;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  bool overwrite = false;
  CofferCallbacks callbacks;
};

namespace coffer::capi {

// Exclusive use of a handle for one call. A handle that is already in use
// (another thread, or a callback calling back in) is a caller error that
// is reported instead of racing.
class HandleLease {
 public:
  explicit HandleLease(coffer_repo* repo) : repo_(repo), held_(repo->busy.try_lock()) {}
  ~HandleLease() {
    if (held_) repo_->busy.unlock();
  }
  HandleLease(const HandleLease&) = delete;
  HandleLease& operator=(const HandleLease&) = delete;
  bool held() const { return held_; }

 private:
  coffer_repo* repo_;
  bool held_;
};

coffer_status HandleBusy(coffer_error** err, const char* function);

// Engine callbacks that forward to the C callbacks.
ProgressFn MakeProgressFn(const CofferCallbacks& callbacks);
WarningFn MakeWarningFn(const CofferCallbacks& callbacks);

}  // namespace coffer::capi

// Opens the body of an entry point on `repo`: checks it and leases it.
#define COFFER_CAPI_LEASE(repo)                    \
  COFFER_CAPI_REQUIRE(repo);                       \
  ::coffer::capi::HandleLease coffer_lease_(repo); \
  if (!coffer_lease_.held()) return ::coffer::capi::HandleBusy(err, coffer_entry_)
