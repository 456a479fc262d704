"""Repository: a coffer_repo handle with Pythonic methods."""
import ctypes
import json
import os
import threading

from . import _lib
from ._callbacks import Callbacks
from .errors import InvalidArgumentError, check, from_status
from .types import (BackupResult, CheckResult, ForgetResult, Key, Match, Node,
                    RestoreResult, Snapshot, from_json)


def _text(value):
    """A str (or bytes) argument as NUL-terminated UTF-8 bytes."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise TypeError("expected str, got %s" % type(value).__name__)
    return value.encode("utf-8")


def _path(value):
    """A path-like argument as bytes (file names need not be UTF-8)."""
    return os.fsencode(value)


def _json_arg(value):
    """None, a JSON string, or a dict/list to serialise."""
    if value is None or isinstance(value, (str, bytes)):
        return None if value is None else _text(value)
    return json.dumps(value).encode("utf-8")


def _filter(hosts=None, tags=None, paths=None, **extra):
    doc = {k: list(v) for k, v in (("hosts", hosts), ("tags", tags), ("paths", paths))
           if v is not None}
    doc.update({k: v for k, v in extra.items() if v is not None})
    return json.dumps(doc).encode("utf-8") if doc else None


def _strings(value):
    """One string or an iterable of them, as a list."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        return [value]
    return list(value)


def call(fn, *args):
    """Calls a `..., coffer_error** err` function; raises on failure."""
    err = ctypes.c_void_p()
    check(fn(*args, ctypes.byref(err)), err)


def call_json(fn, *args):
    """Calls a `..., char** out, coffer_error** err` function; parses *out."""
    out = ctypes.c_void_p()
    err = ctypes.c_void_p()
    status = fn(*args, ctypes.byref(out), ctypes.byref(err))
    text = _lib.take_string(out)
    check(status, err)
    return json.loads(text) if text is not None else None


class _Options:
    """Owns a C options object for the duration of a `with` block."""

    def __init__(self, new, free):
        self.ptr = new()
        if not self.ptr:
            raise MemoryError("coffer: out of memory")
        self._free = free

    def __enter__(self):
        return self.ptr

    def __exit__(self, *exc):
        self._free(self.ptr)
        self.ptr = None


class Repository:
    """An open repository. Use as a context manager, or call close().

    A Repository must not be used by two threads at once, nor from inside
    one of its own callbacks: such a call raises InvalidArgumentError (as
    the C API does) instead of waiting.
    """

    def __init__(self, handle, location):
        self._handle = handle
        self._busy = threading.Lock()
        self.location = location

    # -- life cycle -------------------------------------------------------

    @classmethod
    def init(cls, location, password, *, chunker=None, compression=None, compression_level=0,
             pack_size=None, kdf=None, data_cipher=None, key_label=None):
        """Creates a repository at `location` and opens it.

        chunker is (min, avg, max) bytes; kdf is (passes, memory bytes);
        compression is "lz4", "zstd" or "none". Omitted options keep the
        library's defaults. Raises AlreadyExistsError when one exists.
        """
        lib = _lib.lib()
        with _Options(lib.coffer_init_options_new, lib.coffer_init_options_free) as opts:
            if chunker is not None:
                call(lib.coffer_init_options_set_chunker, opts, *chunker)
            if compression is not None:
                call(lib.coffer_init_options_set_compression, opts, _text(compression),
                     compression_level)
            if pack_size is not None:
                call(lib.coffer_init_options_set_pack_size, opts, pack_size)
            if kdf is not None:
                call(lib.coffer_init_options_set_kdf, opts, *kdf)
            if data_cipher is not None:
                call(lib.coffer_init_options_set_data_cipher, opts, _text(data_cipher))
            if key_label is not None:
                call(lib.coffer_init_options_set_key_label, opts, _text(key_label))
            handle = ctypes.c_void_p()
            call(lib.coffer_repo_init, _path(location), _text(password), opts,
                 ctypes.byref(handle))
        repo = cls(handle, os.fspath(location))
        if kdf is not None:  # key slots added later get the same cost
            repo.set_kdf(*kdf)
        return repo

    @classmethod
    def open(cls, location, password):
        """Opens an existing repository (NotFoundError, WrongPasswordError)."""
        handle = ctypes.c_void_p()
        call(_lib.lib().coffer_repo_open, _path(location), _text(password), ctypes.byref(handle))
        return cls(handle, os.fspath(location))

    def close(self):
        """Closes the handle and wipes its keys. Closing twice is harmless."""
        if not self._busy.acquire(blocking=False):
            raise InvalidArgumentError("close: the repository is in use by another call", 1)
        try:
            if self._handle is not None and self._handle.value:
                _lib.lib().coffer_repo_close(self._handle)
            self._handle = None
        finally:
            self._busy.release()

    @property
    def closed(self):
        return self._handle is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        # A safety net for handles never closed; at interpreter exit the
        # module globals may already be gone, and then the OS reclaims all.
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            try:
                _lib.lib().coffer_repo_close(handle)
            except Exception:  # noqa: BLE001
                pass
            self._handle = None

    def _lease(self, what):
        """The handle, held exclusively until release() (see the class doc)."""
        if not self._busy.acquire(blocking=False):
            raise InvalidArgumentError(
                "%s: the repository is in use by another call (a Repository must not be used "
                "by two threads at once, nor from its own callbacks)" % what, 1)
        if self._handle is None:
            self._busy.release()
            raise InvalidArgumentError("%s: the repository is closed" % what, 1)
        return self._handle

    def _run(self, what, fn, *args):
        handle = self._lease(what)
        try:
            return fn(handle, *args)
        finally:
            self._busy.release()

    # -- settings ---------------------------------------------------------

    def info(self):
        """The repository's description as a dict (see coffer_repo_info)."""
        return self._run("info", lambda h: call_json(_lib.lib().coffer_repo_info, h))

    def set_lock_wait(self, seconds):
        """How long operations wait for a conflicting lock (0: fail at once)."""
        self._run("set_lock_wait", lambda h: call(_lib.lib().coffer_repo_set_lock_wait, h,
                                                  int(seconds)))

    def set_kdf(self, ops_limit, mem_limit_bytes):
        """Argon2id cost for key slots this handle writes from now on."""
        self._run("set_kdf", lambda h: call(_lib.lib().coffer_repo_set_kdf, h, ops_limit,
                                            mem_limit_bytes))

    # -- backup and restore -----------------------------------------------

    def backup(self, paths=(), *, tags=(), excludes=(), includes=(), host=None, cache_dir=None,
               files_cache=True, one_file_system=False, threads=0, streams=None, progress=None,
               warning=None):
        """Backs up `paths` (one path or several) into a new snapshot.

        streams maps absolute paths in the snapshot to binary file objects
        whose bytes are stored as files there. progress(Progress) and
        warning(path, message) are called during the backup; an exception
        either raises stops the backup (no snapshot is written) and is
        re-raised here. Returns a BackupResult.
        """
        lib = _lib.lib()
        callbacks = Callbacks(progress, warning)
        with _Options(lib.coffer_backup_options_new, lib.coffer_backup_options_free) as opts:
            for p in _strings(paths):
                call(lib.coffer_backup_options_add_path, opts, _path(p))
            for t in _strings(tags):
                call(lib.coffer_backup_options_add_tag, opts, _text(t))
            for e in _strings(excludes):
                call(lib.coffer_backup_options_add_exclude, opts, _path(e))
            for i in _strings(includes):
                call(lib.coffer_backup_options_add_include, opts, _path(i))
            if host is not None:
                call(lib.coffer_backup_options_set_host, opts, _text(host))
            if cache_dir is not None:
                call(lib.coffer_backup_options_set_cache_dir, opts, _path(cache_dir))
            lib.coffer_backup_options_set_files_cache(opts, 1 if files_cache else 0)
            lib.coffer_backup_options_set_one_file_system(opts, 1 if one_file_system else 0)
            lib.coffer_backup_options_set_threads(opts, int(threads))
            for where, fileobj in (streams or {}).items():
                call(lib.coffer_backup_options_add_stream, opts, _path(where),
                     callbacks.stream_reader(fileobj), None)
            callbacks.install(lib.coffer_backup_options_set_progress,
                              lib.coffer_backup_options_set_warning, opts)
            doc = self._run_with_callbacks("backup", callbacks, lib.coffer_backup, opts)
        return BackupResult.from_json(doc)

    def restore(self, target, snapshot="latest", *, includes=(), excludes=(), overwrite=False,
                progress=None, warning=None):
        """Restores `snapshot` ("latest", an id or a unique prefix) into `target`.

        Files appear under target with their full snapshot path. includes
        restricts the restore to those snapshot paths. Existing files raise
        AlreadyExistsError unless overwrite is true. Callbacks as for backup().
        """
        lib = _lib.lib()
        callbacks = Callbacks(progress, warning)
        with _Options(lib.coffer_restore_options_new, lib.coffer_restore_options_free) as opts:
            call(lib.coffer_restore_options_set_snapshot, opts, _text(snapshot))
            call(lib.coffer_restore_options_set_target, opts, _path(target))
            for i in _strings(includes):
                call(lib.coffer_restore_options_add_include, opts, _path(i))
            for e in _strings(excludes):
                call(lib.coffer_restore_options_add_exclude, opts, _path(e))
            lib.coffer_restore_options_set_overwrite(opts, 1 if overwrite else 0)
            callbacks.install(lib.coffer_restore_options_set_progress,
                              lib.coffer_restore_options_set_warning, opts)
            doc = self._run_with_callbacks("restore", callbacks, lib.coffer_restore, opts)
        return from_json(RestoreResult, doc)

    def _run_with_callbacks(self, what, callbacks, fn, opts):
        handle = self._lease(what)
        try:
            out = ctypes.c_void_p()
            err = ctypes.c_void_p()
            status = fn(handle, opts, ctypes.byref(out), ctypes.byref(err))
            text = _lib.take_string(out)
        finally:
            self._busy.release()
        if status != 0:
            failure = from_status(status, err)
            if callbacks.exception is not None:
                exc = callbacks.exception
                callbacks.exception = None
                raise exc from failure
            raise failure
        # A warning callback that raised after the last progress report:
        # the operation completed, but the caller still hears about it.
        callbacks.raise_pending()
        return json.loads(text)

    # -- catalog ----------------------------------------------------------

    def snapshots(self, *, hosts=None, tags=None, paths=None):
        """Snapshots (oldest first) on any of `hosts`, with all `tags` and `paths`."""
        docs = self._run("snapshots", lambda h: call_json(
            _lib.lib().coffer_snapshots_list, h, _filter(hosts, tags, paths)))
        return [Snapshot.from_json(d, repository=self) for d in docs]

    def snapshot(self, ref="latest"):
        """One snapshot by "latest", full id or unique prefix of at least 4 hex
        digits (NotFoundError; InvalidArgumentError when ambiguous)."""
        doc = self._run("snapshot", lambda h: call_json(
            _lib.lib().coffer_snapshot_get, h, _text(ref)))
        return Snapshot.from_json(doc, repository=self)

    def ls(self, snapshot="latest", path="/", *, recursive=False):
        """The node at `path` of `snapshot` and its children (all below it
        with recursive=True), as Node objects."""
        docs = self._run("ls", lambda h: call_json(
            _lib.lib().coffer_snapshot_ls, h, _text(snapshot), _path(path), 1 if recursive else 0))
        return [from_json(Node, d) for d in docs]

    def walk(self, snapshot="latest", path="/"):
        """Iterates over every node at and below `path`, depth first."""
        return iter(self.ls(snapshot, path, recursive=True))

    def find(self, pattern, *, hosts=None, tags=None, paths=None):
        """Nodes whose path matches `pattern` in the matching snapshots."""
        docs = self._run("find", lambda h: call_json(
            _lib.lib().coffer_find, h, _path(pattern), _filter(hosts, tags, paths)))
        return [from_json(Match, d) for d in docs]

    def stats(self, *, hosts=None, tags=None, paths=None, ids=None):
        """Statistics over the matching snapshots, as a dict."""
        filt = _filter(hosts, tags, paths, ids=list(ids) if ids is not None else None)
        return self._run("stats", lambda h: call_json(_lib.lib().coffer_stats, h, filt))

    # -- maintenance ------------------------------------------------------

    def forget(self, retention=None, *, snapshots=None, hosts=None, tags=None, paths=None,
               dry_run=False):
        """Removes snapshots by id and/or by a retention policy (a dict such as
        {"keep_last": 3, "keep_daily": 7}). Returns a ForgetResult."""
        doc = {"dry_run": bool(dry_run)}
        for key, value in (("retention", retention), ("snapshots", snapshots), ("hosts", hosts),
                           ("tags", tags), ("paths", paths)):
            if value is not None:
                doc[key] = value if key == "retention" else list(value)
        result = self._run("forget", lambda h: call_json(
            _lib.lib().coffer_forget, h, json.dumps(doc).encode()))
        return ForgetResult.from_json(result)

    def prune(self, *, dry_run=False, repack_threshold=None):
        """Deletes unreferenced data; returns the result dict of coffer_prune."""
        doc = {"dry_run": bool(dry_run)}
        if repack_threshold is not None:
            doc["repack_threshold"] = repack_threshold
        return self._run("prune", lambda h: call_json(
            _lib.lib().coffer_prune, h, json.dumps(doc).encode()))

    def check(self, *, read_data=False, read_data_subset=None, progress=None):
        """Verifies the repository. Damage is reported (ok=False), not raised.

        progress(Progress) is called with phase VERIFYING while trees and
        then packs are checked; an exception it raises stops the check and
        is re-raised here.
        """
        doc = {"read_data": bool(read_data)}
        if read_data_subset is not None:
            doc["read_data_subset"] = read_data_subset
        lib = _lib.lib()
        callbacks = Callbacks(progress)
        options = json.dumps(doc).encode()
        result = self._run_with_callbacks(
            "check", callbacks,
            lambda h, opts, out, err: lib.coffer_check_with_progress(
                h, opts, callbacks.c_progress, None, out, err), options)
        return CheckResult.from_json(result)

    def repair(self, *, dry_run=False):
        """Rebuilds the index and salvages damaged snapshots (a result dict)."""
        return self._run("repair", lambda h: call_json(
            _lib.lib().coffer_repair, h, json.dumps({"dry_run": bool(dry_run)}).encode()))

    def unlock(self, *, remove_all=False):
        """Removes stale locks (every lock with remove_all=True)."""
        return self._run("unlock", lambda h: call_json(
            _lib.lib().coffer_unlock, h, 1 if remove_all else 0))

    # -- keys -------------------------------------------------------------

    def add_key(self, password, *, label=None, write_only=False):
        """Adds a key slot; returns its id."""
        def run(h):
            out = ctypes.c_void_p()
            call(_lib.lib().coffer_key_add, h, _text(password),
                 None if label is None else _text(label), 1 if write_only else 0,
                 ctypes.byref(out))
            return _lib.take_string(out)
        return self._run("add_key", run)

    def keys(self):
        """Key slots, oldest first."""
        docs = self._run("keys", lambda h: call_json(_lib.lib().coffer_key_list, h))
        return [from_json(Key, d) for d in docs]

    def remove_key(self, key_id):
        self._run("remove_key", lambda h: call(_lib.lib().coffer_key_remove, h, _text(key_id)))

    def change_password(self, new_password):
        self._run("change_password", lambda h: call(_lib.lib().coffer_key_change_password, h,
                                                    _text(new_password)))
