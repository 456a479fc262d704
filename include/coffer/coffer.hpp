// coffer.hpp — a thin, header-only C++17 wrapper over the C API in coffer.h.
//
// It adds nothing the C API lacks; it only makes it comfortable from C++:
//   * RAII: coffer::api::Repo, InitOptions, BackupOptions, RestoreOptions own
//     their C handles and are move-only.
//   * Errors are exceptions: every failing call throws coffer::api::Error,
//     which carries the coffer_status (code()) and the library's message
//     (what()). Nothing else is thrown except std::bad_alloc.
//   * Strings: results come back as std::string (JSON documents as the C
//     API documents them; parse them with any JSON library).
//   * Callbacks are std::function. An exception thrown by a callback never
//     crosses the C library: a throwing progress or read callback cancels or
//     fails the operation, and the exception is rethrown from the call
//     (backup/restore) once the library has returned.
//
// Thread-safety is that of the C API: one thread at a time per Repo.
#ifndef COFFER_COFFER_HPP
#define COFFER_COFFER_HPP

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "coffer/coffer.h"

namespace coffer {
namespace api {

// A failed call: code() is the C status, what() the library's message.
class Error : public std::runtime_error {
 public:
  Error(coffer_status code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  coffer_status code() const noexcept { return code_; }
  const char* code_name() const noexcept { return coffer_status_name(code_); }

 private:
  coffer_status code_;
};

namespace detail {

// Throws Error for a failed status, taking ownership of *errp. (A pointer,
// so that *errp is read after the call that fills it: function arguments
// are evaluated in no particular order.)
inline void Check(coffer_status status, coffer_error** errp) {
  coffer_error* err = *errp;
  *errp = nullptr;
  if (status == COFFER_OK) {
    coffer_error_free(err);
    return;
  }
  std::string message = err != nullptr ? coffer_error_message(err) : coffer_status_name(status);
  coffer_error_free(err);
  throw Error(status, message);
}

// Takes ownership of a string the library returned.
inline std::string Take(char* s) {
  std::unique_ptr<char, void (*)(void*)> owned(s, coffer_free);
  return s != nullptr ? std::string(s) : std::string();
}

inline const char* OrNull(const std::string* s) { return s != nullptr ? s->c_str() : nullptr; }

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};

}  // namespace detail

// A copy of the C progress report that outlives the callback.
struct Progress {
  coffer_phase phase = COFFER_PHASE_BACKUP;
  uint64_t files_done = 0, files_total = 0;
  uint64_t bytes_done = 0, bytes_total = 0;
  uint64_t errors = 0;
  bool totals_final = false;
  double elapsed_seconds = 0;
  std::string current_path;
};
// Return false to cancel the operation (it then throws Error with
// COFFER_ERROR_CANCELLED).
using ProgressFn = std::function<bool(const Progress&)>;
using WarningFn = std::function<void(const std::string& path, const std::string& message)>;
// Fill up to `cap` bytes; return the count, 0 at end, negative on error.
using ReadFn = std::function<int64_t(uint8_t* buf, size_t cap)>;

namespace detail {

// Callbacks live on the heap so that moving an options object does not
// invalidate the `user` pointers registered with the C library.
struct Callbacks {
  ProgressFn progress;
  WarningFn warning;
  std::vector<std::unique_ptr<ReadFn>> streams;
  std::exception_ptr failure;  // first exception a callback threw

  void Remember() noexcept {
    if (!failure) failure = std::current_exception();
  }
  void RethrowIfFailed() {
    if (failure) {
      std::exception_ptr e = failure;
      failure = nullptr;
      std::rethrow_exception(e);
    }
  }

  static int OnProgress(const coffer_progress* p, void* user) {
    auto* self = static_cast<Callbacks*>(user);
    try {
      Progress copy;
      copy.phase = static_cast<coffer_phase>(p->phase);
      copy.files_done = p->files_done;
      copy.files_total = p->files_total;
      copy.bytes_done = p->bytes_done;
      copy.bytes_total = p->bytes_total;
      copy.errors = p->errors;
      copy.totals_final = p->totals_final != 0;
      copy.elapsed_seconds = p->elapsed_seconds;
      copy.current_path = p->current_path != nullptr ? p->current_path : "";
      return self->progress(copy) ? 0 : 1;
    } catch (...) {
      self->Remember();
      return 1;
    }
  }
  static void OnWarning(const char* path, const char* message, void* user) {
    auto* self = static_cast<Callbacks*>(user);
    try {
      self->warning(path, message);
    } catch (...) {
      self->Remember();
    }
  }
  // `user` is a ReadFn*; its owner's Callbacks is not reachable from here,
  // so a throwing reader is reported as a read error.
  static int64_t OnRead(void* user, uint8_t* buf, size_t cap) {
    try {
      return (*static_cast<ReadFn*>(user))(buf, cap);
    } catch (...) {
      return -1;
    }
  }
};

}  // namespace detail

class InitOptions {
 public:
  InitOptions() : opts_(coffer_init_options_new()) {
    if (!opts_) throw std::bad_alloc();
  }
  InitOptions& chunker(uint32_t min_size, uint32_t avg_size, uint32_t max_size) {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_chunker(opts_.get(), min_size, avg_size, max_size, &err),
                  &err);
    return *this;
  }
  InitOptions& compression(const std::string& name, int level = 0) {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_compression(opts_.get(), name.c_str(), level, &err),
                  &err);
    return *this;
  }
  InitOptions& pack_size(uint32_t bytes) {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_pack_size(opts_.get(), bytes, &err), &err);
    return *this;
  }
  InitOptions& kdf(uint64_t ops_limit, uint64_t mem_limit_bytes) {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_kdf(opts_.get(), ops_limit, mem_limit_bytes, &err), &err);
    return *this;
  }
  InitOptions& data_cipher(const std::string& name) {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_data_cipher(opts_.get(), name.c_str(), &err), &err);
    return *this;
  }
  InitOptions& key_label(const std::string& label) {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_key_label(opts_.get(), label.c_str(), &err), &err);
    return *this;
  }
  // A mirror of the open repository `source` (coffer_init_options_set_copy_keys_from).
  InitOptions& copy_keys_from(coffer_repo* source) {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_copy_keys_from(opts_.get(), source, &err), &err);
    return *this;
  }
  // Object lock for every object (coffer_init_options_set_retention_lock).
  InitOptions& retention_lock(uint32_t days, const std::string& mode = "governance") {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_retention_lock(opts_.get(), days, mode.c_str(), &err), &err);
    return *this;
  }
  // Create the repository at a replica location too (coffer_init_options_set_mirror).
  InitOptions& mirror(const std::string& mirror_location) {
    coffer_error* err = nullptr;
    detail::Check(coffer_init_options_set_mirror(opts_.get(), mirror_location.c_str(), &err), &err);
    return *this;
  }
  const coffer_init_options* get() const { return opts_.get(); }

 private:
  std::unique_ptr<coffer_init_options,
                  detail::Deleter<coffer_init_options, coffer_init_options_free>>
      opts_;
};

class BackupOptions {
 public:
  BackupOptions() : opts_(coffer_backup_options_new()), callbacks_(new detail::Callbacks) {
    if (!opts_) throw std::bad_alloc();
  }
  BackupOptions& add_path(const std::string& path) {
    coffer_error* err = nullptr;
    detail::Check(coffer_backup_options_add_path(opts_.get(), path.c_str(), &err), &err);
    return *this;
  }
  BackupOptions& add_include(const std::string& pattern) {
    coffer_error* err = nullptr;
    detail::Check(coffer_backup_options_add_include(opts_.get(), pattern.c_str(), &err), &err);
    return *this;
  }
  BackupOptions& add_exclude(const std::string& pattern) {
    coffer_error* err = nullptr;
    detail::Check(coffer_backup_options_add_exclude(opts_.get(), pattern.c_str(), &err), &err);
    return *this;
  }
  // What, how and what not to back up, from a policy document (see
  // coffer_backup_options_apply_policy); coffer::Error when it is invalid.
  BackupOptions& apply_policy(const std::string& policy_json) {
    coffer_error* err = nullptr;
    detail::Check(coffer_backup_options_apply_policy(opts_.get(), policy_json.c_str(), &err), &err);
    return *this;
  }
  BackupOptions& add_tag(const std::string& tag) {
    coffer_error* err = nullptr;
    detail::Check(coffer_backup_options_add_tag(opts_.get(), tag.c_str(), &err), &err);
    return *this;
  }
  BackupOptions& host(const std::string& host) {
    coffer_error* err = nullptr;
    detail::Check(coffer_backup_options_set_host(opts_.get(), host.c_str(), &err), &err);
    return *this;
  }
  BackupOptions& cache_dir(const std::string& dir) {
    coffer_error* err = nullptr;
    detail::Check(coffer_backup_options_set_cache_dir(opts_.get(), dir.c_str(), &err), &err);
    return *this;
  }
  BackupOptions& files_cache(bool enabled) {
    coffer_backup_options_set_files_cache(opts_.get(), enabled ? 1 : 0);
    return *this;
  }
  BackupOptions& one_file_system(bool enabled) {
    coffer_backup_options_set_one_file_system(opts_.get(), enabled ? 1 : 0);
    return *this;
  }
  BackupOptions& threads(int n) {
    coffer_backup_options_set_threads(opts_.get(), n);
    return *this;
  }
  // `read` is kept alive by this object until it is destroyed.
  BackupOptions& add_stream(const std::string& path_in_snapshot, ReadFn read) {
    auto holder = std::make_unique<ReadFn>(std::move(read));
    coffer_error* err = nullptr;
    detail::Check(coffer_backup_options_add_stream(opts_.get(), path_in_snapshot.c_str(),
                                                   &detail::Callbacks::OnRead, holder.get(), &err),
                  &err);
    callbacks_->streams.push_back(std::move(holder));
    return *this;
  }
  BackupOptions& progress(ProgressFn fn) {
    callbacks_->progress = std::move(fn);
    coffer_backup_options_set_progress(
        opts_.get(), callbacks_->progress ? &detail::Callbacks::OnProgress : nullptr,
        callbacks_.get());
    return *this;
  }
  BackupOptions& warning(WarningFn fn) {
    callbacks_->warning = std::move(fn);
    coffer_backup_options_set_warning(opts_.get(),
                                      callbacks_->warning ? &detail::Callbacks::OnWarning : nullptr,
                                      callbacks_.get());
    return *this;
  }
  const coffer_backup_options* get() const { return opts_.get(); }
  detail::Callbacks& callbacks() const { return *callbacks_; }

 private:
  std::unique_ptr<coffer_backup_options,
                  detail::Deleter<coffer_backup_options, coffer_backup_options_free>>
      opts_;
  std::unique_ptr<detail::Callbacks> callbacks_;
};

class RestoreOptions {
 public:
  RestoreOptions() : opts_(coffer_restore_options_new()), callbacks_(new detail::Callbacks) {
    if (!opts_) throw std::bad_alloc();
  }
  RestoreOptions& snapshot(const std::string& ref) {
    coffer_error* err = nullptr;
    detail::Check(coffer_restore_options_set_snapshot(opts_.get(), ref.c_str(), &err), &err);
    return *this;
  }
  RestoreOptions& target(const std::string& dir) {
    coffer_error* err = nullptr;
    detail::Check(coffer_restore_options_set_target(opts_.get(), dir.c_str(), &err), &err);
    return *this;
  }
  RestoreOptions& add_include(const std::string& path) {
    coffer_error* err = nullptr;
    detail::Check(coffer_restore_options_add_include(opts_.get(), path.c_str(), &err), &err);
    return *this;
  }
  RestoreOptions& add_exclude(const std::string& pattern) {
    coffer_error* err = nullptr;
    detail::Check(coffer_restore_options_add_exclude(opts_.get(), pattern.c_str(), &err), &err);
    return *this;
  }
  RestoreOptions& overwrite(bool enabled) {
    coffer_restore_options_set_overwrite(opts_.get(), enabled ? 1 : 0);
    return *this;
  }
  RestoreOptions& progress(ProgressFn fn) {
    callbacks_->progress = std::move(fn);
    coffer_restore_options_set_progress(
        opts_.get(), callbacks_->progress ? &detail::Callbacks::OnProgress : nullptr,
        callbacks_.get());
    return *this;
  }
  RestoreOptions& warning(WarningFn fn) {
    callbacks_->warning = std::move(fn);
    coffer_restore_options_set_warning(
        opts_.get(), callbacks_->warning ? &detail::Callbacks::OnWarning : nullptr,
        callbacks_.get());
    return *this;
  }
  const coffer_restore_options* get() const { return opts_.get(); }
  detail::Callbacks& callbacks() const { return *callbacks_; }

 private:
  std::unique_ptr<coffer_restore_options,
                  detail::Deleter<coffer_restore_options, coffer_restore_options_free>>
      opts_;
  std::unique_ptr<detail::Callbacks> callbacks_;
};

// An open repository. Methods mirror the C functions of the same name and
// return their JSON documents as strings.
class Repo {
 public:
  static Repo Init(const std::string& location, const std::string& password,
                   const InitOptions* options = nullptr) {
    coffer_repo* repo = nullptr;
    coffer_error* err = nullptr;
    detail::Check(coffer_repo_init(location.c_str(), password.c_str(),
                                   options != nullptr ? options->get() : nullptr, &repo, &err),
                  &err);
    return Repo(repo);
  }
  static Repo Open(const std::string& location, const std::string& password) {
    coffer_repo* repo = nullptr;
    coffer_error* err = nullptr;
    detail::Check(coffer_repo_open(location.c_str(), password.c_str(), &repo, &err), &err);
    return Repo(repo);
  }

  // Opens through a mirror store (coffer_repo_open_mirrored).
  static Repo OpenMirrored(const std::string& location, const std::string& mirror_location,
                           const std::string& password) {
    coffer_repo* repo = nullptr;
    coffer_error* err = nullptr;
    detail::Check(coffer_repo_open_mirrored(location.c_str(), mirror_location.c_str(),
                                            password.c_str(), &repo, &err),
                  &err);
    return Repo(repo);
  }

  std::string info() { return Json(coffer_repo_info, handle()); }
  std::string mirror_sync() { return Json(coffer_mirror_sync, handle()); }
  std::string mirror_status() { return Json(coffer_mirror_status, handle()); }

  // Backup result JSON (see coffer_backup). A throwing callback's exception
  // is rethrown here.
  std::string backup(const BackupOptions& options) {
    return RunWithCallbacks(options.callbacks(), [&](char** out, coffer_error** err) {
      return coffer_backup(handle(), options.get(), out, err);
    });
  }
  std::string restore(const RestoreOptions& options) {
    return RunWithCallbacks(options.callbacks(), [&](char** out, coffer_error** err) {
      return coffer_restore(handle(), options.get(), out, err);
    });
  }

  // `filter_json` empty means no filter.
  std::string snapshots_list(const std::string& filter_json = "") {
    return Json(coffer_snapshots_list, handle(),
                filter_json.empty() ? nullptr : filter_json.c_str());
  }
  // "latest", an id or a unique prefix.
  std::string snapshot_get(const std::string& snapshot_ref = "latest") {
    return Json(coffer_snapshot_get, handle(), snapshot_ref.c_str());
  }
  std::string snapshot_ls(const std::string& snapshot_ref, const std::string& path = "/",
                          bool recursive = false) {
    return Json(coffer_snapshot_ls, handle(), snapshot_ref.c_str(), path.c_str(),
                recursive ? 1 : 0);
  }
  std::string find(const std::string& pattern, const std::string& filter_json = "") {
    return Json(coffer_find, handle(), pattern.c_str(),
                filter_json.empty() ? nullptr : filter_json.c_str());
  }
  std::string stats(const std::string& filter_json = "") {
    return Json(coffer_stats, handle(), filter_json.empty() ? nullptr : filter_json.c_str());
  }

  // Maintenance; options are JSON documents ("" means defaults).
  std::string forget(const std::string& options_json) {
    return Json(coffer_forget, handle(), options_json.c_str());
  }
  std::string prune(const std::string& options_json = "") {
    return Json(coffer_prune, handle(), options_json.empty() ? nullptr : options_json.c_str());
  }
  std::string check(const std::string& options_json = "") {
    return Json(coffer_check, handle(), options_json.empty() ? nullptr : options_json.c_str());
  }
  // check with a progress callback (coffer_check_with_progress): returning
  // false or throwing stops it; a thrown exception is rethrown here.
  std::string check(const std::string& options_json, ProgressFn progress) {
    detail::Callbacks callbacks;
    callbacks.progress = std::move(progress);
    return RunWithCallbacks(callbacks, [&](char** out, coffer_error** err) {
      return coffer_check_with_progress(
          handle(), options_json.empty() ? nullptr : options_json.c_str(),
          callbacks.progress ? &detail::Callbacks::OnProgress : nullptr, &callbacks, out, err);
    });
  }
  std::string repair(const std::string& options_json = "") {
    return Json(coffer_repair, handle(), options_json.empty() ? nullptr : options_json.c_str());
  }
  std::string unlock(bool remove_all = false) { return Json(coffer_unlock, handle(), remove_all ? 1 : 0); }

  // Returns the new key slot's id.
  std::string key_add(const std::string& new_password, const std::string& label = "",
                      bool write_only = false) {
    return Json(coffer_key_add, handle(), new_password.c_str(), label.c_str(), write_only ? 1 : 0);
  }
  std::string key_list() { return Json(coffer_key_list, handle()); }
  void key_remove(const std::string& id_or_prefix) {
    coffer_error* err = nullptr;
    detail::Check(coffer_key_remove(handle(), id_or_prefix.c_str(), &err), &err);
  }
  void key_change_password(const std::string& new_password) {
    coffer_error* err = nullptr;
    detail::Check(coffer_key_change_password(handle(), new_password.c_str(), &err), &err);
  }
  void set_kdf(uint64_t ops_limit, uint64_t mem_limit_bytes) {
    coffer_error* err = nullptr;
    detail::Check(coffer_repo_set_kdf(handle(), ops_limit, mem_limit_bytes, &err), &err);
  }

  // Copies snapshots from `source` into this repository (coffer_copy).
  std::string copy_from(Repo& source, const std::string& options_json = "") {
    return Json(coffer_copy, handle(), source.handle(),
                options_json.empty() ? nullptr : options_json.c_str());
  }

  void set_lock_wait(int64_t seconds) {
    coffer_error* err = nullptr;
    detail::Check(coffer_repo_set_lock_wait(handle(), seconds, &err), &err);
  }

  // The local index cache's directory; disable_cache() turns it off.
  void set_cache_dir(const std::string& dir) {
    coffer_error* err = nullptr;
    detail::Check(coffer_repo_set_cache_dir(handle(), dir.c_str(), &err), &err);
  }
  void disable_cache() {
    coffer_error* err = nullptr;
    detail::Check(coffer_repo_set_cache_dir(handle(), nullptr, &err), &err);
  }

  coffer_repo* handle() const {
    if (!repo_)
      throw Error(COFFER_ERROR_INVALID_ARGUMENT, "coffer::api::Repo is empty (moved from)");
    return repo_.get();
  }

 private:
  explicit Repo(coffer_repo* repo) : repo_(repo) {}

  // Calls fn(args..., &out, &err) and returns the string it produced.
  template <typename Fn, typename... Args>
  static std::string Json(Fn fn, Args... args) {
    char* out = nullptr;
    coffer_error* err = nullptr;
    detail::Check(fn(args..., &out, &err), &err);
    return detail::Take(out);
  }

  template <typename Call>
  static std::string RunWithCallbacks(detail::Callbacks& callbacks, Call call) {
    char* out = nullptr;
    coffer_error* err = nullptr;
    callbacks.failure = nullptr;
    coffer_status status = call(&out, &err);
    std::string result = detail::Take(out);
    if (callbacks.failure) {
      coffer_error_free(err);
      err = nullptr;
      callbacks.RethrowIfFailed();
    }
    detail::Check(status, &err);
    return result;
  }

  std::unique_ptr<coffer_repo, detail::Deleter<coffer_repo, coffer_repo_close>> repo_;
};

inline std::string Version() { return coffer_version(); }

}  // namespace api
}  // namespace coffer

#endif  // COFFER_COFFER_HPP
