"""Finds and loads libcoffer and declares the C functions coffer.h exports.

Only this module touches ctypes prototypes; the rest of the package calls
the functions through `lib()`.
"""
import ctypes
import ctypes.util
import os
import threading

# The major version this package is written against (coffer.h's
# COFFER_VERSION_MAJOR): a library with another major is refused.
EXPECTED_MAJOR = 0

c_status = ctypes.c_int
c_error_p = ctypes.c_void_p  # coffer_error*, opaque
c_repo_p = ctypes.c_void_p  # coffer_repo*, opaque


class Progress_(ctypes.Structure):
    """coffer_progress, field for field (see coffer.h)."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("phase", ctypes.c_int),
        ("files_done", ctypes.c_uint64),
        ("files_total", ctypes.c_uint64),
        ("bytes_done", ctypes.c_uint64),
        ("bytes_total", ctypes.c_uint64),
        ("errors", ctypes.c_uint64),
        ("totals_final", ctypes.c_int),
        ("elapsed_seconds", ctypes.c_double),
        ("current_path", ctypes.c_char_p),
    ]


PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Progress_), ctypes.c_void_p)
WARNING_FN = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
READ_FN = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8),
                           ctypes.c_size_t)

_E = ctypes.POINTER(c_error_p)  # coffer_error** err
_S = ctypes.POINTER(ctypes.c_void_p)  # char** out (kept as void* so we can coffer_free it)
_P = ctypes.c_void_p  # an options object
_str = ctypes.c_char_p

# name: (restype, argtypes)
_PROTOTYPES = {
    "coffer_version": (ctypes.c_char_p, []),
    "coffer_version_number": (ctypes.c_uint, []),
    "coffer_status_name": (ctypes.c_char_p, [c_status]),
    "coffer_error_code": (c_status, [c_error_p]),
    "coffer_error_message": (ctypes.c_char_p, [c_error_p]),
    "coffer_error_free": (None, [c_error_p]),
    "coffer_free": (None, [ctypes.c_void_p]),
    # Repository
    "coffer_init_options_new": (_P, []),
    "coffer_init_options_free": (None, [_P]),
    "coffer_init_options_set_chunker": (c_status, [_P, ctypes.c_uint32, ctypes.c_uint32,
                                                   ctypes.c_uint32, _E]),
    "coffer_init_options_set_compression": (c_status, [_P, _str, ctypes.c_int, _E]),
    "coffer_init_options_set_pack_size": (c_status, [_P, ctypes.c_uint32, _E]),
    "coffer_init_options_set_kdf": (c_status, [_P, ctypes.c_uint64, ctypes.c_uint64, _E]),
    "coffer_init_options_set_data_cipher": (c_status, [_P, _str, _E]),
    "coffer_init_options_set_key_label": (c_status, [_P, _str, _E]),
    "coffer_repo_init": (c_status, [_str, _str, _P, ctypes.POINTER(c_repo_p), _E]),
    "coffer_repo_open": (c_status, [_str, _str, ctypes.POINTER(c_repo_p), _E]),
    "coffer_repo_close": (None, [c_repo_p]),
    "coffer_repo_info": (c_status, [c_repo_p, _S, _E]),
    "coffer_repo_set_lock_wait": (c_status, [c_repo_p, ctypes.c_int64, _E]),
    "coffer_repo_set_kdf": (c_status, [c_repo_p, ctypes.c_uint64, ctypes.c_uint64, _E]),
    # Backup
    "coffer_backup_options_new": (_P, []),
    "coffer_backup_options_free": (None, [_P]),
    "coffer_backup_options_add_path": (c_status, [_P, _str, _E]),
    "coffer_backup_options_add_exclude": (c_status, [_P, _str, _E]),
    "coffer_backup_options_add_include": (c_status, [_P, _str, _E]),
    "coffer_backup_options_add_tag": (c_status, [_P, _str, _E]),
    "coffer_backup_options_set_host": (c_status, [_P, _str, _E]),
    "coffer_backup_options_set_cache_dir": (c_status, [_P, _str, _E]),
    "coffer_backup_options_set_files_cache": (None, [_P, ctypes.c_int]),
    "coffer_backup_options_set_one_file_system": (None, [_P, ctypes.c_int]),
    "coffer_backup_options_set_threads": (None, [_P, ctypes.c_int]),
    "coffer_backup_options_add_stream": (c_status, [_P, _str, READ_FN, ctypes.c_void_p, _E]),
    "coffer_backup_options_set_progress": (None, [_P, PROGRESS_FN, ctypes.c_void_p]),
    "coffer_backup_options_set_warning": (None, [_P, WARNING_FN, ctypes.c_void_p]),
    "coffer_backup": (c_status, [c_repo_p, _P, _S, _E]),
    # Restore
    "coffer_restore_options_new": (_P, []),
    "coffer_restore_options_free": (None, [_P]),
    "coffer_restore_options_set_snapshot": (c_status, [_P, _str, _E]),
    "coffer_restore_options_set_target": (c_status, [_P, _str, _E]),
    "coffer_restore_options_add_include": (c_status, [_P, _str, _E]),
    "coffer_restore_options_add_exclude": (c_status, [_P, _str, _E]),
    "coffer_restore_options_set_overwrite": (None, [_P, ctypes.c_int]),
    "coffer_restore_options_set_progress": (None, [_P, PROGRESS_FN, ctypes.c_void_p]),
    "coffer_restore_options_set_warning": (None, [_P, WARNING_FN, ctypes.c_void_p]),
    "coffer_restore": (c_status, [c_repo_p, _P, _S, _E]),
    # Catalog
    "coffer_snapshots_list": (c_status, [c_repo_p, _str, _S, _E]),
    "coffer_snapshot_get": (c_status, [c_repo_p, _str, _S, _E]),
    "coffer_snapshot_ls": (c_status, [c_repo_p, _str, _str, ctypes.c_int, _S, _E]),
    "coffer_find": (c_status, [c_repo_p, _str, _str, _S, _E]),
    "coffer_stats": (c_status, [c_repo_p, _str, _S, _E]),
    # Maintenance
    "coffer_forget": (c_status, [c_repo_p, _str, _S, _E]),
    "coffer_prune": (c_status, [c_repo_p, _str, _S, _E]),
    "coffer_check": (c_status, [c_repo_p, _str, _S, _E]),
    "coffer_check_with_progress": (c_status, [c_repo_p, _str, PROGRESS_FN, ctypes.c_void_p, _S,
                                              _E]),
    "coffer_repair": (c_status, [c_repo_p, _str, _S, _E]),
    "coffer_unlock": (c_status, [c_repo_p, ctypes.c_int, _S, _E]),
    # Policies
    "coffer_policy_validate": (c_status, [_str, _S, _E]),
    "coffer_schedule_next_run": (c_status, [_str, ctypes.c_int64,
                                            ctypes.POINTER(ctypes.c_int64), _E]),
    "coffer_retention_evaluate": (c_status, [_str, _str, _S, _E]),
    # Keys
    "coffer_key_add": (c_status, [c_repo_p, _str, _str, ctypes.c_int, _S, _E]),
    "coffer_key_list": (c_status, [c_repo_p, _S, _E]),
    "coffer_key_remove": (c_status, [c_repo_p, _str, _E]),
    "coffer_key_change_password": (c_status, [c_repo_p, _str, _E]),
    # Defaults
    "coffer_default_pack_size": (ctypes.c_uint32, []),
    "coffer_default_chunk_min_size": (ctypes.c_uint32, []),
    "coffer_default_chunk_avg_size": (ctypes.c_uint32, []),
    "coffer_default_chunk_max_size": (ctypes.c_uint32, []),
    "coffer_default_kdf_ops_limit": (ctypes.c_uint64, []),
    "coffer_default_kdf_mem_limit": (ctypes.c_uint64, []),
}


def candidate_paths():
    """Where to look for the library, in order.

    1. $COFFER_LIBRARY (a path to libcoffer.so*), when set;
    2. the build tree of a source checkout this package sits in
       (bindings/python/coffer -> <checkout>/build*/libcoffer.so);
    3. the system's search (ctypes.util.find_library, then "libcoffer.so.0"
       through the dynamic loader: LD_LIBRARY_PATH, ld.so.cache, an
       installed prefix).
    """
    env = os.environ.get("COFFER_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.normpath(os.path.join(here, "..", "..", ".."))
    found = []
    # Only a coffer checkout: an installed copy's grandparents are not one.
    if os.path.isfile(os.path.join(checkout, "include", "coffer", "coffer.h")):
        for entry in sorted(os.listdir(checkout)):
            if entry.startswith("build"):
                for name in ("libcoffer.so.0", "libcoffer.so"):
                    path = os.path.join(checkout, entry, name)
                    if os.path.exists(path):
                        found.append(path)
    system = ctypes.util.find_library("coffer")
    if system:
        found.append(system)
    found.append("libcoffer.so.%d" % EXPECTED_MAJOR)
    return found


def _load():
    errors = []
    for path in candidate_paths():
        try:
            handle = ctypes.CDLL(path)
        except OSError as e:
            errors.append("%s: %s" % (path, e))
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(handle, name)
            fn.restype = restype
            fn.argtypes = argtypes
        major = handle.coffer_version_number() // 10000
        if major != EXPECTED_MAJOR:
            raise OSError("coffer: %s is version %s; this package needs %d.x"
                              % (path, handle.coffer_version().decode(), EXPECTED_MAJOR))
        return handle
    raise OSError("coffer: cannot load libcoffer (set COFFER_LIBRARY to its path); tried:\n  "
                      + "\n  ".join(errors))


_handle = None
_handle_lock = threading.Lock()


def lib():
    """The loaded library, loaded on first use (OSError when it cannot be)."""
    global _handle
    if _handle is None:
        with _handle_lock:
            if _handle is None:
                _handle = _load()
    return _handle


def take_string(ptr):
    """Copies a library-owned char* (a c_void_p) into a str and frees it."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        lib().coffer_free(ptr)
