#!/usr/bin/env python3
"""coffer side by side with restic and borg on the same corpus.

For each tool (coffer, restic, borg) this script creates a repository in a
fresh directory, then times a first backup, an unchanged re-backup, a backup
after a deterministic edit of the corpus, and a restore of that last snapshot
into a fresh directory, which it checks against the corpus. It prints one
table of wall time, user+sys CPU time, peak RSS and repository size per tool
and step, with coffer's ratios to each peer, all measured in the same run.

Python 3 standard library only. See bench/compare/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOOLS = ("coffer", "restic", "borg")
STEPS = ("first", "unchanged", "edited", "restore")
BACKUP_STEPS = ("first", "unchanged", "edited")
APT_PACKAGES = {"restic": "restic", "borg": "borgbackup", "time": "time"}
SYSTEM_SOURCES = ("/usr/lib", "/usr/share", "/usr/include")
DEFAULT_CORPUS_SIZE = "2.8G"
PASSWORD = "coffer-compare-benchmark-password"
HOST = "coffer-compare"
ADDED_DIR = "coffer-compare-added"
GNU_TIME = "/usr/bin/time"
EXIT_FAILED = 1
EXIT_USAGE = 2

HELP_EPILOG = """\
corpus:
  By default up to --corpus-size bytes of regular files are copied (real
  copies: no hardlinks, no reflinks, no metadata kept) from /usr/lib,
  /usr/share and /usr/include into the work directory. Files are taken in a
  deterministic order (SHA-1 of the relative path), so a smaller size is a
  representative sample of the same mix; a file that does not fit the budget
  is skipped. --corpus DIR copies regular files of DIR the same way (DIR
  itself is never modified; --corpus-size limits it only when given).
  --small-files N generates N files of 0-4 KiB (seeded by --seed) instead.

steps, per tool, each in a fresh repository and fresh cache directory:
  init       create the repository (timed; in the JSON only)
  first      first backup of the corpus
  unchanged  backup again, nothing changed (files caches in use)
  edited     backup after the edit step: 1% of the files overwritten in
             the middle (up to 4 KiB), 1% appended to (8 KiB), 0.5%
             deleted, 0.5% new files added (sizes of random corpus files,
             at most 1 MiB); the same edits for every tool (--seed), undone
             after the tool's run
  restore    restore the latest snapshot into a fresh directory, then
             compare it with the corpus: every path, type and file size,
             plus SHA-256 of the edited files and of a sample of the others
             (--verify-sample; --verify-all hashes every file)

measurement:
  Every step runs under GNU time (/usr/bin/time, Debian package 'time').
  Wall time is measured around it; user+sys CPU time comes from wait4() on
  it (the tool, any children the tool waited for, and time's own ~1 ms);
  peak RSS is GNU time's %M, the tool's own ru_maxrss. (wait4() on a child
  forked straight from this script would report at least the script's own
  peak RSS: Linux carries the high-water mark across exec.)
  The corpus is read once, untimed, before the first tool runs; nothing is
  dropped from the page cache (hot runs). sync(2) runs, untimed, before
  every timed step so one step's writeback is not billed to the next.
  Repository size is du-style: allocated blocks of the repository
  directory after each backup (the JSON also has apparent bytes).

ratios:
  time and peak RSS: peer / coffer (above 1: coffer is faster or smaller);
  repository size: coffer / peer (below 1: coffer's repository is smaller).

settings:
  coffer: 'coffer init' defaults (zstd level 3, AES-256-GCM where the CPU
          accelerates it, else XChaCha20-Poly1305; Argon2id 56 MiB, 4 passes).
  restic: 'restic init' defaults (AES-256-CTR + Poly1305-AES, the only mode;
          the repository format version and compression are restic's
          defaults and are reported).
  borg:   'borg init --encryption repokey-blake2' (or --borg-encryption
          repokey), borg's default lz4 compression.
  Passwords come from COFFER_PASSWORD, RESTIC_PASSWORD and BORG_PASSPHRASE.
  Caches are isolated the same way for all three, in a fresh directory per
  tool and repeat inside the work directory: XDG_CACHE_HOME for coffer's
  files cache, --cache-dir for restic, BORG_BASE_DIR (and BORG_CACHE_DIR,
  BORG_CONFIG_DIR, BORG_SECURITY_DIR, BORG_KEYS_DIR) for borg; HOME points
  there as well. Thread counts are each tool's default.

tools:
  restic, borg and GNU time are looked up on PATH (or --restic/--borg);
  when missing they are installed with 'apt-get install restic borgbackup
  time', which needs root. The coffer binary is --coffer, default build/bin/coffer under the
  repository root.

exit status:
  0 success; 1 a tool is missing and could not be installed, the coffer
  binary is missing, a tool failed, or a restore did not match the corpus;
  2 usage error.
"""


class BenchError(Exception):
    """A failure that ends the run with a message and exit status 1."""


# ---------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_size(text: str) -> int:
    """'2.8G' -> bytes. K, M, G, T are powers of 1024; a bare number is bytes."""
    t = text.strip().upper()
    for suffix in ("IB", "B"):
        if t.endswith(suffix) and len(t) > len(suffix) and t[-len(suffix) - 1] in "KMGT":
            t = t[: -len(suffix)]
            break
    mult = 1
    if t and t[-1] in "KMGT":
        mult = 1024 ** ("KMGT".index(t[-1]) + 1)
        t = t[:-1]
    try:
        value = float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 200M, 2.8G)")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive: {text!r}")
    return int(value * mult)


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{int(n)} B"


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def du(path: str) -> tuple[int, int]:
    """(allocated bytes, apparent bytes) of a tree, hardlinks counted once."""
    seen: set[tuple[int, int]] = set()
    alloc = apparent = 0
    stack = [path]
    while stack:
        p = stack.pop()
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        alloc += st.st_blocks * 512
        apparent += st.st_size
        if os.path.isdir(p) and not os.path.islink(p):
            with os.scandir(p) as it:
                stack.extend(e.path for e in it)
    return alloc, apparent


def mount_fstype(path: str) -> str:
    """File system type of the mount holding path (from /proc/mounts)."""
    best, fstype = "", "?"
    real = os.path.realpath(path)
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mnt = parts[1].replace("\\040", " ")
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                    best, fstype = mnt, parts[2]
    except OSError:
        pass
    return fstype


def tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join("    " + l for l in data.splitlines()[-lines:])


# ---------------------------------------------------------------- corpus


def walk_regular_files(root: str):
    """Yield (relative path, size) of regular files under root, not following symlinks."""
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            it = os.scandir(os.path.join(root, rel_dir) if rel_dir else root)
        except OSError:
            continue
        with it:
            for e in it:
                rel = os.path.join(rel_dir, e.name) if rel_dir else e.name
                try:
                    if e.is_dir(follow_symlinks=False):
                        stack.append(rel)
                    elif e.is_file(follow_symlinks=False):
                        yield rel, e.stat(follow_symlinks=False).st_size
                except OSError:
                    continue


def select_files(sources: list[tuple[str, str]], budget: int | None):
    """Pick files from (source dir, name in corpus) pairs in SHA-1(path) order within budget."""
    candidates = []
    for src, prefix in sources:
        if not os.path.isdir(src):
            continue
        for rel, size in walk_regular_files(src):
            dest_rel = os.path.join(prefix, rel)
            key = hashlib.sha1(os.fsencode(dest_rel)).digest()
            candidates.append((key, os.path.join(src, rel), dest_rel, size))
    candidates.sort()
    chosen, total = [], 0
    for _, src_path, dest_rel, size in candidates:
        if budget is not None and total + size > budget:
            continue
        chosen.append((src_path, dest_rel, size))
        total += size
    return chosen, total, len(candidates)


def copy_corpus(chosen, dest: str) -> tuple[int, int]:
    files = total = skipped = 0
    made_dirs: set[str] = set()
    for src_path, dest_rel, _ in chosen:
        out = os.path.join(dest, dest_rel)
        d = os.path.dirname(out)
        if d not in made_dirs:
            os.makedirs(d, exist_ok=True)
            made_dirs.add(d)
        try:
            shutil.copyfile(src_path, out, follow_symlinks=False)  # content only, a real copy
        except OSError:
            skipped += 1  # vanished or unreadable: the corpus is what was copied
            continue
        files += 1
        total += os.path.getsize(out)
    if skipped:
        log(f"  skipped {skipped} file(s) that could not be read")
    return files, total


TEXT_WORDS = (
    "the of and to in is for on that with as by this be are from at or an it not which "
    "config value path file data return int char void static const struct include define "
    "if else while for switch case break default error status buffer size length index "
    "name type version license copyright author module import export function class"
).split()


def make_small_files(dest: str, n: int, seed: int) -> tuple[int, int]:
    """N files of 0..4096 bytes: a unique 16-byte header plus text-like filler."""
    rng = random.Random(f"small-files-{seed}")
    pool_words = [rng.choice(TEXT_WORDS) for _ in range(300000)]
    pool = " ".join(pool_words).encode()
    total = 0
    for i in range(n):
        size = rng.randint(0, 4096)
        d = os.path.join(dest, "small", f"d{i // 10000:03d}", f"d{(i // 100) % 100:02d}")
        if i % 100 == 0:
            os.makedirs(d, exist_ok=True)
        off = rng.randrange(0, len(pool) - 4096)
        body = (rng.randbytes(8).hex().encode() + pool[off : off + 4096])[:size]
        with open(os.path.join(d, f"f{i:07d}"), "wb") as f:
            f.write(body)
        total += size
    return n, total


def manifest(root: str) -> dict[str, tuple]:
    """rel path -> ('d',) | ('f', size) | ('l', target) | ('o',) for everything under root."""
    out: dict[str, tuple] = {}
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(root, rel_dir) if rel_dir else root) as it:
            for e in it:
                rel = os.path.join(rel_dir, e.name) if rel_dir else e.name
                if e.is_symlink():
                    out[rel] = ("l", os.readlink(e.path))
                elif e.is_dir(follow_symlinks=False):
                    out[rel] = ("d",)
                    stack.append(rel)
                elif e.is_file(follow_symlinks=False):
                    out[rel] = ("f", e.stat(follow_symlinks=False).st_size)
                else:
                    out[rel] = ("o",)
    return out


def manifest_stats(m: dict[str, tuple]) -> tuple[int, int]:
    files = sum(1 for v in m.values() if v[0] == "f")
    return files, sum(v[1] for v in m.values() if v[0] == "f")


def warm_up(root: str) -> None:
    buf = bytearray(1 << 20)
    for rel, _ in walk_regular_files(root):
        try:
            with open(os.path.join(root, rel), "rb", buffering=0) as f:
                while f.readinto(buf):
                    pass
        except OSError:
            pass


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- edits


class Edits:
    """A deterministic edit of the corpus, applied before the 'edited' backup and undone after."""

    def __init__(self, corpus: str, base: dict[str, tuple], seed: int, undo_dir: str):
        self.corpus, self.undo_dir, self.seed = corpus, undo_dir, seed
        files = sorted((rel, v[1]) for rel, v in base.items() if v[0] == "f")
        n = len(files)
        if n < 4:
            raise BenchError(f"the corpus has {n} files; the edit step needs at least 4")
        rng = random.Random(f"edits-{seed}")
        k_mod, k_app = max(1, n // 100), max(1, n // 100)
        k_del, k_add = max(1, n // 200), max(1, n // 200)
        picks = rng.sample(range(n), k_mod + k_app + k_del)
        self.modify = [files[i] for i in picks[:k_mod]]
        self.append = [files[i] for i in picks[k_mod : k_mod + k_app]]
        self.delete = [files[i][0] for i in picks[k_mod + k_app :]]
        self.add = [
            (os.path.join(ADDED_DIR, f"d{j // 100:03d}", f"new{j:06d}"), min(1 << 20, files[rng.randrange(n)][1]))
            for j in range(k_add)
        ]
        self.applied = False

    def touched(self) -> list[str]:
        return [r for r, _ in self.modify] + [r for r, _ in self.append] + [r for r, _ in self.add]

    def summary(self) -> dict:
        return {
            "modified": len(self.modify),
            "appended": len(self.append),
            "deleted": len(self.delete),
            "added": len(self.add),
            "added_bytes": sum(s for _, s in self.add),
        }

    def _data(self, what: str, i: int, size: int) -> bytes:
        return random.Random(f"edit-data-{self.seed}-{what}-{i}").randbytes(size)

    def apply(self) -> None:
        os.makedirs(self.undo_dir, exist_ok=True)
        self.applied = True
        for i, (rel, size) in enumerate(self.modify):
            path = os.path.join(self.corpus, rel)
            shutil.copyfile(path, os.path.join(self.undo_dir, f"m{i}"))
            n = min(4096, size) if size else 64
            with open(path, "r+b") as f:
                f.seek(max(0, size // 2 - n // 2))
                f.write(self._data("modify", i, n))
        for i, (rel, size) in enumerate(self.append):
            path = os.path.join(self.corpus, rel)
            shutil.copyfile(path, os.path.join(self.undo_dir, f"a{i}"))
            with open(path, "ab") as f:
                f.write(self._data("append", i, 8192))
        for i, rel in enumerate(self.delete):
            os.replace(os.path.join(self.corpus, rel), os.path.join(self.undo_dir, f"d{i}"))
        for i, (rel, size) in enumerate(self.add):
            path = os.path.join(self.corpus, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(self._data("add", i, size))

    def undo(self) -> None:
        if not self.applied:
            return
        shutil.rmtree(os.path.join(self.corpus, ADDED_DIR), ignore_errors=True)
        for i, rel in enumerate(self.delete):
            src = os.path.join(self.undo_dir, f"d{i}")
            if os.path.exists(src):
                os.replace(src, os.path.join(self.corpus, rel))
        for prefix, items in (("m", self.modify), ("a", self.append)):
            for i, (rel, _) in enumerate(items):
                src = os.path.join(self.undo_dir, f"{prefix}{i}")
                if os.path.exists(src):
                    os.replace(src, os.path.join(self.corpus, rel))
        self.applied = False


# ---------------------------------------------------------------- tools


class Tool:
    name = ""

    def __init__(self, binary: str):
        self.binary = binary
        self.version = "?"
        self.settings = ""

    def env(self, cache: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("COFFER_", "RESTIC_", "BORG_", "XDG_", "GOMAXPROCS"))
        }
        env["HOME"] = os.path.join(cache, "home")
        env["LANG"] = env["LC_ALL"] = "C.UTF-8"
        os.makedirs(env["HOME"], exist_ok=True)
        return env

    # Each returns (argv, cwd or None).
    def init(self, repo, cache):
        raise NotImplementedError

    def backup(self, repo, cache, path, step):
        raise NotImplementedError

    def restore(self, repo, cache, target):
        raise NotImplementedError

    def describe(self, repo, cache, init_output) -> None:
        """Fill self.settings after init (untimed); init_output holds init's stdout."""


class Coffer(Tool):
    name = "coffer"

    def env(self, cache):
        env = super().env(cache)
        env["COFFER_PASSWORD"] = PASSWORD
        env["XDG_CACHE_HOME"] = cache
        return env

    def init(self, repo, cache):
        return [self.binary, "-r", repo, "--json", "init"], None

    def backup(self, repo, cache, path, step):
        return [self.binary, "-r", repo, "backup", "--host", HOST, path], None

    def restore(self, repo, cache, target):
        return [self.binary, "-r", repo, "restore", "latest", "--target", target], None

    def describe(self, repo, cache, init_output):
        try:
            with open(init_output) as f:
                info = json.load(f)
        except (OSError, ValueError):
            info = {}
        parts = ["coffer init defaults"]
        if isinstance(info, dict):
            codec = (info.get("compression") or {}).get("codec")
            if codec:
                parts.append(f"{codec} compression")
            if info.get("data_cipher"):
                parts.append(str(info["data_cipher"]))
            chunker = info.get("chunker") or {}
            if chunker.get("avg_size"):
                parts.append(f"{fmt_bytes(chunker['avg_size'])} average chunks")
        self.settings = ", ".join(parts)


class Restic(Tool):
    name = "restic"

    def env(self, cache):
        env = super().env(cache)
        env["RESTIC_PASSWORD"] = PASSWORD
        env["RESTIC_CACHE_DIR"] = cache
        return env

    def _base(self, repo, cache):
        return [self.binary, "-r", repo, "--cache-dir", cache]

    def init(self, repo, cache):
        return self._base(repo, cache) + ["init"], None

    def backup(self, repo, cache, path, step):
        return self._base(repo, cache) + ["backup", "--host", HOST, path], None

    def restore(self, repo, cache, target):
        return self._base(repo, cache) + ["restore", "latest", "--target", target], None

    def describe(self, repo, cache, init_output):
        parts = ["restic init defaults (AES-256-CTR + Poly1305-AES)"]
        try:
            out = subprocess.run(
                self._base(repo, cache) + ["cat", "config"], env=self.env(cache),
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
            ).stdout
            cfg = json.loads(out)
            parts.append(f"repository format v{cfg.get('version')}")
            if cfg.get("version", 1) >= 2:
                parts.append("compression auto")
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
        self.settings = ", ".join(parts)


class Borg(Tool):
    name = "borg"

    def __init__(self, binary, encryption):
        super().__init__(binary)
        self.encryption = encryption

    def env(self, cache):
        env = super().env(cache)
        env["BORG_PASSPHRASE"] = PASSWORD
        env["BORG_BASE_DIR"] = cache
        env["BORG_CACHE_DIR"] = os.path.join(cache, "cache")
        env["BORG_CONFIG_DIR"] = os.path.join(cache, "config")
        env["BORG_SECURITY_DIR"] = os.path.join(cache, "security")
        env["BORG_KEYS_DIR"] = os.path.join(cache, "keys")
        env["BORG_DISPLAY_PASSPHRASE"] = "no"
        return env

    def init(self, repo, cache):
        return [self.binary, "init", "--encryption", self.encryption, repo], None

    def backup(self, repo, cache, path, step):
        return [self.binary, "create", f"{repo}::{step}", path], None

    def restore(self, repo, cache, target):
        # borg extract writes into the current directory; 'edited' is the latest archive.
        return [self.binary, "extract", f"{repo}::edited"], target

    def describe(self, repo, cache, init_output):
        self.settings = f"borg init --encryption {self.encryption}, default compression (lz4)"


def tool_version(argv: list[str]) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        raise BenchError(f"cannot run {argv[0]}: {e}")
    text = (r.stdout or r.stderr).strip().splitlines()
    if r.returncode != 0 or not text:
        raise BenchError(f"'{' '.join(argv)}' failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()}")
    return text[0].strip()


def find_or_install(wanted: list[str], explicit: dict[str, str | None], no_install: bool) -> dict[str, str]:
    """Paths of the peer tools and GNU time, installing missing ones with apt-get."""
    found: dict[str, str] = {}
    missing = []
    for tool in wanted:
        path = explicit.get(tool)
        if path:
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                raise BenchError(f"--{tool} {path}: no such executable")
            found[tool] = path
            continue
        path = shutil.which(tool)
        if path:
            found[tool] = path
        else:
            missing.append(tool)
    if not missing:
        return found
    pkgs = [APT_PACKAGES[t] for t in missing]
    what = ", ".join("GNU time" if t == "time" else t for t in missing)
    hint = f"apt-get install {' '.join(pkgs)}"
    if no_install:
        raise BenchError(f"{what} not found on PATH and --no-install was given (install with: {hint})")
    if os.geteuid() != 0:
        raise BenchError(f"{what} not found on PATH; installing needs root: run '{hint}' as root, or run this script as root")
    if not shutil.which("apt-get"):
        raise BenchError(f"{what} not found on PATH and there is no apt-get to install {' '.join(pkgs)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log(f"installing {' '.join(pkgs)} with apt-get")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends"] + pkgs
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        log("apt-get install failed; running apt-get update and trying again")
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, stdin=subprocess.DEVNULL)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        lines = "\n".join("    " + l for l in (r.stderr or r.stdout).strip().splitlines()[-8:])
        raise BenchError(f"{what} missing and '{' '.join(cmd)}' failed (exit {r.returncode}):\n{lines}")
    for tool in missing:
        path = shutil.which(tool)
        if not path:
            raise BenchError(f"apt-get installed {APT_PACKAGES[tool]} but {tool} is still not on PATH")
        found[tool] = path
    return found


# ---------------------------------------------------------------- measuring


def run_measured(argv: list[str], cwd: str | None, env: dict[str, str], log_path: str, label: str,
                 stdout_path: str | None = None) -> dict:
    """Run argv to completion; stdout and stderr go to log_path (stdout to stdout_path if given)."""
    os.sync()  # untimed: flush the previous step's dirty pages first
    with open(log_path, "ab") as logf:
        logf.write(f"\n=== {label}: {' '.join(argv)}{' (in ' + cwd + ')' if cwd else ''}\n".encode())
        logf.flush()
        t0 = time.perf_counter()
        out = open(stdout_path, "wb") if stdout_path else None
        rusage_file = log_path + ".rusage"
        timed = [GNU_TIME, "-o", rusage_file, "-f", "%e %U %S %M"] + argv
        try:
            proc = subprocess.Popen(timed, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out or logf, stderr=logf if out else subprocess.STDOUT)
        except OSError as e:
            raise BenchError(f"{label}: cannot start {argv[0]}: {e}")
        finally:
            if out:
                out.close()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        raise BenchError(f"{label} failed (exit {code}): {' '.join(argv)}\n  last lines of {log_path}:\n{tail(log_path)}")
    try:
        with open(rusage_file) as f:
            maxrss_kib = int(f.read().split()[-1])  # GNU time reports KiB; earlier lines say how it ended
        os.unlink(rusage_file)
    except (OSError, ValueError, IndexError) as e:
        raise BenchError(f"{label}: cannot read GNU time's report {rusage_file}: {e}")
    return {
        "wall_s": wall,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "peak_rss_bytes": maxrss_kib * 1024,
    }


def verify_restore(corpus: str, restored_root: str, expected: dict[str, tuple], must_hash: list[str],
                   sample: int, hash_all: bool, label: str) -> dict:
    if not os.path.isdir(restored_root):
        raise BenchError(f"{label}: restore did not produce {restored_root}")
    got = manifest(restored_root)
    problems = []
    for rel in sorted(set(expected) - set(got))[:5]:
        problems.append(f"missing {rel}")
    for rel in sorted(set(got) - set(expected))[:5]:
        problems.append(f"unexpected {rel}")
    for rel in sorted(set(got) & set(expected)):
        if got[rel] != expected[rel]:
            problems.append(f"{rel}: expected {expected[rel]}, got {got[rel]}")
            if len(problems) >= 10:
                break
    files = sorted(rel for rel, v in expected.items() if v[0] == "f")
    if hash_all:
        to_hash = files
    else:
        step = max(1, len(files) // sample) if sample > 0 else 0
        to_hash = sorted(set(must_hash) | (set(files[::step]) if step else set()))
    hashed = 0
    if not problems:
        for rel in to_hash:
            a, b = os.path.join(corpus, rel), os.path.join(restored_root, rel)
            if sha256_file(a) != sha256_file(b):
                problems.append(f"{rel}: content differs (SHA-256)")
                if len(problems) >= 10:
                    break
            hashed += 1
    n_exp, b_exp = manifest_stats(expected)
    n_got, b_got = manifest_stats(got)
    if problems:
        raise BenchError(
            f"{label}: restore does not match the corpus ({n_got} files / {b_got} bytes restored, "
            f"{n_exp} / {b_exp} expected):\n" + "\n".join("    " + p for p in problems[:10])
        )
    return {"files": n_got, "bytes": b_got, "entries": len(got), "sha256_checked": hashed}


def run_tool(tool: Tool, rep: int, work: str, corpus: str, base: dict[str, tuple], edits: Edits, args) -> dict:
    run_dir = os.path.join(work, "runs", f"r{rep}-{tool.name}")
    repo, cache, target = (os.path.join(run_dir, d) for d in ("repo", "cache", "restore"))
    os.makedirs(cache)
    log_path = os.path.join(work, "logs", f"r{rep}-{tool.name}.log")
    env = tool.env(cache)
    res: dict = {}
    label = f"{tool.name} (repeat {rep})"

    argv, cwd = tool.init(repo, cache)
    init_output = os.path.join(run_dir, "init.out")
    res["init"] = run_measured(argv, cwd, env, log_path, f"{label} init", init_output)
    if not tool.settings:
        tool.describe(repo, cache, init_output)

    base_files, base_bytes = manifest_stats(base)
    try:
        for step in BACKUP_STEPS:
            if step == "edited":
                edits.apply()
            expected = manifest(corpus) if step == "edited" else base
            argv, cwd = tool.backup(repo, cache, corpus, step)
            m = run_measured(argv, cwd, env, log_path, f"{label} {step} backup")
            m["repo_bytes"], m["repo_apparent_bytes"] = du(repo)
            m["files"], m["bytes"] = manifest_stats(expected)
            res[step] = m
            log(f"  {tool.name:7s} {step:9s} {m['wall_s']:8.2f} s wall {m['cpu_s']:8.2f} s CPU "
                f"{fmt_bytes(m['peak_rss_bytes']):>11s} RSS  repo {fmt_bytes(m['repo_bytes'])}")

        os.makedirs(target)
        argv, cwd = tool.restore(repo, cache, target)
        m = run_measured(argv, cwd, env, log_path, f"{label} restore")
        restored_root = os.path.join(target, corpus.lstrip("/"))
        m["verify"] = verify_restore(corpus, restored_root, expected, edits.touched(),
                                     args.verify_sample, args.verify_all, f"{label} restore")
        m["files"], m["bytes"] = m["verify"]["files"], m["verify"]["bytes"]
        res["restore"] = m
        log(f"  {tool.name:7s} {'restore':9s} {m['wall_s']:8.2f} s wall {m['cpu_s']:8.2f} s CPU "
            f"{fmt_bytes(m['peak_rss_bytes']):>11s} RSS  verified {m['files']} files, "
            f"{m['verify']['sha256_checked']} hashed")
    finally:
        edits.undo()
    after = manifest(corpus)
    if after != base:
        raise BenchError(f"{label}: undoing the edit step did not give back the original corpus "
                         f"({manifest_stats(after)} vs {(base_files, base_bytes)})")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return res


# ---------------------------------------------------------------- report


def median_results(runs: list[dict], tools: list[str]) -> dict:
    med: dict = {}
    for t in tools:
        med[t] = {}
        for step in ("init",) + STEPS:
            rows = [r[t][step] for r in runs]
            out = {}
            for key in ("wall_s", "cpu_s", "peak_rss_bytes", "repo_bytes", "repo_apparent_bytes", "files", "bytes"):
                vals = [row[key] for row in rows if key in row]
                if vals:
                    v = statistics.median(vals)
                    out[key] = int(v) if key not in ("wall_s", "cpu_s") and float(v).is_integer() else v
            if "files" in out and out.get("wall_s"):
                out["files_per_s"] = out["files"] / out["wall_s"]
            med[t][step] = out
    return med


def compute_ratios(med: dict, tools: list[str]) -> dict:
    ratios: dict = {}
    c = med["coffer"]
    for peer in tools:
        if peer == "coffer":
            continue
        ratios[peer] = {}
        for step in STEPS:
            p, cs = med[peer][step], c[step]

            def div(a, b):
                return a / b if a is not None and b else None

            ratios[peer][step] = {
                "wall": div(p.get("wall_s"), cs.get("wall_s")),
                "cpu": div(p.get("cpu_s"), cs.get("cpu_s")),
                "peak_rss": div(p.get("peak_rss_bytes"), cs.get("peak_rss_bytes")),
                "repo_size": div(cs.get("repo_bytes"), p.get("repo_bytes")),
            }
    return ratios


def render_table(meta: dict, med: dict, ratios: dict, tools: list[str]) -> str:
    c = meta["corpus"]
    lines = [
        f"corpus: {c['kind']}, {c['files']:,} files, {fmt_bytes(c['bytes'])} "
        f"(hot page cache); {meta['repeat']} repeat(s), median shown; {meta['cpus']} CPUs",
    ]
    for t in tools:
        lines.append(f"  {t:7s} {meta['tools'][t]['version']}: {meta['tools'][t]['settings']}")
    lines.append("")
    hdr = f"{'step':10s} {'tool':7s} {'wall s':>9s} {'CPU s':>9s} {'peak RSS':>11s} {'repo size':>11s} {'files/s':>10s}"
    lines += [hdr, "-" * len(hdr)]
    for step in STEPS:
        for i, t in enumerate(tools):
            m = med[t][step]
            lines.append(
                f"{step if i == 0 else '':10s} {t:7s} {m['wall_s']:9.2f} {m['cpu_s']:9.2f} "
                f"{fmt_bytes(m['peak_rss_bytes']):>11s} {fmt_bytes(m.get('repo_bytes')):>11s} "
                f"{m.get('files_per_s', 0):10,.0f}"
            )
    if ratios:
        lines += ["", "coffer's ratios (wall, CPU, peak RSS: peer/coffer, >1 = coffer better; "
                      "repo size: coffer/peer, <1 = coffer smaller)"]
        hdr = f"{'step':10s} {'vs':7s} {'wall':>8s} {'CPU':>8s} {'peak RSS':>9s} {'repo size':>10s}"
        lines += [hdr, "-" * len(hdr)]
        for step in STEPS:
            for i, peer in enumerate(ratios):
                r = ratios[peer][step]
                lines.append(
                    f"{step if i == 0 else '':10s} {peer:7s} {fmt_ratio(r['wall']):>8s} {fmt_ratio(r['cpu']):>8s} "
                    f"{fmt_ratio(r['peak_rss']):>9s} {fmt_ratio(r['repo_size']):>10s}"
                )
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="compare.py",
        description="Benchmark coffer against restic and borg on one corpus: first backup, unchanged "
                    "re-backup, backup after edits and restore; prints wall time, CPU time, peak RSS "
                    "and repository size per tool with coffer's ratios to each peer.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--corpus", metavar="DIR",
                     help="copy the regular files of DIR into the work directory and use that copy "
                          "(default: files from /usr/lib, /usr/share, /usr/include)")
    src.add_argument("--small-files", metavar="N", type=int,
                     help="generate N files of 0-4 KiB instead (files/s is the number to watch)")
    p.add_argument("--corpus-size", metavar="SIZE", type=parse_size,
                   help=f"most bytes to copy into the corpus, K/M/G/T = powers of 1024 "
                        f"(default {DEFAULT_CORPUS_SIZE} for the system corpus, everything for --corpus)")
    p.add_argument("--coffer", metavar="PATH", default=os.path.join(repo_root(), "build", "bin", "coffer"),
                   help="coffer binary (default: build/bin/coffer under the repository root)")
    p.add_argument("--restic", metavar="PATH", help="restic binary (default: restic on PATH, installed if missing)")
    p.add_argument("--borg", metavar="PATH", help="borg binary (default: borg on PATH, installed if missing)")
    p.add_argument("--no-install", action="store_true", help="fail instead of running apt-get for missing tools")
    p.add_argument("--tools", default=",".join(TOOLS),
                   help="comma-separated subset of coffer,restic,borg to run; coffer is required (default: all)")
    p.add_argument("--borg-encryption", default="repokey-blake2", choices=("repokey-blake2", "repokey"),
                   help="borg init --encryption mode (default repokey-blake2)")
    p.add_argument("--repeat", metavar="N", type=int, default=1,
                   help="run every tool's sequence N times, fresh repository each time, report medians (default 1)")
    p.add_argument("--seed", type=int, default=1, help="seed of the edit step and of --small-files (default 1)")
    p.add_argument("--verify-sample", metavar="N", type=int, default=200,
                   help="after a restore, SHA-256 about N unedited files besides every edited one (default 200)")
    p.add_argument("--verify-all", action="store_true", help="after a restore, SHA-256 every file")
    p.add_argument("--workdir", metavar="DIR", default="/var/tmp",
                   help="where to make the fresh work directory coffer-compare-* (default /var/tmp); "
                        "it holds the corpus, repositories, caches, restores and logs")
    p.add_argument("--keep", action="store_true", help="keep the work directory (and every repository and restore)")
    p.add_argument("--json", metavar="FILE", help="also write all measurements, medians and ratios to FILE as JSON")
    args = p.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    bad = [t for t in tools if t not in TOOLS]
    if bad or "coffer" not in tools or len(set(tools)) != len(tools):
        p.error(f"--tools: give coffer and any of restic, borg (got {args.tools!r})")
    args.tools = [t for t in TOOLS if t in tools]
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.small_files is not None and args.small_files < 4:
        p.error("--small-files must be at least 4")
    if args.small_files is not None and args.corpus_size is not None:
        p.error("--corpus-size does not apply to --small-files")
    if args.corpus and not os.path.isdir(args.corpus):
        p.error(f"--corpus {args.corpus}: not a directory")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)

    # Tools first: fail before building a corpus.
    coffer_bin = os.path.abspath(args.coffer)
    if not (os.path.isfile(coffer_bin) and os.access(coffer_bin, os.X_OK)):
        raise BenchError(f"coffer binary not found at {coffer_bin}: build it "
                         f"(cmake --build build --target coffer) or pass --coffer PATH")
    peers = [t for t in args.tools if t != "coffer"]
    paths = find_or_install(peers + ["time"], {"restic": args.restic, "borg": args.borg}, args.no_install)
    global GNU_TIME
    GNU_TIME = paths["time"]
    if "GNU" not in tool_version([GNU_TIME, "--version"]):
        raise BenchError(f"{GNU_TIME} is not GNU time (Debian package 'time'); it is needed for peak RSS")
    tools: list[Tool] = [Coffer(coffer_bin)]
    if "restic" in peers:
        tools.append(Restic(paths["restic"]))
    if "borg" in peers:
        tools.append(Borg(paths["borg"], args.borg_encryption))
    for t in tools:
        full = tool_version([t.binary, "version"] if t.name == "restic" else [t.binary, "--version"])
        t.version = " ".join(full.split()[1:2]) or full  # "restic 0.14.0 compiled with ..." -> "0.14.0"

    os.makedirs(args.workdir, exist_ok=True)
    work = os.path.realpath(tempfile.mkdtemp(prefix="coffer-compare-", dir=args.workdir))
    fstype = mount_fstype(work)
    log(f"work directory {work} ({fstype})")
    if fstype in ("tmpfs", "ramfs"):
        log("warning: the work directory is in memory; repository and restore writes will not touch a disk")
    try:
        return bench(args, tools, work, fstype)
    except BenchError as e:
        if not args.keep:
            raise BenchError(f"{e}\n  (the work directory is removed; rerun with --keep to inspect its logs)")
        raise
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def bench(args, tools: list[Tool], work: str, fstype: str) -> int:
    corpus = os.path.join(work, "corpus")
    os.makedirs(os.path.join(work, "logs"))
    t0 = time.perf_counter()
    if args.small_files is not None:
        kind = f"{args.small_files:,} generated small files (0-4 KiB, seed {args.seed})"
        log(f"generating {args.small_files} small files")
        need = args.small_files * 2048
        free = shutil.disk_usage(work).free
        if free < need * 4 + (1 << 30):
            raise BenchError(f"not enough free space in {work}: {fmt_bytes(free)} free")
        os.makedirs(corpus)
        files, total = make_small_files(corpus, args.small_files, args.seed)
        sources = []
    else:
        if args.corpus:
            src = os.path.realpath(args.corpus)
            sources = [(src, os.path.basename(src.rstrip("/")) or "root")]
            budget = args.corpus_size
            kind = f"copy of {src}"
        else:
            sources = [(s, s.lstrip("/")) for s in SYSTEM_SOURCES]
            budget = args.corpus_size if args.corpus_size is not None else parse_size(DEFAULT_CORPUS_SIZE)
            kind = "system files from " + ", ".join(SYSTEM_SOURCES)
        log(f"selecting files from {', '.join(s for s, _ in sources)}"
            + (f" (up to {fmt_bytes(budget)})" if budget else ""))
        chosen, planned, seen = select_files(sources, budget)
        if not chosen:
            raise BenchError("no regular files found for the corpus")
        # Corpus, one restore, the undo copies and (with --keep) every repository and restore.
        runs_kept = len(tools) * args.repeat if args.keep else 1
        need = planned * (1.1 + 2.2 * runs_kept) + (1 << 30)
        free = shutil.disk_usage(work).free
        if free < need:
            raise BenchError(f"not enough free space in {work}: {fmt_bytes(free)} free, about "
                             f"{fmt_bytes(need)} needed for a {fmt_bytes(planned)} corpus (use --workdir)")
        log(f"copying {len(chosen):,} of {seen:,} files, {fmt_bytes(planned)}")
        files, total = copy_corpus(chosen, corpus)
    build_s = time.perf_counter() - t0
    base = manifest(corpus)
    files, total = manifest_stats(base)
    log(f"corpus: {files:,} files, {fmt_bytes(total)} ({total:,} bytes) in {build_s:.1f} s")

    edits = Edits(corpus, base, args.seed, os.path.join(work, "undo"))
    log("edit step: " + ", ".join(f"{v} {k}" for k, v in edits.summary().items()))

    log("warm-up read of the corpus (untimed)")
    warm_up(corpus)

    runs = []
    for rep in range(1, args.repeat + 1):
        results = {}
        for tool in tools:
            log(f"{tool.name}: repeat {rep}/{args.repeat}")
            results[tool.name] = run_tool(tool, rep, work, corpus, base, edits, args)
        runs.append(results)

    names = [t.name for t in tools]
    med = median_results(runs, names)
    ratios = compute_ratios(med, names)
    meta = {
        "corpus": {
            "kind": kind,
            "sources": [s for s, _ in sources],
            "files": files,
            "bytes": total,
            "small_files": args.small_files,
            "build_seconds": build_s,
            "edits": edits.summary(),
        },
        "repeat": args.repeat,
        "seed": args.seed,
        "cpus": os.cpu_count(),
        "host": {"kernel": platform.release(), "python": platform.python_version(),
                 "workdir_fs": fstype, "machine": platform.machine()},
        "tools": {t.name: {"binary": t.binary, "version": t.version, "settings": t.settings} for t in tools},
        "ratio_definitions": {"wall": "peer/coffer", "cpu": "peer/coffer", "peak_rss": "peer/coffer",
                              "repo_size": "coffer/peer"},
    }
    print(render_table(meta, med, ratios, names), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "median": med, "ratios": ratios, "runs": runs}, f, indent=2)
            f.write("\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"compare.py: error: {e}", file=sys.stderr)
        sys.exit(EXIT_FAILED)
    except KeyboardInterrupt:
        print("compare.py: interrupted", file=sys.stderr)
        sys.exit(130)
