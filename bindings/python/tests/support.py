"""Shared helpers: temporary directories, random trees, fast repositories."""
import os
import random
import shutil
import sys
import tempfile
import unittest

# Import the package from this checkout, not from an installed copy.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import coffer  # noqa: E402

PASSWORD = "correct horse"
# Cheap key derivation and small chunks keep the tests fast.
FAST = dict(kdf=(1, 8 << 20), chunker=(4096, 16384, 65536))


def write_random_tree(root, rng, files=12, max_size=200_000):
    """Files of random bytes (some empty, some sharing content) in nested
    directories; returns {relative path: bytes}."""
    contents = {}
    shared = rng.randbytes(50_000)
    for i in range(files):
        depth = rng.randint(0, 3)
        parts = ["d%d" % rng.randint(0, 3) for _ in range(depth)] + ["file%02d.bin" % i]
        rel = os.path.join(*parts)
        kind = rng.random()
        if kind < 0.1:
            data = b""
        elif kind < 0.3:
            data = shared + rng.randbytes(rng.randint(1, 1000))
        else:
            data = rng.randbytes(rng.randint(1, max_size))
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        contents[rel] = data
    return contents


def read_tree(root):
    """{relative path: bytes} of every regular file below root."""
    out = {}
    for d, _, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


class RepoTestCase(unittest.TestCase):
    """A temporary directory with a source tree and a fresh repository."""

    seed = 1

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coffer-py-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.cache = os.path.join(self.tmp, "cache")
        self.source = os.path.join(self.tmp, "source")
        self.contents = write_random_tree(self.source, random.Random(self.seed))
        self.location = os.path.join(self.tmp, "repo")
        self.repo = coffer.Repository.init(self.location, PASSWORD, **FAST)
        self.addCleanup(self.repo.close)

    def backup(self, repo=None, **kwargs):
        kwargs.setdefault("cache_dir", self.cache)
        return (repo or self.repo).backup([self.source], **kwargs)

    def restored(self, target, snapshot="latest", **kwargs):
        """Restores into target and returns the tree found under the source path."""
        self.repo.restore(target, snapshot, **kwargs)
        return read_tree(os.path.join(target, self.source.lstrip("/")))
