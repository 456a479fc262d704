"""Policies, schedules and retention: pure functions, no repository needed."""
import ctypes
import datetime
import json

from . import _lib
from .errors import check
from .repository import _json_arg, call_json
from .types import Decision, Snapshot, from_json


def validate_policy(policy):
    """Checks a policy (a dict or JSON text); returns its canonical form as a
    dict. Raises InvalidArgumentError naming the bad field."""
    return call_json(_lib.lib().coffer_policy_validate, _json_arg(policy))


def next_run(policy, after=None):
    """The first run of the policy's schedule strictly after `after` (a
    timezone-aware datetime, or nanoseconds since the epoch; default now), as
    a UTC datetime. `policy` is a whole policy or its "schedule" object."""
    if after is None:
        after = datetime.datetime.now(datetime.timezone.utc)
    if isinstance(after, datetime.datetime):
        if after.tzinfo is None:
            raise ValueError("next_run: `after` must be timezone-aware")
        delta = after - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        after = (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    out = ctypes.c_int64()
    err = ctypes.c_void_p()
    check(_lib.lib().coffer_schedule_next_run(_json_arg(policy), int(after), ctypes.byref(out),
                                              ctypes.byref(err)), err)
    return datetime.datetime.fromtimestamp(out.value // 1000 / 1e6, tz=datetime.timezone.utc)


def evaluate_retention(retention, snapshots):
    """Which snapshots a retention policy keeps (nothing is forgotten).

    snapshots are Snapshot objects or dicts with "id", "time_ns", "host",
    "paths" and "tags". Returns a list of Decision."""
    docs = [s.raw if isinstance(s, Snapshot) and s.raw else
            (dict(id=s.id, time_ns=s.time_ns, host=s.host, paths=s.paths, tags=s.tags)
             if isinstance(s, Snapshot) else s) for s in snapshots]
    result = call_json(_lib.lib().coffer_retention_evaluate, _json_arg(retention),
                       json.dumps(docs).encode())
    return [from_json(Decision, d) for d in result]
