"""Helpers shared by the CLI integration tests: run the real `coffer` binary
against repositories in temporary directories and compare trees."""
import filecmp
import json
import os
import random
import shutil
import subprocess
import tempfile
import unittest

COFFER = os.environ.get("COFFER_BIN", "coffer")
PASSWORD = "integration-test-password"


class CofferTestCase(unittest.TestCase):
    """A temporary directory with a repository in it (small chunks and a
    cheap key derivation so tests are quick)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coffer-it-")
        self.repo = os.path.join(self.tmp, "repo")
        self.env = dict(os.environ, COFFER_PASSWORD=PASSWORD, COFFER_REPOSITORY=self.repo,
                        XDG_CACHE_HOME=os.path.join(self.tmp, "cache"))
        self.coffer("init", "--kdf-memory", "1", "--kdf-ops", "1", "--chunk-min", "16",
                    "--chunk-avg", "64", "--chunk-max", "256", "--pack-size", "1")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def coffer(self, *args, check=True, env=None, **kwargs):
        result = subprocess.run([COFFER, *args], env=env or self.env, capture_output=True,
                                text=True, timeout=600, **kwargs)
        if check and result.returncode != 0:
            self.fail(f"coffer {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def snapshots(self):
        return json.loads(self.coffer("--json", "snapshots").stdout)

    def restore_and_compare(self, snapshot_id, expected_dir, source_dir):
        target = tempfile.mkdtemp(dir=self.tmp, prefix="restore-")
        self.coffer("restore", snapshot_id, "--target", target)
        restored = os.path.join(target, os.path.relpath(source_dir, "/"))
        self.assertEqual(tree_differences(expected_dir, restored), [],
                         f"snapshot {snapshot_id} does not restore as backed up")
        shutil.rmtree(target)


def write_random_tree(root, rng, files=60, max_size=400_000):
    os.makedirs(root, exist_ok=True)
    for i in range(files):
        sub = os.path.join(root, f"dir{i % 7}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"file{i}.bin"), "wb") as f:
            f.write(rng.randbytes(rng.randrange(0, max_size)))


def mutate_tree(root, rng):
    """Rewrite a few files, append to some, add a new one."""
    paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
    for path in rng.sample(paths, min(5, len(paths))):
        with open(path, "r+b" if rng.random() < 0.5 else "ab") as f:
            f.write(rng.randbytes(rng.randrange(1, 100_000)))
    new = os.path.join(root, f"new{rng.randrange(1 << 30)}.bin")
    with open(new, "wb") as f:
        f.write(rng.randbytes(rng.randrange(1, 500_000)))


def tree_differences(a, b):
    """Names, types and contents that differ between two trees."""
    diffs = []
    cmp = filecmp.dircmp(a, b)

    def walk(c, rel):
        for name in c.left_only + c.right_only:
            diffs.append(f"{os.path.join(rel, name)}: only on one side")
        for name in c.funny_files + c.common_funny:
            diffs.append(f"{os.path.join(rel, name)}: cannot compare")
        for name in c.common_files:
            left, right = os.path.join(c.left, name), os.path.join(c.right, name)
            if not filecmp.cmp(left, right, shallow=False):
                diffs.append(f"{os.path.join(rel, name)}: content differs")
            elif os.stat(left).st_mode != os.stat(right).st_mode:
                diffs.append(f"{os.path.join(rel, name)}: mode differs")
        for name, sub in c.subdirs.items():
            walk(sub, os.path.join(rel, name))

    walk(cmp, "")
    return diffs


def snapshot_copy(src, dest_root, rng_name):
    dest = os.path.join(dest_root, rng_name)
    shutil.copytree(src, dest, symlinks=True)
    return dest
