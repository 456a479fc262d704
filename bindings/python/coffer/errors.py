"""The exception hierarchy: one class per coffer_status of coffer.h.

Every failure the library reports raises a subclass of CofferError carrying
the status `code` (an int, the C enum value), its `status_name`
("COFFER_ERROR_NOT_FOUND") and the library's `message`.
"""
import ctypes

from . import _lib


class CofferError(Exception):
    """A failure reported by libcoffer (or by this package's checks)."""

    code = None  # the coffer_status value; set on every subclass

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def status_name(self):
        return _lib.lib().coffer_status_name(self.code).decode()


class InvalidArgumentError(CofferError, ValueError):
    """COFFER_ERROR_INVALID_ARGUMENT: a bad argument, option or pattern."""
    code = 1


class NotFoundError(CofferError, LookupError):
    """COFFER_ERROR_NOT_FOUND: no repository, snapshot, path or key."""
    code = 2


class AlreadyExistsError(CofferError):
    """COFFER_ERROR_ALREADY_EXISTS: e.g. init where a repository exists."""
    code = 3


class WrongPasswordError(CofferError):
    """COFFER_ERROR_WRONG_PASSWORD: no key slot opens with the password."""
    code = 4


class PermissionDeniedError(CofferError):
    """COFFER_ERROR_PERMISSION_DENIED: refused by the OS or store, or a write-only key."""
    code = 5


class CorruptError(CofferError):
    """COFFER_ERROR_CORRUPT: damaged or tampered repository data."""
    code = 6


class LockedError(CofferError):
    """COFFER_ERROR_LOCKED: another process holds a conflicting lock."""
    code = 7


class BackendError(CofferError):
    """COFFER_ERROR_IO: a store or network failure (maybe transient)."""
    code = 8


StoreError = BackendError


class CancelledError(CofferError):
    """COFFER_ERROR_CANCELLED: the operation was asked to stop."""
    code = 9


class UnsupportedError(CofferError):
    """COFFER_ERROR_UNSUPPORTED: unknown format version, feature or scheme."""
    code = 10


class NoSpaceError(CofferError):
    """COFFER_ERROR_NO_SPACE: disk, quota or memory exhausted."""
    code = 11


class InternalError(CofferError):
    """COFFER_ERROR_INTERNAL: a bug in coffer."""
    code = 12


class StoreAuthError(BackendError):
    """COFFER_ERROR_STORE_AUTH: the storage service refused the credentials."""
    code = 13


_BY_CODE = {cls.code: cls for cls in (
    InvalidArgumentError, NotFoundError, AlreadyExistsError, WrongPasswordError,
    PermissionDeniedError, CorruptError, LockedError, BackendError, CancelledError,
    UnsupportedError, NoSpaceError, InternalError, StoreAuthError)}


def error_class(code):
    """The exception class for a coffer_status (CofferError for unknown codes)."""
    return _BY_CODE.get(code, CofferError)


def from_status(status, err):
    """Builds the exception for a failed call and frees the coffer_error."""
    library = _lib.lib()
    message = ""
    if err.value:
        message = library.coffer_error_message(err).decode("utf-8", "replace")
        library.coffer_error_free(err)
        err.value = None
    if not message:
        message = library.coffer_status_name(status).decode()
    return error_class(status)(message, status)


def check(status, err):
    """Raises the matching exception when `status` is not COFFER_OK."""
    if status != 0:
        raise from_status(status, err)


def new_error_out():
    """A fresh `coffer_error*` to pass by reference as the err argument."""
    return ctypes.c_void_p()
