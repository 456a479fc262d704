"""coffer: encrypted, deduplicating backups — Python bindings over libcoffer.

    import coffer
    with coffer.Repository.init("/backups/repo", "secret") as repo:
        result = repo.backup(["/home/ann"], tags=["laptop"], excludes=["*.tmp"])
        for snap in repo.snapshots():
            for node in snap:          # the whole tree, depth first
                print(node.path, node.size)
        repo.restore("/tmp/out", result.snapshot_id)

The shared library is found through $COFFER_LIBRARY, a build tree of the
checkout this package lives in, or the system's loader (libcoffer.so.0).
Failures raise subclasses of CofferError, one per coffer_status.
"""
from . import _lib
from .errors import (AlreadyExistsError, BackendError, CancelledError, CofferError,
                     CorruptError, InternalError, InvalidArgumentError, LockedError,
                     NoSpaceError, NotFoundError, PermissionDeniedError, StoreAuthError,
                     StoreError, UnsupportedError, WrongPasswordError, error_class)
from .policy import evaluate_retention, next_run, validate_policy
from .repository import Repository
from .types import (BackupResult, BackupSummary, CheckResult, Decision, FileError, ForgetResult,
                    Key, Match, Node, Phase, Problem, Progress, RestoreResult, Snapshot)

__all__ = [
    "Repository", "version", "version_number", "defaults",
    "validate_policy", "next_run", "evaluate_retention",
    "CofferError", "InvalidArgumentError", "NotFoundError", "AlreadyExistsError",
    "WrongPasswordError", "PermissionDeniedError", "CorruptError", "LockedError",
    "BackendError", "StoreError", "CancelledError", "UnsupportedError", "NoSpaceError",
    "InternalError", "StoreAuthError", "error_class",
    "BackupResult", "BackupSummary", "CheckResult", "Decision", "FileError", "ForgetResult",
    "Key", "Match", "Node", "Phase", "Problem", "Progress", "RestoreResult", "Snapshot",
]


def version():
    """The linked library's version, "MAJOR.MINOR.PATCH"."""
    return _lib.lib().coffer_version().decode()


def version_number():
    """MAJOR * 10000 + MINOR * 100 + PATCH of the linked library."""
    return _lib.lib().coffer_version_number()


def defaults():
    """The library's defaults (sizes in bytes) as a dict."""
    lib = _lib.lib()
    return {
        "pack_size": lib.coffer_default_pack_size(),
        "chunk_min_size": lib.coffer_default_chunk_min_size(),
        "chunk_avg_size": lib.coffer_default_chunk_avg_size(),
        "chunk_max_size": lib.coffer_default_chunk_max_size(),
        "kdf_ops_limit": lib.coffer_default_kdf_ops_limit(),
        "kdf_mem_limit": lib.coffer_default_kdf_mem_limit(),
    }
