"""Object lock (`init --retention-lock`) against the local servers: s3rver,
Azurite and the GCS emulator accept uploads carrying the retention headers
(S3 x-amz-object-lock-*, checked against the SigV4 signature by s3rver; Azure
x-ms-immutability-policy-*, checked against the Shared Key signature by
Azurite; GCS retention metadata), so backups, restores and checks work. None
of them implements retention itself (reading or extending it answers 501), so
prune refuses, names the problem and deletes nothing. The exact requests are
unit-tested against the providers' documentation (tests/unit/store/object_lock_test.cc)."""

import json
import os
import random
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
import servers  # noqa: E402
from cli_support import CofferTestCase, write_random_tree  # noqa: E402

_started, setUpModule, tearDownModule = servers.module_servers("s3", "azure", "gcs")


class ObjectLockTest(CofferTestCase):
    def setUp(self):
        super().setUp()
        for server in _started.values():
            self.env.update(server.env)
        self.source = os.path.join(self.tmp, "source")
        write_random_tree(self.source, random.Random(5), files=8, max_size=200_000)

    def round_trip(self, kind, mode):
        url = f"{_started[kind].env[f'COFFER_TEST_{kind.upper()}_URL']}/{uuid.uuid4().hex[:12]}"
        self.coffer("-r", url, "init", "--kdf-memory", "1", "--kdf-ops", "1",
                    "--retention-lock", "3", "--retention-mode", mode)
        info = json.loads(self.coffer("-r", url, "--json", "snapshots").stdout or "[]")
        self.assertEqual(info, [])
        self.coffer("-r", url, "backup", self.source)
        snaps = json.loads(self.coffer("-r", url, "--json", "snapshots").stdout)
        self.assertEqual(len(snaps), 1)
        self.restore_and_compare_at(url, snaps[0]["id"])
        before = self.objects(url)
        self.assertGreater(before, 0)
        pruned = self.coffer("-r", url, "prune", check=False)
        self.assertNotEqual(pruned.returncode, 0, "prune must not run without retention support")
        self.assertIn("retention", pruned.stderr)
        self.assertEqual(self.objects(url), before, "prune deleted something")
        self.assertEqual(self.coffer("-r", url, "check", "--read-data").returncode, 0)

    def objects(self, url):
        stats = json.loads(self.coffer("-r", url, "--json", "stats").stdout)
        return stats.get("repository_bytes")

    def restore_and_compare_at(self, url, snapshot):
        from cli_support import tree_differences
        import tempfile
        target = tempfile.mkdtemp(dir=self.tmp, prefix="restore-")
        self.coffer("-r", url, "restore", snapshot, "--target", target)
        self.assertEqual(tree_differences(
            self.source, os.path.join(target, os.path.relpath(self.source, "/"))), [])

    def test_s3_governance(self):
        self.round_trip("s3", "governance")

    def test_azure_compliance(self):
        self.round_trip("azure", "compliance")

    def test_gcs_governance(self):
        self.round_trip("gcs", "governance")

    def test_local_store_refuses(self):
        result = self.coffer("-r", os.path.join(self.tmp, "locked"), "init", "--kdf-memory", "1",
                             "--kdf-ops", "1", "--retention-lock", "3", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("cannot lock objects", result.stderr)


if __name__ == "__main__":
    unittest.main()
