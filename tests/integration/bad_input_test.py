"""Bad input gets a clear error naming the culprit, a non-zero exit code, and
leaves the repository exactly as it was."""
import hashlib
import os
import random
import unittest

from cli_support import CofferTestCase, write_random_tree


def repository_digest(repo):
    """Names and contents of every object (locks are transient and excluded)."""
    h = hashlib.sha256()
    for d, dirs, files in sorted(os.walk(repo)):
        dirs.sort()
        if os.path.relpath(d, repo).startswith("locks"):
            continue
        for f in sorted(files):
            path = os.path.join(d, f)
            h.update(os.path.relpath(path, repo).encode())
            with open(path, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def objects(repo, prefix):
    root = os.path.join(repo, prefix)
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)


class BadInputTest(CofferTestCase):
    def setUp(self):
        super().setUp()
        self.source = os.path.join(self.tmp, "source")
        write_random_tree(self.source, random.Random(3), files=20)
        self.coffer("backup", self.source)
        self.snapshot = self.snapshots()[0]["id"]

    def expect_failure(self, args, code, *fragments, env=None):
        before = repository_digest(self.repo)
        result = self.coffer(*args, check=False, env=env)
        self.assertEqual(result.returncode, code, result.stderr)
        self.assertIn("coffer: error:", result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)
        self.assertEqual(before, repository_digest(self.repo), "the repository changed")
        return result

    def restore_args(self):
        return ["restore", self.snapshot, "--target", os.path.join(self.tmp, "out")]

    def test_wrong_password(self):
        env = dict(self.env, COFFER_PASSWORD="not the password")
        self.expect_failure(["backup", self.source], 11, "wrong password", env=env)
        self.expect_failure(["snapshots"], 11, "wrong password", env=env)

    def test_flipped_byte_in_a_pack(self):
        # The largest pack holds file data.
        pack = max(objects(self.repo, "data"), key=os.path.getsize)
        with open(pack, "r+b") as f:
            f.seek(os.path.getsize(pack) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0x10]))
        name = os.path.relpath(pack, self.repo)
        self.expect_failure(self.restore_args(), 1, name)

    def test_truncated_pack(self):
        pack = max(objects(self.repo, "data"), key=os.path.getsize)
        os.truncate(pack, os.path.getsize(pack) // 3)
        self.expect_failure(self.restore_args(), 1, os.path.relpath(pack, self.repo))

    def test_truncated_snapshot(self):
        (snap,) = objects(self.repo, "snapshots")
        os.truncate(snap, 40)
        self.expect_failure(["snapshots"], 1, os.path.relpath(snap, self.repo))

    def test_truncated_index(self):
        index = objects(self.repo, "index")[0]
        os.truncate(index, os.path.getsize(index) - 1)
        name = os.path.relpath(index, self.repo)
        # This machine's index cache holds what the backup wrote (so its
        # next backup does not read the object again); a machine without
        # that cache reads it and fails naming it, and check reads every
        # index object whatever the cache holds.
        other_machine = dict(self.env, XDG_CACHE_HOME=os.path.join(self.tmp, "other-cache"))
        self.expect_failure(["backup", self.source], 1, name, env=other_machine)
        check = self.coffer("check", check=False)
        self.assertEqual(check.returncode, 1, check.stderr)
        self.assertIn(f"error: {name}: ", check.stderr)

    def test_missing_pack(self):
        for pack in objects(self.repo, "data"):
            os.remove(pack)
        self.expect_failure(self.restore_args(), 1, "missing")

    def test_corrupt_config(self):
        with open(os.path.join(self.repo, "config"), "r+b") as f:
            f.seek(5)
            f.write(b"\xff\xff")
        self.expect_failure(["snapshots"], 1, "config")

    def test_not_a_repository(self):
        env = dict(self.env, COFFER_REPOSITORY=os.path.join(self.tmp, "source"))
        result = self.coffer("snapshots", check=False, env=env)
        self.assertEqual(result.returncode, 10, result.stderr)
        self.assertIn("no coffer repository", result.stderr)
        self.assertIn(os.path.join(self.tmp, "source"), result.stderr)

    def test_unknown_option(self):
        self.expect_failure(["backup", "--no-such-option", self.source], 2, "--no-such-option")

    def test_unknown_snapshot(self):
        self.expect_failure(["restore", "abcdef12", "--target", os.path.join(self.tmp, "o")], 10, "abcdef12")

    def test_missing_source_path(self):
        missing = os.path.join(self.tmp, "does-not-exist")
        result = self.coffer("backup", missing, check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(missing, result.stderr)
        self.assertEqual(len(self.snapshots()), 1)


if __name__ == "__main__":
    unittest.main()
