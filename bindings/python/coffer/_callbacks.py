"""Python callables behind the C callbacks of one operation.

An exception raised by a Python callback must not unwind through C. The
trampolines catch it, remember the first one, and make the library stop:
the progress trampoline returns non-zero, so the call fails with
COFFER_ERROR_CANCELLED, and the caller re-raises the remembered exception
instead of CancelledError. Warning callbacks cannot stop an operation by
themselves, so a progress trampoline is installed whenever any callback is,
and it asks to stop once something was remembered.
"""
import ctypes

from . import _lib
from .types import Phase, Progress


class Callbacks:
    def __init__(self, progress=None, warning=None):
        self.progress = progress
        self.warning = warning
        self.exception = None
        self.keep = []  # ctypes objects that must outlive the call
        self.c_progress = _lib.PROGRESS_FN(self._on_progress)
        self.c_warning = _lib.WARNING_FN(self._on_warning) if warning else None

    def _remember(self, exc):
        if self.exception is None:
            self.exception = exc

    def _on_progress(self, p, _user):
        if self.exception is not None:
            return 1
        if self.progress is None:
            return 0
        c = p.contents
        try:
            self.progress(Progress(
                phase=Phase(c.phase) if c.phase in Phase._value2member_map_ else c.phase,
                files_done=c.files_done, files_total=c.files_total,
                bytes_done=c.bytes_done, bytes_total=c.bytes_total, errors=c.errors,
                totals_final=bool(c.totals_final), elapsed_seconds=c.elapsed_seconds,
                current_path=(c.current_path or b"").decode("utf-8", "replace")))
        except BaseException as exc:  # noqa: B902 - even KeyboardInterrupt must stop C cleanly
            self._remember(exc)
            return 1
        return 0

    def _on_warning(self, path, message, _user):
        if self.exception is not None:
            return
        try:
            self.warning((path or b"").decode("utf-8", "replace"),
                         (message or b"").decode("utf-8", "replace"))
        except BaseException as exc:  # noqa: B902
            self._remember(exc)

    def stream_reader(self, fileobj):
        """A coffer_read_fn over a binary file object (read() or readinto())."""

        def read(_user, buf, cap):
            if self.exception is not None:
                return -1
            try:
                data = fileobj.read(cap)
                if not data:
                    return 0
                if len(data) > cap:
                    raise ValueError("stream read() returned more bytes than asked for")
                ctypes.memmove(buf, data, len(data))
                return len(data)
            except BaseException as exc:  # noqa: B902
                self._remember(exc)
                return -1

        fn = _lib.READ_FN(read)
        self.keep.append(fn)
        return fn

    def install(self, set_progress, set_warning, opts):
        """Registers the trampolines with a C options object."""
        set_progress(opts, self.c_progress, None)
        if self.c_warning is not None:
            set_warning(opts, self.c_warning, None)

    def raise_pending(self):
        """Re-raises what a callback raised, if anything."""
        if self.exception is not None:
            exc, self.exception = self.exception, None
            raise exc
