/*
 * coffer.h — the public C API of coffer, an embeddable encrypted,
 * deduplicating backup engine.
 *
 * This header is the manual: every function is documented above its
 * declaration. It compiles as C99 and as C++ and is the only header a program
 * needs (coffer.hpp is an optional C++17 convenience wrapper over it).
 *
 * ---------------------------------------------------------------------------
 * Conventions (they hold for every function unless its comment says otherwise)
 * ---------------------------------------------------------------------------
 *
 * Errors. Every fallible function returns a coffer_status and takes a last
 * parameter `coffer_error** err`. On success it returns COFFER_OK and leaves
 * *err untouched. On failure it returns the status code and, when err is not
 * NULL, stores in *err a new error object carrying the same code and a
 * message that names what went wrong (which argument, path, object or
 * option). The caller owns that object and frees it with coffer_error_free().
 * Passing err == NULL is allowed: the code alone is then returned. The
 * library never aborts and no C++ exception ever leaves it.
 *
 * Memory. Strings the library returns through `char**` out-parameters (JSON
 * documents, key ids) are NUL-terminated, UTF-8, allocated by the library
 * and freed with coffer_free(). On failure such out-parameters are set to
 * NULL. Strings passed *in* are only read during the call (setters copy
 * them); they must be NUL-terminated.
 *
 * JSON. Results are JSON documents (RFC 8259) so the API can grow fields
 * without breaking the ABI. Readers must ignore fields they do not know.
 * Byte counts are integers; times are given both as RFC 3339 strings in UTC
 * with nanoseconds ("2026-03-01T12:00:00.123456789Z") and as integers of
 * nanoseconds since the Unix epoch. File names that are not valid UTF-8 are
 * shown with U+FFFD replacement characters.
 *
 * Thread-safety. Functions without a handle argument (version, status names,
 * error accessors on distinct objects, option constructors) may be called
 * from any thread at any time. A coffer_repo handle must not be used by two
 * threads at once: serialise calls per handle. (As a safety net, a call that
 * finds its handle busy fails with COFFER_ERROR_INVALID_ARGUMENT instead of
 * corrupting state; this includes calling into the same handle from inside
 * one of its own callbacks.) Different handles, even on the same repository,
 * are independent and may be used concurrently. Option objects are not
 * synchronised: do not modify one while another thread uses it. Callbacks
 * may be invoked from a thread other than the caller's, but never
 * concurrently with each other for one operation.
 *
 * Stability. Declarations outside the COFFER_EXPERIMENTAL section are
 * stable: their names, signatures, enum values and documented JSON fields
 * keep their meaning across releases with the same major version.
 * Declarations inside it exist only when COFFER_EXPERIMENTAL is defined
 * before including this header, and may change in any release.
 */
#ifndef COFFER_COFFER_H
#define COFFER_COFFER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols are exported from the shared library; everything else in it is
 * hidden. COFFER_BUILDING_LIBRARY is defined only while building coffer. */
#if defined(COFFER_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define COFFER_API __attribute__((visibility("default")))
#else
#define COFFER_API
#endif

/* ==========================================================================
 * Version
 * ========================================================================== */

#define COFFER_VERSION_MAJOR 0
#define COFFER_VERSION_MINOR 1
#define COFFER_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, e.g. 100 for 0.1.0. */
#define COFFER_VERSION_NUMBER \
  (COFFER_VERSION_MAJOR * 10000 + COFFER_VERSION_MINOR * 100 + COFFER_VERSION_PATCH)
#define COFFER_VERSION_STRINGIFY_(x) #x
#define COFFER_VERSION_STRINGIFY(x) COFFER_VERSION_STRINGIFY_(x)
#define COFFER_VERSION_STRING                                                      \
  COFFER_VERSION_STRINGIFY(COFFER_VERSION_MAJOR)                                   \
  "." COFFER_VERSION_STRINGIFY(COFFER_VERSION_MINOR) "." COFFER_VERSION_STRINGIFY( \
      COFFER_VERSION_PATCH)

/* The version of the library actually linked, as "MAJOR.MINOR.PATCH" (a
 * static string, never freed) and as a number comparable with
 * COFFER_VERSION_NUMBER, so a program can detect header/library skew. */
COFFER_API const char* coffer_version(void);
COFFER_API unsigned coffer_version_number(void);

/* ==========================================================================
 * Status codes and errors
 *
 * Thread-safety: coffer_status_name() and coffer_version*() may be called
 * from any thread. An error object belongs to the caller that received it;
 * distinct error objects may be used from different threads.
 * ========================================================================== */

/* The outcome of a call. The numbers are part of the ABI and never change;
 * new codes may be added at the end. */
typedef enum coffer_status {
  COFFER_OK = 0,
  COFFER_ERROR_INVALID_ARGUMENT = 1,  /* a bad argument, option or pattern */
  COFFER_ERROR_NOT_FOUND = 2,         /* no repository, snapshot, path or key */
  COFFER_ERROR_ALREADY_EXISTS = 3,    /* e.g. init where a repository exists */
  COFFER_ERROR_WRONG_PASSWORD = 4,    /* no key slot opens with the password */
  COFFER_ERROR_PERMISSION_DENIED = 5, /* OS/store refused, or a write-only key */
  COFFER_ERROR_CORRUPT = 6,           /* damaged or tampered repository data */
  COFFER_ERROR_LOCKED = 7,            /* another process holds a conflicting lock */
  COFFER_ERROR_IO = 8,                /* store or network failure (maybe transient) */
  COFFER_ERROR_CANCELLED = 9,         /* a progress callback asked to stop */
  COFFER_ERROR_UNSUPPORTED = 10,      /* unknown format version, feature or scheme */
  COFFER_ERROR_NO_SPACE = 11,         /* disk, quota or memory exhausted */
  COFFER_ERROR_INTERNAL = 12,         /* a bug in coffer: please report it */
  COFFER_ERROR_STORE_AUTH = 13        /* the storage service refused the credentials
                                         (cloud key, SAS or access token) */
} coffer_status;

/* A constant name for a status ("COFFER_ERROR_NOT_FOUND"), never NULL;
 * "COFFER_ERROR_UNKNOWN" for values this version does not know. */
COFFER_API const char* coffer_status_name(coffer_status status);

/* The details of a failure. Created by a failing call when its `err`
 * argument is not NULL; owned by the caller; freed with coffer_error_free(). */
typedef struct coffer_error coffer_error;

/* The error's status code (COFFER_ERROR_INTERNAL when err is NULL). */
COFFER_API coffer_status coffer_error_code(const coffer_error* err);

/* A human-readable, single-line English message naming what went wrong,
 * without a trailing newline. Valid until coffer_error_free(err). Returns ""
 * when err is NULL. */
COFFER_API const char* coffer_error_message(const coffer_error* err);

/* Frees an error object. NULL is allowed. */
COFFER_API void coffer_error_free(coffer_error* err);

/* Frees memory the library returned through a `char**` out-parameter.
 * NULL is allowed. Never use free() on such memory. */
COFFER_API void coffer_free(void* p);

/* ==========================================================================
 * Callbacks
 *
 * Thread-safety: during one operation the library calls its callbacks one
 * at a time (never concurrently), possibly from a thread other than the
 * caller's. A callback must not call into the coffer_repo that is running
 * the operation (such calls fail with COFFER_ERROR_INVALID_ARGUMENT).
 * ========================================================================== */

/* A source of bytes for a stream backup (see coffer_backup_options_add_stream).
 * Fills up to `cap` bytes of `buf` and returns how many it wrote (> 0), 0 at
 * the end of the stream, or a negative value on error (the stream is then
 * recorded as an error in the snapshot, which is marked partial). Called from
 * one thread at a time, sequentially, during coffer_backup(). */
typedef int64_t (*coffer_read_fn)(void* user, uint8_t* buf, size_t cap);

/* What a long operation is doing. New phases may be added at the end:
 * treat an unknown value as "working". */
typedef enum coffer_phase {
  COFFER_PHASE_SCANNING = 0,  /* counting files before/while backing up */
  COFFER_PHASE_BACKUP = 1,    /* reading, chunking, uploading */
  COFFER_PHASE_RESTORE = 2,   /* writing files */
  COFFER_PHASE_FINISHING = 3, /* flushing packs, index and snapshot */
  COFFER_PHASE_VERIFYING = 4  /* coffer_check_with_progress(): reading trees,
                                 then packs (see there) */
} coffer_phase;

/* A progress report. Valid only during the callback: copy what you keep.
 * New fields may be appended at the end; `struct_size` is the size of the
 * struct the library filled in, so check it before reading a field added in
 * a later version. */
typedef struct coffer_progress {
  uint32_t struct_size; /* sizeof(coffer_progress) of the library */
  int phase;            /* a coffer_phase */
  uint64_t files_done;
  uint64_t files_total; /* grows while totals_final is 0 */
  uint64_t bytes_done;
  uint64_t bytes_total; /* grows while totals_final is 0 */
  uint64_t errors;      /* files that could not be read or written so far */
  int totals_final;     /* non-zero once the totals are known */
  double elapsed_seconds;
  const char* current_path; /* the file being processed, or "" */
} coffer_progress;

/* Called about every 100 ms during backup and restore, and once at the end.
 * Return 0 to continue, non-zero to cancel: the operation then stops as soon
 * as it can and fails with COFFER_ERROR_CANCELLED, leaving the repository as
 * it was (no snapshot is written). It is safe to return non-zero from a
 * signal-driven flag. Must not call into the same coffer_repo. */
typedef int (*coffer_progress_fn)(const coffer_progress* progress, void* user);

/* Reports a non-fatal problem (an unreadable file, a skipped socket, an
 * owner that could not be restored). `path` and `message` are valid only
 * during the call. Must not call into the same coffer_repo. */
typedef void (*coffer_warning_fn)(const char* path, const char* message, void* user);

/* ==========================================================================
 * Repository
 *
 * A repository is addressed by a location: a local path ("/backups/repo",
 * created on init if missing), "file:///abs/path", or other URL schemes as
 * their stores become available.
 *
 * Thread-safety: coffer_repo_init() and coffer_repo_open() may run
 * concurrently from any threads; each returns a new, independent handle.
 * Every function that takes a coffer_repo must be serialised per handle,
 * and coffer_repo_close() must not race with any other call on that handle.
 * Option objects are used by one thread at a time; one may serve several
 * calls and is freed (by its owner) once no call uses it.
 * ========================================================================== */

/* An open repository: its store, the keys of one key slot and its config. */
typedef struct coffer_repo coffer_repo;

/* Options for coffer_repo_init(). Create with coffer_init_options_new(),
 * free with coffer_init_options_free() (NULL allowed). A NULL return means
 * out of memory. Defaults: chunks 512 KiB / 1 MiB / 8 MiB, zstd compression (level 3),
 * 4 MiB packs on a local disk and 32 MiB on S3, Azure, GCS and coffer-server
 * (fewer billed requests), Argon2id with 4 passes over 56 MiB, AES-256-GCM when the CPU
 * accelerates it and XChaCha20-Poly1305 otherwise. Setters validate what
 * they can at once (INVALID_ARGUMENT naming the option); combinations are
 * checked by coffer_repo_init(). */
typedef struct coffer_init_options coffer_init_options;
COFFER_API coffer_init_options* coffer_init_options_new(void);
COFFER_API void coffer_init_options_free(coffer_init_options* opts);

/* Content-defined chunk sizes in bytes: 64 <= min < avg < max <= 64 MiB, avg
 * a power of two. Fixed for the repository's lifetime. */
COFFER_API coffer_status coffer_init_options_set_chunker(coffer_init_options* opts,
                                                         uint32_t min_size, uint32_t avg_size,
                                                         uint32_t max_size, coffer_error** err);
/* Compression of new data: "lz4", "zstd" or "none". `level` 0 is the codec's
 * default (zstd: 3); lz4 and none ignore it. */
COFFER_API coffer_status coffer_init_options_set_compression(coffer_init_options* opts,
                                                             const char* name, int level,
                                                             coffer_error** err);
/* Target size of a pack file in bytes: 1 MiB .. 1 GiB. */
COFFER_API coffer_status coffer_init_options_set_pack_size(coffer_init_options* opts,
                                                           uint32_t bytes, coffer_error** err);
/* Argon2id cost of the first key slot: passes 1..16, memory 8 KiB .. 4 GiB
 * in bytes. Lower costs make a stolen repository's password easier to guess:
 * lower them only for tests or tiny devices. */
COFFER_API coffer_status coffer_init_options_set_kdf(coffer_init_options* opts, uint64_t ops_limit,
                                                     uint64_t mem_limit_bytes, coffer_error** err);
/* Cipher for packs and snapshots: "aes-256-gcm" or "xchacha20-poly1305". */
COFFER_API coffer_status coffer_init_options_set_data_cipher(coffer_init_options* opts,
                                                             const char* name, coffer_error** err);
/* Label recorded (in clear) on the first key slot, e.g. "admin". */
COFFER_API coffer_status coffer_init_options_set_key_label(coffer_init_options* opts,
                                                           const char* label, coffer_error** err);

/* Object lock (immutability): every object the repository writes, except
 * lock objects, is uploaded under retention for `days` days (1..36500; 0
 * turns it off) in `mode` "governance" (privileged users may still lift it)
 * or "compliance" (nobody can before it expires; NULL means governance).
 * Stored in the config, so every client honours it. S3 uploads carry
 * x-amz-object-lock-mode and -retain-until-date, Azure uploads a blob
 * immutability policy, GCS uploads an object retention; the bucket or
 * container must have the feature enabled first (see README). Prune never
 * deletes an object still under retention and extends the retention of
 * what it keeps. coffer_repo_init() fails with INVALID_ARGUMENT for a store
 * that cannot lock objects (a local directory). */
COFFER_API coffer_status coffer_init_options_set_retention_lock(coffer_init_options* opts,
                                                                uint32_t days, const char* mode,
                                                                coffer_error** err);

/* Creates a new repository at `location` protected by `password` (non-empty)
 * and opens it. `opts` may be NULL for the defaults. On success *out is a new
 * handle to close with coffer_repo_close(); on failure *out is NULL.
 * ALREADY_EXISTS when the location already holds a repository. */
COFFER_API coffer_status coffer_repo_init(const char* location, const char* password,
                                          const coffer_init_options* opts, coffer_repo** out,
                                          coffer_error** err);

/* Opens an existing repository with the password of any of its key slots.
 * NOT_FOUND when the location holds no repository; WRONG_PASSWORD when no
 * key slot opens with `password`. On success *out is a new handle to close
 * with coffer_repo_close(); on failure *out is NULL. */
COFFER_API coffer_status coffer_repo_open(const char* location, const char* password,
                                          coffer_repo** out, coffer_error** err);

/* Closes a handle and wipes its keys from memory. NULL is allowed. */
COFFER_API void coffer_repo_close(coffer_repo* repo);

/* Describes the repository as a JSON object (free with coffer_free()):
 *   {"location", "repo_id", "format_version", "created" (RFC 3339),
 *    "chunker": {"algorithm", "min_size", "avg_size", "max_size"},
 *    "data_cipher", "compression": {"codec", "level"}, "pack_size",
 *    "key_id", "write_only", "retention_lock": {"days", "mode"} (only with
 *    an object lock, see coffer_init_options_set_retention_lock)}
 * write_only is true when the handle was opened with a write-only key (it
 * can back up but cannot read snapshots, trees or file data). */
COFFER_API coffer_status coffer_repo_info(coffer_repo* repo, char** json_out, coffer_error** err);

/* ==========================================================================
 * Backup
 *
 * Thread-safety: coffer_backup() is serialised per handle. Backups through
 * different handles (threads, processes or hosts) may write to the same
 * repository at once.
 * ========================================================================== */

/* What to back up and how. Create with coffer_backup_options_new() (NULL
 * means out of memory), free with coffer_backup_options_free() (NULL ok).
 * Setters that take strings copy them and fail with INVALID_ARGUMENT on
 * NULL. */
typedef struct coffer_backup_options coffer_backup_options;
COFFER_API coffer_backup_options* coffer_backup_options_new(void);
COFFER_API void coffer_backup_options_free(coffer_backup_options* opts);

/* Adds a file or directory to back up (relative paths are made absolute). */
COFFER_API coffer_status coffer_backup_options_add_path(coffer_backup_options* opts,
                                                        const char* path, coffer_error** err);
// Adds an exclude pattern, matched against absolute paths:
//   *   any run of characters except '/'
//   **  any run of characters including '/'
//   ?   one character except '/'
// A pattern without '/' matches the last component anywhere ("*.tmp",
// "node_modules"); one with '/' matches the whole path from the start
// ("/home/*/cache", "**/build"). Everything below a matching directory is
// excluded too.
COFFER_API coffer_status coffer_backup_options_add_exclude(coffer_backup_options* opts,
                                                           const char* pattern, coffer_error** err);
/* Backs up only files (and symlinks, FIFOs) whose path matches one of the
 * include patterns (same syntax as excludes), plus the directories that lead
 * to them. Without include patterns everything not excluded is backed up;
 * excludes win over includes. */
COFFER_API coffer_status coffer_backup_options_add_include(coffer_backup_options* opts,
                                                           const char* pattern, coffer_error** err);
/* Adds a tag recorded on the snapshot (non-empty). */
COFFER_API coffer_status coffer_backup_options_add_tag(coffer_backup_options* opts, const char* tag,
                                                       coffer_error** err);
/* The host name recorded on the snapshot (default: this machine's name). */
COFFER_API coffer_status coffer_backup_options_set_host(coffer_backup_options* opts,
                                                        const char* host, coffer_error** err);
/* Directory of the local files cache, which lets unchanged files be skipped
 * without reading them, and from this backup on of the handle's index cache
 * (coffer_repo_set_cache_dir). Default: $XDG_CACHE_HOME/coffer or
 * ~/.cache/coffer. */
COFFER_API coffer_status coffer_backup_options_set_cache_dir(coffer_backup_options* opts,
                                                             const char* dir, coffer_error** err);
/* Non-zero (the default) to use the files cache; 0 reads every file. */
COFFER_API void coffer_backup_options_set_files_cache(coffer_backup_options* opts, int enabled);
/* Non-zero: do not descend into directories on other file systems. */
COFFER_API void coffer_backup_options_set_one_file_system(coffer_backup_options* opts, int enabled);
/* Worker threads; 0 (the default) means one per core. */
COFFER_API void coffer_backup_options_set_threads(coffer_backup_options* opts, int threads);
/* Adds a stream: the bytes `read` returns are stored as a regular file at
 * `path_in_snapshot` (absolute, e.g. "/db/dump.sql", mode 0644). `read` and
 * `user` must stay valid until coffer_backup() returns. A stream whose read
 * fails is recorded as an error and the snapshot is marked partial. */
COFFER_API coffer_status coffer_backup_options_add_stream(coffer_backup_options* opts,
                                                          const char* path_in_snapshot,
                                                          coffer_read_fn read, void* user,
                                                          coffer_error** err);
/* Progress and warning callbacks (NULL to remove). `user` is passed back. */
COFFER_API void coffer_backup_options_set_progress(coffer_backup_options* opts,
                                                   coffer_progress_fn fn, void* user);
COFFER_API void coffer_backup_options_set_warning(coffer_backup_options* opts, coffer_warning_fn fn,
                                                  void* user);

/* Backs up the paths and streams of `opts` into a new snapshot.
 *
 * Takes a shared repository lock while running (several backups may run at
 * once; LOCKED while a prune or repair holds the exclusive lock) and reads
 * the repository's current index first, so data any host already stored is
 * not uploaded again. Write order is pack -> index -> snapshot: a failed or
 * cancelled backup leaves no snapshot and only unreferenced data.
 *
 * Files that cannot be read are warnings, not failures: the snapshot is still
 * written, marked partial, and the call returns COFFER_OK. INVALID_ARGUMENT
 * when neither a path nor a stream was given. CANCELLED when the progress
 * callback asked to stop.
 *
 * On success, when result_json is not NULL, *result_json is a JSON object
 * (free with coffer_free()):
 *   {"snapshot_id", "short_id", "time", "time_ns", "host", "paths", "tags",
 *    "partial", "summary": {"files_new", "files_changed", "files_unchanged",
 *    "dirs", "other_entries", "bytes_read", "bytes_total", "blobs_added",
 *    "bytes_added", "bytes_added_stored", "errors", "duration_seconds"},
 *    "errors": [{"path", "message"}]} */
COFFER_API coffer_status coffer_backup(coffer_repo* repo, const coffer_backup_options* opts,
                                       char** result_json, coffer_error** err);

/* ==========================================================================
 * Restore
 *
 * Thread-safety: coffer_restore() is serialised per handle; restores
 * through different handles may run at once (into different targets).
 * ========================================================================== */

/* What to restore and where. Create with coffer_restore_options_new() (NULL
 * means out of memory), free with coffer_restore_options_free() (NULL ok). */
typedef struct coffer_restore_options coffer_restore_options;
COFFER_API coffer_restore_options* coffer_restore_options_new(void);
COFFER_API void coffer_restore_options_free(coffer_restore_options* opts);

/* The snapshot: "latest" (the default), a full id or a unique prefix of at
 * least 4 hex digits. */
COFFER_API coffer_status coffer_restore_options_set_snapshot(coffer_restore_options* opts,
                                                             const char* snapshot_ref,
                                                             coffer_error** err);
/* The directory to restore into (required; created if missing). Files appear
 * under it with their full snapshot path: /home/a/x -> TARGET/home/a/x. */
COFFER_API coffer_status coffer_restore_options_set_target(coffer_restore_options* opts,
                                                           const char* dir, coffer_error** err);
/* Restores only this path of the snapshot ("/home/ann/docs") and everything
 * below it; may be given several times. Default: the whole snapshot. */
COFFER_API coffer_status coffer_restore_options_add_include(coffer_restore_options* opts,
                                                            const char* path, coffer_error** err);
/* Skips paths matching the pattern (syntax as for backup excludes). */
COFFER_API coffer_status coffer_restore_options_add_exclude(coffer_restore_options* opts,
                                                            const char* pattern,
                                                            coffer_error** err);
/* Non-zero: replace files that exist in the target. Default 0: the restore
 * fails with ALREADY_EXISTS, before writing anything, when a file it would
 * write exists already. */
COFFER_API void coffer_restore_options_set_overwrite(coffer_restore_options* opts, int enabled);
COFFER_API void coffer_restore_options_set_progress(coffer_restore_options* opts,
                                                    coffer_progress_fn fn, void* user);
COFFER_API void coffer_restore_options_set_warning(coffer_restore_options* opts,
                                                   coffer_warning_fn fn, void* user);

/* Restores a snapshot (or part of it) into the target directory, verifying
 * every blob and reproducing metadata (mode, owner when run as root, times,
 * symlinks, hardlinks, holes, user xattrs). Takes a shared repository lock.
 * Metadata that cannot be set is a warning, counted in "errors".
 * PERMISSION_DENIED with a write-only key. On success, when result_json is
 * not NULL, *result_json is (free with coffer_free()):
 *   {"snapshot_id", "files", "dirs", "symlinks", "other", "bytes", "errors",
 *    "duration_seconds"} */
COFFER_API coffer_status coffer_restore(coffer_repo* repo, const coffer_restore_options* opts,
                                        char** result_json, coffer_error** err);

/* ==========================================================================
 * Catalog: snapshots, listings, find, statistics
 *
 * These read the repository without locking it. They need a key that can
 * read (PERMISSION_DENIED with a write-only key).
 *
 * Thread-safety: serialised per handle, like every call on a coffer_repo.
 *
 * Filters (`filter_json`) are NULL (every snapshot) or a JSON object
 *   {"hosts": [...], "tags": [...], "paths": [...]}
 * where every member is optional: a snapshot matches when its host is any of
 * "hosts", it carries all of "tags" and all of "paths" are among its paths.
 * Malformed filters fail with INVALID_ARGUMENT.
 * ========================================================================== */

/* Snapshots matching the filter, oldest first, as a JSON array (free with
 * coffer_free()) of
 *   {"id", "short_id", "time", "time_ns", "host", "user", "paths", "tags",
 *    "parent" (id or null), "tree", "partial", "summary": {as for backup},
 *    "errors": [{"path", "message"}], "program_version"} */
COFFER_API coffer_status coffer_snapshots_list(coffer_repo* repo, const char* filter_json,
                                               char** json_out, coffer_error** err);

/* One snapshot: `snapshot_ref` is "latest" (the newest), a full id or a
 * unique prefix of at least 4 hex digits, resolved exactly as restore and
 * coffer_snapshot_ls resolve it. *json_out (free with coffer_free()) is one
 * object as in coffer_snapshots_list(). Only the matching snapshot object is
 * read for an id or prefix, so a damaged other snapshot does not get in the
 * way. NOT_FOUND when nothing matches (or the repository has no snapshot,
 * for "latest"); INVALID_ARGUMENT when the reference is not "latest" nor 4 to
 * 64 hex digits, or when a prefix matches several snapshots; CORRUPT when the
 * snapshot object is damaged. */
COFFER_API coffer_status coffer_snapshot_get(coffer_repo* repo, const char* snapshot_ref,
                                             char** json_out, coffer_error** err);

/* Lists the nodes of snapshot `snapshot_ref` ("latest", an id or a unique
 * prefix) at `path` (NULL means "/"): the entry itself and its direct
 * children, or everything below it when `recursive` is non-zero, in
 * depth-first name order. NOT_FOUND when the path is not in the snapshot.
 * JSON array (free with coffer_free()) of
 *   {"path", "name", "type" ("file", "dir", "symlink", "fifo"), "mode"
 *    (permission bits as an integer), "uid", "gid", "user", "group", "size",
 *    "mtime_ns", "mtime" (RFC 3339), "link_target" (symlinks only)} */
COFFER_API coffer_status coffer_snapshot_ls(coffer_repo* repo, const char* snapshot_ref,
                                            const char* path, int recursive, char** json_out,
                                            coffer_error** err);

/* Finds nodes whose absolute path matches `pattern` (syntax as for backup
 * excludes: "*.pdf" matches a name anywhere, "/home/ann/x" a whole path) in
 * every snapshot the filter admits. JSON array (free with coffer_free()) of
 *   {"snapshot_id", "snapshot_time", "snapshot_time_ns", "path", "type",
 *    "size", "mtime_ns"} */
COFFER_API coffer_status coffer_find(coffer_repo* repo, const char* pattern,
                                     const char* filter_json, char** json_out, coffer_error** err);

/* Statistics over the snapshots the filter admits, as a JSON object (free
 * with coffer_free()):
 *   {"snapshots", "files", "dirs", "logical_bytes" (sum of file sizes),
 *    "unique_blobs", "unique_bytes" (distinct data, plaintext),
 *    "stored_bytes" (what that data takes in packs), "repository_bytes" (all
 *    objects), "dedup_ratio" (logical/unique), "compression_ratio"
 *    (unique/stored)}
 * A filter may also hold "ids": [...] (snapshot ids or unique prefixes) to
 * restrict the statistics to those snapshots. */
COFFER_API coffer_status coffer_stats(coffer_repo* repo, const char* filter_json, char** json_out,
                                      coffer_error** err);

/* ==========================================================================
 * Maintenance: forget, prune, check, repair, unlock
 *
 * Options are NULL (defaults) or a JSON object; an unknown member or a member
 * of the wrong type is INVALID_ARGUMENT naming it. Results are JSON objects
 * freed with coffer_free(). All of these need a key that can read
 * (PERMISSION_DENIED with a write-only key), except coffer_unlock.
 *
 * Locks: backup, restore, check and forget hold a shared lock; prune and
 * repair an exclusive one, so they never run while a backup does. A call
 * that cannot take its lock fails with COFFER_ERROR_LOCKED and a message
 * naming the holder (pid, host, since when).
 *
 * Thread-safety: serialised per handle, like every call on a coffer_repo.
 * ========================================================================== */

/* Removes snapshots (only the snapshot objects: data goes with prune).
 * options_json:
 *   {"retention": {"keep_last": N, "keep_hourly": N, "keep_daily": N,
 *                  "keep_weekly": N, "keep_monthly": N, "keep_yearly": N,
 *                  "keep_within": "7d", "keep_tags": [...], "time_zone": "UTC"},
 *    "snapshots": ["id or prefix", ...],
 *    "hosts": [...], "tags": [...], "paths": [...],   (restrict retention)
 *    "dry_run": false}
 * At least one of "retention" (with a keep rule) or "snapshots" is required.
 * Retention groups snapshots by host and paths (see the policy section).
 * Result: {"dry_run", "removed": [ids],
 *          "decisions": [{"id", "keep", "reasons": [...], "group"}]} */
COFFER_API coffer_status coffer_forget(coffer_repo* repo, const char* options_json,
                                       char** result_json, coffer_error** err);

/* Deletes data no snapshot references and repacks packs that are mostly
 * unused. options_json: {"dry_run": false, "repack_threshold": 0.25} (repack
 * a pack when at least that share of its bytes is unused). Refuses, deleting
 * nothing, when anything looks damaged (COFFER_ERROR_CORRUPT).
 * Result: {"dry_run", "snapshots", "packs_before", "packs_deleted",
 *          "packs_repacked", "packs_written", "unindexed_packs_deleted",
 *          "blobs_used", "blobs_removed", "bytes_before", "bytes_deleted",
 *          "bytes_written", "bytes_freed", "index_objects_replaced",
 *          "objects_retained", "retention_extended"}
 * With a retention lock (coffer_init_options_set_retention_lock) prune
 * never deletes an object still under retention ("objects_retained": left
 * for a later prune) and extends the retention of the packs, snapshots, key
 * slots and config that stay ("retention_extended"). */
COFFER_API coffer_status coffer_prune(coffer_repo* repo, const char* options_json,
                                      char** result_json, coffer_error** err);

/* Verifies the repository. options_json: {"read_data": false,
 * "read_data_subset": "10%" or "2/5"}. Without reading data it checks
 * structure (index objects, packs present, snapshots, trees, blobs indexed);
 * reading data downloads packs and verifies every blob. Damage is not an
 * error of the call: it returns COFFER_OK with "ok": false.
 * Result: {"ok", "snapshots", "trees", "blobs", "packs", "packs_read",
 *          "bytes_read", "errors": [{"object", "message"}],
 *          "notices": [{"object", "message"}] (harmless: leftovers, stale
 *          locks), "damaged": [{"snapshot_id", "path"}]} */
COFFER_API coffer_status coffer_check(coffer_repo* repo, const char* options_json,
                                      char** result_json, coffer_error** err);

/* coffer_check() with a progress callback, so that a long check (reading
 * every tree, or every pack with "read_data") can show progress and be
 * stopped. `fn` (NULL: none) is called as for backup, with phase
 * COFFER_PHASE_VERIFYING: first while the trees are walked (files_done
 * counts the trees checked so far, files_total is 0 and totals_final 0),
 * then, when data is read, after packs (files_done / files_total count the
 * packs to read, bytes_done their bytes, totals_final 1; the first and the
 * last pack are always reported). A non-zero return stops the check: the call fails with
 * COFFER_ERROR_CANCELLED, *result_json is NULL and nothing is reported.
 * Checking never changes the repository, so a cancelled check leaves it as
 * it was. `user` is passed back to fn. */
COFFER_API coffer_status coffer_check_with_progress(coffer_repo* repo, const char* options_json,
                                                    coffer_progress_fn fn, void* user,
                                                    char** result_json, coffer_error** err);

/* Rebuilds the index from the packs (only blobs that verify are indexed;
 * good blobs of damaged packs are copied to new packs) and rewrites each
 * snapshot that lost data into a new snapshot, tagged "repaired" and marked
 * partial, that keeps every file still fully readable and lists what was
 * lost in its "errors". options_json: {"dry_run": false}.
 * Result: {"dry_run", "packs_read", "packs_damaged", "packs_salvaged",
 *          "blobs_indexed", "blobs_damaged", "index_objects_replaced",
 *          "snapshots", "repaired": [{"old_id", "new_id", "lost": [paths]}],
 *          "unreadable_snapshots": [messages]} */
COFFER_API coffer_status coffer_repair(coffer_repo* repo, const char* options_json,
                                       char** result_json, coffer_error** err);

/* Removes stale locks (not refreshed for 30 minutes, held by a process that
 * no longer runs on this host, or unreadable), or every lock with
 * remove_all != 0 (only when no coffer process uses the repository).
 * Result: {"removed": N, "locks": [{"id", "description", "stale", "removed"}]} */
COFFER_API coffer_status coffer_unlock(coffer_repo* repo, int remove_all, char** result_json,
                                       coffer_error** err);

/* ==========================================================================
 * Policies and schedules (pure functions: no repository needed)
 *
 * A policy says what to back up, how often and how long to keep it. As JSON
 * (docs/POLICY.md describes every field):
 *   {"name": "laptop", "paths": ["/home/ann"], "includes": ["*.pdf"],
 *    "excludes": ["*.tmp"], "tags": ["laptop"], "repository": "s3://b/repo",
 *    "mirror": "azure://replica/repo",
 *    "schedule": {"cron": "0 2 * * *", "time_zone": "Europe/Berlin"},
 *    "retention": {"keep_last": 3, "keep_hourly": 24, "keep_daily": 7,
 *                  "keep_weekly": 4, "keep_monthly": 12, "keep_yearly": 3,
 *                  "keep_within": "2d", "keep_tags": ["keep"],
 *                  "time_zone": "Europe/Berlin"}}
 * Every member is optional. Unknown members, bad types and bad values fail
 * with COFFER_ERROR_INVALID_ARGUMENT and a message naming the field
 * ("retention.keep_daily: must be >= 0 (or -1 for unlimited), got -5",
 * "retention: unknown field \"keep_dayly\" (did you mean \"keep_daily\"?)").
 *
 * schedule.cron is a crontab(5) expression "minute hour day-of-month month
 * day-of-week" (lists, ranges, steps, names such as JAN and MON) or one of
 * @hourly, @daily, @weekly, @monthly, @yearly, read in schedule.time_zone (an
 * IANA name; default "UTC"). When both day fields are restricted, either
 * matching is enough. A local time skipped by a DST change runs when the gap
 * ends; a repeated local time runs once, at its first occurrence.
 *
 * retention is evaluated per group of snapshots with the same host and
 * paths, newest first. keep_last N keeps the N newest; keep_hourly, _daily,
 * _weekly (ISO weeks), _monthly and _yearly N keep the newest snapshot of
 * each of the N newest such periods that have snapshots, in
 * retention.time_zone (default: the schedule's); -1 means unlimited.
 * keep_within "DURATION" keeps snapshots less than DURATION older than the
 * group's newest (units y = 365 days, m = 30 days, w, d, h, min, s: "7d",
 * "1y6m", "90min"); keep_tags keeps snapshots with any of the tags.
 *
 * Thread-safety: these functions share no state and may be called from any
 * thread at any time.
 * ========================================================================== */

/* Parses and checks a policy: JSON syntax, unknown members, types, counts,
 * durations, time zones, and the cron expression, including that it can
 * fire ("0 0 30 2 *" fails: day 30 never occurs in February). On success,
 * when normalized_json is not NULL, *normalized_json is the policy's
 * canonical JSON (free with coffer_free()): members in the order above,
 * single blanks in the cron expression, durations in canonical form ("36h"
 * becomes "1d12h"), retention.time_zone filled in. Validating the canonical
 * form gives the same text back. */
COFFER_API coffer_status coffer_policy_validate(const char* policy_json, char** normalized_json,
                                                coffer_error** err);

/* The first run of a schedule strictly after `after_unix_ns` (nanoseconds
 * since the Unix epoch), stored in *next_unix_ns (0 on failure).
 * `policy_json` is a whole policy or just its "schedule" object
 * ({"cron": "@daily", "time_zone": "Europe/Berlin"}). INVALID_ARGUMENT when
 * the policy is invalid, has no cron expression, or the next run does not
 * fit in int64 nanoseconds (after the year 2262). */
COFFER_API coffer_status coffer_schedule_next_run(const char* policy_json, int64_t after_unix_ns,
                                                  int64_t* next_unix_ns, coffer_error** err);

/* Decides which snapshots a retention policy keeps; it only decides, and
 * forgetting is up to the caller. `retention_json` is a policy's "retention"
 * object or a whole policy. `snapshots_json` is an array as
 * coffer_snapshots_list() returns; of each snapshot only "id", "time_ns"
 * (or, without it, the RFC 3339 "time"), "host", "paths" and "tags" are
 * read. On success *decisions_json (free with coffer_free()) is a JSON array
 * with one entry per snapshot, grouped by host and paths, newest first
 * within a group:
 *   {"id", "keep" (boolean), "reasons": [every rule that keeps it, e.g.
 *    "last 1", "hourly 2026-11-26T14", "daily 2026-11-26", "weekly
 *    2026-W48", "monthly 2026-11", "yearly 2026", "within 7d", "tag keep";
 *    empty when forgotten], "group" ("host:path1,path2", paths sorted)}
 * INVALID_ARGUMENT, with nothing decided, when the policy has no keep rule
 * at all ("no keep rule: refusing to forget everything"), when the rules
 * are invalid, or when a snapshot lacks an id or a time or repeats an id. */
COFFER_API coffer_status coffer_retention_evaluate(const char* retention_json,
                                                   const char* snapshots_json,
                                                   char** decisions_json, coffer_error** err);

/* Adds what a policy says to back up to backup options: its "paths",
 * "includes", "excludes" and "tags" (the schedule, retention and repository
 * are for the caller). Programs that run policies (the agent daemon, a
 * scheduler) thereby back up exactly what coffer_policy_validate() accepted.
 * INVALID_ARGUMENT, with `opts` unchanged, when the policy is invalid or has
 * no paths. */
COFFER_API coffer_status coffer_backup_options_apply_policy(coffer_backup_options* opts,
                                                            const char* policy_json,
                                                            coffer_error** err);

/* One summary format for every kind of job, so that a program reporting jobs
 * and one totalling them agree. `kind` is "backup", "restore", "forget",
 * "prune" or "check" and `result_json` the JSON the matching call returned.
 * *summary_json (free with coffer_free()) is
 *   {"kind", "ok" (false for a partial backup or a damaged repository),
 *    "snapshot_id" (backup and restore, else null), "files" (backup: files
 *    seen; restore: files written; forget: snapshots removed; check:
 *    snapshots checked), "bytes" (backup: bytes of the files; restore:
 *    bytes written; prune: bytes freed; check: bytes read), "bytes_added",
 *    "bytes_added_stored" (backup), "errors", "duration_seconds",
 *    "text" (one English line, e.g. "snapshot 1a2b3c4d: 12 files, 3.4 MiB,
 *    added 1.2 MiB stored")}
 * INVALID_ARGUMENT for an unknown kind or a result that is not a JSON
 * object; missing members count as 0. */
COFFER_API coffer_status coffer_job_summary(const char* kind, const char* result_json,
                                            char** summary_json, coffer_error** err);

/* ==========================================================================
 * Keys (key slots)
 *
 * Every key slot wraps the repository's master keys under its own password;
 * any slot's password opens the repository. A write-only slot can add
 * backups but cannot read any (not even its own). Changing slots never
 * touches data.
 *
 * Thread-safety: serialised per handle. Other handles open on the same
 * repository keep working after a key change (they hold the keys already).
 * ========================================================================== */

/* Adds a key slot for `new_password` (non-empty) with an optional `label`
 * (NULL or ""). With write_only non-zero the slot cannot read data. Adding a
 * full slot requires a handle opened with a full key (PERMISSION_DENIED
 * otherwise). On success, when key_id_out is not NULL, *key_id_out is the new
 * slot's id in hex (free with coffer_free()). */
COFFER_API coffer_status coffer_key_add(coffer_repo* repo, const char* new_password,
                                        const char* label, int write_only, char** key_id_out,
                                        coffer_error** err);

/* Key slots, oldest first, as a JSON array (free with coffer_free()) of
 *   {"id", "short_id", "host", "user", "label", "created" (RFC 3339),
 *    "created_unix", "write_only", "current" (the slot this handle opened)} */
COFFER_API coffer_status coffer_key_list(coffer_repo* repo, char** json_out, coffer_error** err);

/* Removes the key slot whose id is `key_id_or_prefix` or starts with it (a
 * unique prefix of at least 4 hex digits). NOT_FOUND when none matches;
 * INVALID_ARGUMENT when the prefix is too short or ambiguous, when it names
 * the slot this handle opened, or when it would remove the last slot that
 * can read the data. */
COFFER_API coffer_status coffer_key_remove(coffer_repo* repo, const char* key_id_or_prefix,
                                           coffer_error** err);

/* Replaces the handle's key slot with one for `new_password`: the new slot
 * is written first, then the old one removed (a crash leaves both). The
 * handle stays open on the new slot. */
COFFER_API coffer_status coffer_key_change_password(coffer_repo* repo, const char* new_password,
                                                    coffer_error** err);

/* How long operations on this handle (backup, restore, check, forget,
 * prune, repair) wait for a conflicting repository lock to go away before
 * failing with COFFER_ERROR_LOCKED; checked about once a second. 0 (the
 * default) fails at once; negative values are COFFER_ERROR_INVALID_ARGUMENT. */
COFFER_API coffer_status coffer_repo_set_lock_wait(coffer_repo* repo, int64_t seconds,
                                                   coffer_error** err);

/* Where this handle keeps its local index cache: the repository's decoded
 * index in one encrypted file, <dir>/<repo id>/index, so that operations
 * after the first open read one local file instead of fetching and
 * decrypting every index object. NULL turns the cache off; an empty string
 * is COFFER_ERROR_INVALID_ARGUMENT. Default: $XDG_CACHE_HOME/coffer, else
 * ~/.cache/coffer (the files cache's directory). A backup whose options set
 * a cache directory moves the index cache there too. */
COFFER_API coffer_status coffer_repo_set_cache_dir(coffer_repo* repo, const char* dir,
                                                   coffer_error** err);

/* Argon2id cost for the key slots this handle writes from now on
 * (coffer_key_add, coffer_key_change_password); the same bounds as
 * coffer_init_options_set_kdf(). Default: coffer_default_kdf_ops_limit()
 * passes over coffer_default_kdf_mem_limit() bytes (4 over 56 MiB). */
COFFER_API coffer_status coffer_repo_set_kdf(coffer_repo* repo, uint64_t ops_limit,
                                             uint64_t mem_limit_bytes, coffer_error** err);

/* ==========================================================================
 * Raw store access
 *
 * A coffer_store reaches the objects of a store location (a local path,
 * file://, s3://, azure://, gs://, http(s)://, as for coffer_repo_open())
 * without opening a repository: no password, no keys, nothing decrypted.
 * It is for programs that keep repositories for others, such as
 * coffer-server. Object names are '/'-separated relative names ("config",
 * "data/3f/3fa2..."); a bad name is COFFER_ERROR_INVALID_ARGUMENT. Messages
 * name the store and the object, never credentials.
 *
 * Thread-safety: unlike a coffer_repo, one coffer_store may be used by
 * several threads at once; only coffer_store_close() must not race with
 * other calls on it.
 * ========================================================================== */

typedef struct coffer_store coffer_store;

/* Opens the store at `location`. Nothing is read or written yet: a location
 * that does not exist shows up on the first call that needs it. On success
 * *out is a handle to close with coffer_store_close(); on failure NULL. An
 * unknown scheme is COFFER_ERROR_INVALID_ARGUMENT. */
COFFER_API coffer_status coffer_store_open(const char* location, coffer_store** out,
                                           coffer_error** err);

/* Closes a store handle. NULL is allowed. */
COFFER_API void coffer_store_close(coffer_store* store);

/* Writes `size` bytes (data may be NULL when size is 0) under `name`
 * atomically. With if_absent == 0 an existing object is replaced; with
 * if_absent != 0 an existing object makes the call fail with
 * COFFER_ERROR_ALREADY_EXISTS and stay as it was. */
COFFER_API coffer_status coffer_store_put(coffer_store* store, const char* name,
                                          const uint8_t* data, size_t size, int if_absent,
                                          coffer_error** err);

/* Reads a whole object. On success *data_out (free with coffer_free(); not
 * NULL even for an empty object) holds *size_out bytes. A missing object is
 * COFFER_ERROR_NOT_FOUND. */
COFFER_API coffer_status coffer_store_get(coffer_store* store, const char* name,
                                          uint8_t** data_out, size_t* size_out,
                                          coffer_error** err);

/* Reads `length` bytes at `offset` of an object, as coffer_store_get().
 * A range reaching beyond the end is COFFER_ERROR_INVALID_ARGUMENT. */
COFFER_API coffer_status coffer_store_get_range(coffer_store* store, const char* name,
                                                uint64_t offset, uint64_t length,
                                                uint8_t** data_out, size_t* size_out,
                                                coffer_error** err);

/* The size of an object in bytes (COFFER_ERROR_NOT_FOUND when missing). */
COFFER_API coffer_status coffer_store_stat(coffer_store* store, const char* name,
                                           uint64_t* size_out, coffer_error** err);

/* Called once per listed object; return 0 to go on, anything else to stop
 * (the listing then fails with COFFER_ERROR_CANCELLED). */
typedef int (*coffer_store_list_fn)(void* user, const char* name, uint64_t size);

/* Lists objects whose names start with `prefix` (NULL or "" for all) and
 * sort after `start_after` (NULL or "" to start at the beginning), in
 * ascending byte order of name, at most `limit` of them (0: no limit).
 * Paging: pass the last name of one page as start_after of the next; a page
 * shorter than `limit` is the last. Each page walks the store's whole
 * listing under `prefix` once; memory stays proportional to `limit`. */
COFFER_API coffer_status coffer_store_list(coffer_store* store, const char* prefix,
                                           const char* start_after, size_t limit,
                                           coffer_store_list_fn fn, void* user,
                                           coffer_error** err);

/* Deletes an object; a missing one is COFFER_ERROR_NOT_FOUND. */
COFFER_API coffer_status coffer_store_delete(coffer_store* store, const char* name,
                                             coffer_error** err);

/* A description of the store for messages and logs ("local store /srv/x"),
 * never containing credentials (free with coffer_free()). */
COFFER_API coffer_status coffer_store_describe(coffer_store* store, char** description_out,
                                               coffer_error** err);

/* ==========================================================================
 * Replication
 *
 * Copies of every backup in a second region or at a second provider.
 * A mirror is a repository made with coffer_init_options_set_copy_keys_from():
 * it shares the source's keys (its own key slots and password), so blob ids,
 * chunk boundaries and packs are the same, and copies between the two move
 * packs as they are, never decrypted. Between unrelated repositories every
 * blob is re-encrypted under the destination's keys.
 *
 * Thread-safety: serialised per handle; coffer_copy() uses both handles.
 * ========================================================================== */

/* Makes the repository that coffer_repo_init() creates a mirror of `source`
 * (an open handle, full key): the same ID, index and data keys, the same
 * chunker parameters, cipher, compression and pack size; a new repository id
 * and a new key slot for the init password. PERMISSION_DENIED when `source`
 * was opened with a write-only key. Chunker, cipher, compression and pack
 * size set afterwards on `opts` override the copied values. */
COFFER_API coffer_status coffer_init_options_set_copy_keys_from(coffer_init_options* opts,
                                                                coffer_repo* source,
                                                                coffer_error** err);

/* Copies snapshots from `source` into `destination` with everything they
 * reference, writing only what the destination lacks, in the order packs,
 * index, snapshot (an interrupted copy leaves no snapshot that references
 * missing data). Source objects are verified before they are written: packs
 * and snapshot objects against their SHA-256 names (shared keys), blobs
 * against their keyed ids (re-encryption). A snapshot already in the
 * destination (the same object, or a copy recording it as "original") is
 * skipped. Both handles need full keys; both repositories are held under
 * shared locks. options_json (NULL for all snapshots):
 *   {"snapshots": ["latest", "3fa2…"]}   ids, unique prefixes or "latest"
 * Result: {"mode": "packs" | "reencrypt",
 *          "snapshots": [{"source_id", "id" (in the destination), "skipped"}],
 *          "snapshots_copied", "snapshots_skipped", "packs_copied",
 *          "pack_bytes_copied", "blobs_copied", "blob_bytes_copied"
 *          (plaintext), "blobs_present" (needed, already there),
 *          "index_objects_written"}
 * INVALID_ARGUMENT when both are the same repository; NOT_FOUND for a
 * snapshot that matches nothing in the source; CORRUPT naming the object
 * when source data does not verify. */
COFFER_API coffer_status coffer_copy(coffer_repo* destination, coffer_repo* source,
                                     const char* options_json, char** result_json,
                                     coffer_error** err);

/* A mirrored repository writes every object to its primary store and to a
 * replica (another region or provider): writes succeed once the primary has
 * them; a replica write is retried a few times and, if it still fails, the
 * object's name is recorded in a journal on the primary (objects under
 * mirror/pending/) for coffer_mirror_sync() to repeat. Reads use the primary
 * and fall back to the replica while the primary cannot be reached, so a
 * restore works with the primary down (lock objects then go to the replica
 * only). Both locations must hold the same repository: create it with
 * coffer_init_options_set_mirror(), or make the replica with
 * coffer_init_options_set_copy_keys_from() and coffer_copy() and then let
 * coffer_mirror_sync() keep it current. */

/* coffer_repo_init() creates the repository at its location and at
 * `mirror_location` at once, and returns a mirrored handle. */
COFFER_API coffer_status coffer_init_options_set_mirror(coffer_init_options* opts,
                                                        const char* mirror_location,
                                                        coffer_error** err);

/* coffer_repo_open() through a mirror store (see above). When the primary is
 * down the repository is opened from the replica. */
COFFER_API coffer_status coffer_repo_open_mirrored(const char* location, const char* mirror_location,
                                                   const char* password, coffer_repo** out,
                                                   coffer_error** err);

/* Brings the replica of a mirrored handle up to date: repeats every
 * journaled write or delete on the replica (dropping each entry once the
 * replica matches), then compares the listings of both stores and copies
 * what the replica lacks or holds with another size. Objects found only on
 * the replica are counted, never deleted. Result:
 *   {"journal_entries", "objects_copied", "bytes_copied", "objects_deleted",
 *    "objects_checked", "extra_on_replica", "replica_failures" (replica
 *    writes this handle had to journal)}
 * INVALID_ARGUMENT when the handle is not mirrored; IO when either store
 * cannot be reached (the journal is kept). */
COFFER_API coffer_status coffer_mirror_sync(coffer_repo* repo, char** result_json,
                                            coffer_error** err);

/* {"mirrored": false} for a plain handle; for a mirrored one
 * {"mirrored": true, "replica" (a description, no secrets), "pending"
 *  (journal entries waiting for coffer_mirror_sync), "replica_failures"}. */
COFFER_API coffer_status coffer_mirror_status(coffer_repo* repo, char** result_json,
                                              coffer_error** err);

/* ==========================================================================
 * Defaults and limits, as functions so that dynamically linked programs and
 * bindings never bake in a value a new version changes.
 * ========================================================================== */

COFFER_API uint32_t coffer_default_pack_size(void);      /* bytes, local disk */
COFFER_API uint32_t coffer_default_chunk_min_size(void); /* bytes */
COFFER_API uint32_t coffer_default_chunk_avg_size(void); /* bytes */
COFFER_API uint32_t coffer_default_chunk_max_size(void); /* bytes */
COFFER_API uint64_t coffer_default_kdf_ops_limit(void);  /* Argon2id passes */
COFFER_API uint64_t coffer_default_kdf_mem_limit(void);  /* bytes */

/* ==========================================================================
 * Experimental API: define COFFER_EXPERIMENTAL before including this header.
 * Anything here may change or disappear in any release.
 * ========================================================================== */
#ifdef COFFER_EXPERIMENTAL
/* (nothing yet) */
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_COFFER_H */
