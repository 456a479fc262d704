"""Result objects: dataclasses built from the library's JSON documents.

Each class keeps the fields coffer.h documents; fields a newer library adds
are ignored (as the header asks of readers), and `raw` keeps the whole
document for them.
"""
import dataclasses
import datetime
import enum
from typing import Any, Dict, List, Optional


def _time(ns):
    """A UTC datetime from nanoseconds since the epoch (microsecond precision)."""
    if ns is None:
        return None
    return datetime.datetime.fromtimestamp(ns // 1000 / 1e6, tz=datetime.timezone.utc)


def from_json(cls, doc, **extra):
    """An instance of dataclass `cls` from the known members of `doc`."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in doc.items() if k in names}
    if "raw" in names:
        values["raw"] = doc
    values.update(extra)
    return cls(**values)


class Phase(enum.IntEnum):
    """coffer_phase: what a long operation is doing."""
    SCANNING = 0
    BACKUP = 1
    RESTORE = 2
    FINISHING = 3
    VERIFYING = 4  # check: reading trees, then packs


@dataclasses.dataclass(frozen=True)
class Progress:
    """A progress report (a copy of coffer_progress)."""
    phase: Phase
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    errors: int
    totals_final: bool
    elapsed_seconds: float
    current_path: str


@dataclasses.dataclass(frozen=True)
class FileError:
    path: str
    message: str


def _file_errors(items):
    return [FileError(e.get("path", ""), e.get("message", "")) for e in items or []]


@dataclasses.dataclass
class BackupSummary:
    files_new: int = 0
    files_changed: int = 0
    files_unchanged: int = 0
    dirs: int = 0
    other_entries: int = 0
    bytes_read: int = 0
    bytes_total: int = 0
    blobs_added: int = 0
    bytes_added: int = 0
    bytes_added_stored: int = 0
    errors: int = 0
    duration_seconds: float = 0.0


@dataclasses.dataclass
class BackupResult:
    snapshot_id: str
    short_id: str
    time_ns: int
    host: str
    paths: List[str]
    tags: List[str]
    partial: bool
    summary: BackupSummary
    errors: List[FileError]
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False, default_factory=dict)

    @property
    def time(self):
        return _time(self.time_ns)

    @classmethod
    def from_json(cls, doc):
        return from_json(cls, doc, summary=from_json(BackupSummary, doc.get("summary", {})),
                         errors=_file_errors(doc.get("errors")))


@dataclasses.dataclass
class RestoreResult:
    snapshot_id: str
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    other: int = 0
    bytes: int = 0
    errors: int = 0
    duration_seconds: float = 0.0


@dataclasses.dataclass
class Node:
    """One entry of a snapshot's tree (coffer_snapshot_ls)."""
    path: str
    name: str
    type: str  # "file", "dir", "symlink", "fifo"
    mode: int = 0
    uid: int = 0
    gid: int = 0
    user: str = ""
    group: str = ""
    size: int = 0
    mtime_ns: int = 0
    link_target: Optional[str] = None

    @property
    def mtime(self):
        return _time(self.mtime_ns)

    @property
    def is_dir(self):
        return self.type == "dir"


@dataclasses.dataclass
class Snapshot:
    """A snapshot; iterating over it walks its whole tree, depth first."""
    id: str
    short_id: str
    time_ns: int
    host: str
    user: str
    paths: List[str]
    tags: List[str]
    tree: str
    partial: bool
    parent: Optional[str] = None
    summary: BackupSummary = dataclasses.field(default_factory=BackupSummary)
    errors: List[FileError] = dataclasses.field(default_factory=list)
    program_version: str = ""
    raw: Dict[str, Any] = dataclasses.field(repr=False, compare=False, default_factory=dict)
    repository: Any = dataclasses.field(repr=False, compare=False, default=None)

    @property
    def time(self):
        return _time(self.time_ns)

    @classmethod
    def from_json(cls, doc, repository=None):
        return from_json(cls, doc, summary=from_json(BackupSummary, doc.get("summary") or {}),
                         errors=_file_errors(doc.get("errors")), repository=repository)

    def ls(self, path="/"):
        """The entry at `path` and its direct children."""
        return self.repository.ls(self.id, path)

    def walk(self, path="/"):
        """Every node at and below `path`, depth first in name order."""
        return self.repository.walk(self.id, path)

    def __iter__(self):
        return iter(self.walk())


@dataclasses.dataclass
class Match:
    """A node found by Repository.find()."""
    snapshot_id: str
    snapshot_time_ns: int
    path: str
    type: str
    size: int = 0
    mtime_ns: int = 0


@dataclasses.dataclass
class Decision:
    """What retention decided for one snapshot."""
    id: str
    keep: bool
    reasons: List[str]
    group: str


@dataclasses.dataclass
class ForgetResult:
    dry_run: bool
    removed: List[str]
    decisions: List[Decision]

    @classmethod
    def from_json(cls, doc):
        return cls(doc["dry_run"], list(doc["removed"]),
                   [from_json(Decision, d) for d in doc.get("decisions", [])])


@dataclasses.dataclass(frozen=True)
class Problem:
    object: str
    message: str


@dataclasses.dataclass
class CheckResult:
    ok: bool
    snapshots: int = 0
    trees: int = 0
    blobs: int = 0
    packs: int = 0
    packs_read: int = 0
    bytes_read: int = 0
    errors: List[Problem] = dataclasses.field(default_factory=list)
    notices: List[Problem] = dataclasses.field(default_factory=list)
    damaged: List[Dict[str, str]] = dataclasses.field(default_factory=list)

    @classmethod
    def from_json(cls, doc):
        problems = lambda items: [Problem(p["object"], p["message"]) for p in items or []]
        return from_json(cls, doc, errors=problems(doc.get("errors")),
                         notices=problems(doc.get("notices")))


@dataclasses.dataclass
class Key:
    """A key slot."""
    id: str
    short_id: str
    host: str = ""
    user: str = ""
    label: str = ""
    created_unix: int = 0
    write_only: bool = False
    current: bool = False
