// The option objects: constructors, destructors and setters. Setters that
// take strings copy them; NULL strings are INVALID_ARGUMENT.
#include <new>

#include "capi/error.h"
#include "capi/handles.h"
#include "compress/codec.h"
#include "crypto/aead.h"
#include "crypto/password_kdf.h"

using coffer::capi::Cat;
using coffer::capi::Fail;
using coffer::capi::Guard;
using coffer::capi::NullArgument;

namespace {

template <typename T>
T* NewOptions() noexcept {
  return new (std::nothrow) T();
}

// The body of every setter that appends a non-empty string to a list:
// `argument` is the parameter's name and `what` describes it in messages.
template <typename Options>
coffer_status AppendNonEmpty(const char* entry, Options* opts,
                             std::vector<std::string> Options::*list, const char* value,
                             const char* argument, const char* what, coffer_error** err) {
  return Guard(err, [&]() -> coffer_status {
    if (opts == nullptr) return NullArgument(err, entry, "opts");
    if (value == nullptr) return NullArgument(err, entry, argument);
    if (*value == '\0') return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, Cat(what, " is empty"));
    (opts->*list).emplace_back(value);
    return COFFER_OK;
  });
}

}  // namespace

extern "C" {

// ---- init options ----------------------------------------------------------

COFFER_API coffer_init_options* coffer_init_options_new(void) {
  try {
    return NewOptions<coffer_init_options>();
  } catch (...) {  // NewKdfParams allocates a salt
    return nullptr;
  }
}

COFFER_API void coffer_init_options_free(coffer_init_options* opts) { delete opts; }

COFFER_API coffer_status coffer_init_options_set_chunker(coffer_init_options* opts,
                                                         uint32_t min_size, uint32_t avg_size,
                                                         uint32_t max_size, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    coffer::ChunkerParams params{min_size, avg_size, max_size};
    absl::Status valid = coffer::ValidateChunkerParams(params);
    if (!valid.ok())
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, Cat("chunker sizes: ", valid.message()));
    opts->init.chunker = params;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_init_options_set_compression(coffer_init_options* opts,
                                                             const char* name, int level,
                                                             coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(name);
    std::optional<coffer::Codec> codec = coffer::ParseCodecName(name);
    if (!codec)
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  Cat("unknown compression \"", name, "\" (expected lz4, zstd or none)"));
    if (level < 0 || level > 22)
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  Cat("compression level ", level, " is out of range (0..22)"));
    opts->init.compression = coffer::Compression{*codec, level};
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_init_options_set_pack_size(coffer_init_options* opts,
                                                           uint32_t bytes, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    if (bytes < (1u << 20) || bytes > (1u << 30))
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  Cat("pack size ", bytes, " bytes is out of range (1 MiB .. 1 GiB)"));
    opts->init.pack_size = bytes;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_init_options_set_kdf(coffer_init_options* opts, uint64_t ops_limit,
                                                     uint64_t mem_limit_bytes, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    coffer::KdfParams params = opts->init.kdf;
    params.ops_limit = ops_limit;
    params.mem_limit = mem_limit_bytes;
    absl::Status valid = coffer::ValidateKdfParams(params);
    if (!valid.ok())
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, Cat("key derivation: ", valid.message()));
    opts->init.kdf = params;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_init_options_set_data_cipher(coffer_init_options* opts,
                                                             const char* name, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(name);
    std::optional<coffer::Cipher> cipher = coffer::ParseCipherName(name);
    if (!cipher)
      return Fail(
          err, COFFER_ERROR_INVALID_ARGUMENT,
          Cat("unknown data cipher \"", name, "\" (expected aes-256-gcm or xchacha20-poly1305)"));
    opts->init.data_cipher = *cipher;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_init_options_set_key_label(coffer_init_options* opts,
                                                           const char* label, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(label);
    opts->init.slot_info.label = label;
    return COFFER_OK;
  });
}

// ---- backup options --------------------------------------------------------

COFFER_API coffer_backup_options* coffer_backup_options_new(void) {
  return NewOptions<coffer_backup_options>();
}

COFFER_API void coffer_backup_options_free(coffer_backup_options* opts) { delete opts; }

COFFER_API coffer_status coffer_backup_options_add_path(coffer_backup_options* opts,
                                                        const char* path, coffer_error** err) {
  return AppendNonEmpty(__func__, opts, &coffer_backup_options::paths, path, "path", "backup path",
                        err);
}

COFFER_API coffer_status coffer_backup_options_add_exclude(coffer_backup_options* opts,
                                                           const char* pattern,
                                                           coffer_error** err) {
  return AppendNonEmpty(__func__, opts, &coffer_backup_options::excludes, pattern, "pattern",
                        "exclude pattern", err);
}

COFFER_API coffer_status coffer_backup_options_add_include(coffer_backup_options* opts,
                                                           const char* pattern,
                                                           coffer_error** err) {
  return AppendNonEmpty(__func__, opts, &coffer_backup_options::includes, pattern, "pattern",
                        "include pattern", err);
}

COFFER_API coffer_status coffer_backup_options_add_tag(coffer_backup_options* opts, const char* tag,
                                                       coffer_error** err) {
  return AppendNonEmpty(__func__, opts, &coffer_backup_options::tags, tag, "tag", "tag", err);
}

COFFER_API coffer_status coffer_backup_options_set_host(coffer_backup_options* opts,
                                                        const char* host, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(host);
    opts->host = host;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_backup_options_set_cache_dir(coffer_backup_options* opts,
                                                             const char* dir, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(dir);
    if (*dir == '\0') return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "cache directory is empty");
    opts->cache_dir = dir;
    return COFFER_OK;
  });
}

COFFER_API void coffer_backup_options_set_files_cache(coffer_backup_options* opts, int enabled) {
  if (opts != nullptr) opts->files_cache = enabled != 0;
}

COFFER_API void coffer_backup_options_set_one_file_system(coffer_backup_options* opts,
                                                          int enabled) {
  if (opts != nullptr) opts->one_file_system = enabled != 0;
}

COFFER_API void coffer_backup_options_set_threads(coffer_backup_options* opts, int threads) {
  if (opts != nullptr) opts->threads = threads < 0 ? 0 : threads;
}

COFFER_API coffer_status coffer_backup_options_add_stream(coffer_backup_options* opts,
                                                          const char* path_in_snapshot,
                                                          coffer_read_fn read, void* user,
                                                          coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(path_in_snapshot);
    if (read == nullptr) return NullArgument(err, coffer_entry_, "read");
    std::string path = path_in_snapshot;
    if (path.empty() || path == "/")
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "stream path in the snapshot is empty");
    if (path.front() != '/') path.insert(path.begin(), '/');
    opts->streams.push_back(CofferStream{std::move(path), read, user});
    return COFFER_OK;
  });
}

COFFER_API void coffer_backup_options_set_progress(coffer_backup_options* opts,
                                                   coffer_progress_fn fn, void* user) {
  if (opts == nullptr) return;
  opts->callbacks.progress = fn;
  opts->callbacks.progress_user = user;
}

COFFER_API void coffer_backup_options_set_warning(coffer_backup_options* opts, coffer_warning_fn fn,
                                                  void* user) {
  if (opts == nullptr) return;
  opts->callbacks.warning = fn;
  opts->callbacks.warning_user = user;
}

// ---- restore options -------------------------------------------------------

COFFER_API coffer_restore_options* coffer_restore_options_new(void) {
  try {
    return NewOptions<coffer_restore_options>();
  } catch (...) {  // the default snapshot string may allocate
    return nullptr;
  }
}

COFFER_API void coffer_restore_options_free(coffer_restore_options* opts) { delete opts; }

COFFER_API coffer_status coffer_restore_options_set_snapshot(coffer_restore_options* opts,
                                                             const char* snapshot_ref,
                                                             coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(snapshot_ref);
    if (*snapshot_ref == '\0')
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "snapshot reference is empty");
    opts->snapshot = snapshot_ref;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_restore_options_set_target(coffer_restore_options* opts,
                                                           const char* dir, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    COFFER_CAPI_REQUIRE(dir);
    if (*dir == '\0')
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "restore target directory is empty");
    opts->target = dir;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_restore_options_add_include(coffer_restore_options* opts,
                                                            const char* path, coffer_error** err) {
  return AppendNonEmpty(__func__, opts, &coffer_restore_options::includes, path, "path",
                        "include path", err);
}

COFFER_API coffer_status coffer_restore_options_add_exclude(coffer_restore_options* opts,
                                                            const char* pattern,
                                                            coffer_error** err) {
  return AppendNonEmpty(__func__, opts, &coffer_restore_options::excludes, pattern, "pattern",
                        "exclude pattern", err);
}

COFFER_API void coffer_restore_options_set_overwrite(coffer_restore_options* opts, int enabled) {
  if (opts != nullptr) opts->overwrite = enabled != 0;
}

COFFER_API void coffer_restore_options_set_progress(coffer_restore_options* opts,
                                                    coffer_progress_fn fn, void* user) {
  if (opts == nullptr) return;
  opts->callbacks.progress = fn;
  opts->callbacks.progress_user = user;
}

COFFER_API void coffer_restore_options_set_warning(coffer_restore_options* opts,
                                                   coffer_warning_fn fn, void* user) {
  if (opts == nullptr) return;
  opts->callbacks.warning = fn;
  opts->callbacks.warning_user = user;
}

}  // extern "C"
