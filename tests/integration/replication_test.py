"""Replication with the `coffer` CLI against real servers on 127.0.0.1 (Azurite
and s3rver, started here from the npm cache by tests/servers/servers.py):

- copy from a local repository to Azure (a mirror made with init
  --copy-keys-from: packs copied as they are) and to S3 (an unrelated
  repository: blobs re-encrypted), and back into fresh local repositories;
  every restored tree is identical to the source; a second copy copies
  nothing, a copy after a new backup only the new snapshot's data;
- the mirror store (--mirror): with the primary's server unreachable (a
  fault proxy that refuses connections), a restore through the mirror
  succeeds from the replica; with the replica unreachable during a backup
  the backup succeeds, the missed writes are journaled, `mirror sync`
  repairs the replica, and check --read-data passes on the replica alone.
"""

import json
import os
import random
import sys
import tempfile
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
import fault_proxy  # noqa: E402
import servers  # noqa: E402
from cli_support import CofferTestCase, PASSWORD, mutate_tree, write_random_tree  # noqa: E402

INIT_ARGS = ("init", "--kdf-memory", "1", "--kdf-ops", "1", "--chunk-min", "16",
             "--chunk-avg", "64", "--chunk-max", "256", "--pack-size", "1")

_started, setUpModule, tearDownModule = servers.module_servers("s3", "azure")


class ReplicationTest(CofferTestCase):
    def setUp(self):
        super().setUp()  # a local repository at self.repo
        for server in _started.values():
            self.env.update(server.env)
        self.source = os.path.join(self.tmp, "source")
        write_random_tree(self.source, random.Random(8), files=25, max_size=250_000)
        self.coffer("backup", self.source)

    def url(self, kind):
        return f"{_started[kind].env[f'COFFER_TEST_{kind.upper()}_URL']}/{uuid.uuid4().hex[:12]}"

    def at(self, repo, *args, check=True, env=None, password=PASSWORD):
        """coffer with -r REPO (and optionally another password)."""
        e = dict(env or self.env, COFFER_PASSWORD=password)
        return self.coffer("-r", repo, *args, check=check, env=e)

    def copy(self, dest, src, *args, dest_password=PASSWORD, src_password=PASSWORD):
        env = dict(self.env, COFFER_FROM_PASSWORD=src_password)
        result = self.at(dest, "--json", "copy", "--from-repo", src, *args, env=env,
                         password=dest_password)
        return json.loads(result.stdout)

    def restore_from(self, repo, snapshot, password=PASSWORD, extra=()):
        target = tempfile.mkdtemp(dir=self.tmp, prefix="restore-")
        self.at(repo, *extra, "restore", snapshot, "--target", target, password=password)
        return os.path.join(target, os.path.relpath(self.source, "/"))

    def assert_restores(self, repo, snapshot, password=PASSWORD, extra=()):
        from cli_support import tree_differences
        restored = self.restore_from(repo, snapshot, password, extra)
        self.assertEqual(tree_differences(self.source, restored), [],
                         f"snapshot {snapshot} at {repo} does not restore as backed up")

    def snapshots_at(self, repo, password=PASSWORD, extra=()):
        return json.loads(self.at(repo, *extra, "--json", "snapshots", password=password).stdout)

    def test_copy_to_azure_mirror_and_back(self):
        azure = self.url("azure")
        env = dict(self.env, COFFER_FROM_PASSWORD=PASSWORD)
        self.at(azure, *INIT_ARGS, "--copy-keys-from", self.repo, env=env, password="mirror-pw")
        first = self.copy(azure, self.repo, dest_password="mirror-pw")
        self.assertEqual(first["mode"], "packs")
        self.assertEqual(first["snapshots_copied"], 1)
        self.assertGreater(first["packs_copied"], 0)
        local_snaps = self.snapshots()
        azure_snaps = self.snapshots_at(azure, "mirror-pw")
        # Shared keys: the very same snapshot object.
        self.assertEqual([s["id"] for s in azure_snaps], [s["id"] for s in local_snaps])
        self.assertEqual(self.at(azure, "check", "--read-data", password="mirror-pw").returncode, 0)
        self.assert_restores(azure, local_snaps[0]["id"], "mirror-pw")

        again = self.copy(azure, self.repo, dest_password="mirror-pw")
        self.assertEqual((again["snapshots_copied"], again["packs_copied"]), (0, 0))

        mutate_tree(self.source, random.Random(2))
        self.coffer("backup", self.source)
        newer = self.copy(azure, self.repo, "latest", dest_password="mirror-pw")
        self.assertEqual(newer["snapshots_copied"], 1)
        self.assertLess(newer["pack_bytes_copied"], first["pack_bytes_copied"])
        self.assert_restores(azure, "latest", "mirror-pw")

        # Back into a fresh local mirror of the Azure one.
        back = os.path.join(self.tmp, "back")
        self.at(back, *INIT_ARGS, "--copy-keys-from", azure,
                env=dict(self.env, COFFER_FROM_PASSWORD="mirror-pw"))
        home = self.copy(back, azure, src_password="mirror-pw")
        self.assertEqual(home["snapshots_copied"], 2)
        self.assertEqual(self.at(back, "check", "--read-data").returncode, 0)
        self.assert_restores(back, "latest")

    def test_copy_to_s3_reencrypts_and_back(self):
        s3 = self.url("s3")
        self.at(s3, *INIT_ARGS, password="s3-pw")
        first = self.copy(s3, self.repo, dest_password="s3-pw")
        self.assertEqual(first["mode"], "reencrypt")
        self.assertEqual(first["snapshots_copied"], 1)
        self.assertGreater(first["blobs_copied"], 0)
        self.assertEqual(self.at(s3, "check", "--read-data", password="s3-pw").returncode, 0)
        self.assert_restores(s3, "latest", "s3-pw")

        again = self.copy(s3, self.repo, dest_password="s3-pw")
        self.assertEqual((again["snapshots_copied"], again["blobs_copied"]), (0, 0))

        mutate_tree(self.source, random.Random(3))
        self.coffer("backup", self.source)
        newer = self.copy(s3, self.repo, dest_password="s3-pw")
        self.assertEqual(newer["snapshots_copied"], 1)
        self.assertGreater(newer["blobs_present"], 0)
        self.assertLess(newer["blob_bytes_copied"], first["blob_bytes_copied"])
        self.assert_restores(s3, "latest", "s3-pw")

        # Copying back skips the source's own snapshots; into a new
        # repository it restores the same tree.
        home = self.copy(self.repo, s3, src_password="s3-pw")
        self.assertEqual((home["snapshots_copied"], home["snapshots_skipped"]), (0, 2))
        back = os.path.join(self.tmp, "back")
        self.at(back, *INIT_ARGS)
        fresh = self.copy(back, s3, src_password="s3-pw")
        self.assertEqual(fresh["snapshots_copied"], 2)
        self.assertEqual(self.at(back, "check", "--read-data").returncode, 0)
        self.assert_restores(back, "latest")

    def test_mirror_restore_with_primary_down(self):
        s3 = _started["s3"]
        with fault_proxy.FaultProxy(int(s3.env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])) as proxy:
            env = dict(self.env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy.port}")
            primary, replica = self.url("s3"), self.url("azure")
            self.at(primary, "--mirror", replica, *INIT_ARGS, env=env)
            self.at(primary, "--mirror", replica, "backup", self.source, env=env)
            snaps = json.loads(self.at(primary, "--json", "snapshots", env=env).stdout)
            # The replica alone is a whole repository.
            self.assertEqual([s["id"] for s in self.snapshots_at(replica)], [s["id"] for s in snaps])

            proxy.set_down(True)
            target = tempfile.mkdtemp(dir=self.tmp, prefix="restore-")
            self.at(primary, "--mirror", replica, "restore", snaps[0]["id"], "--target", target,
                    env=env)
            from cli_support import tree_differences
            self.assertEqual(tree_differences(
                self.source, os.path.join(target, os.path.relpath(self.source, "/"))), [])
            # Without the mirror the primary is simply unreachable.
            plain = self.at(primary, "snapshots", env=env, check=False)
            self.assertNotEqual(plain.returncode, 0)

    def test_replica_down_during_backup_then_sync(self):
        azure = _started["azure"]
        endpoint = azure.env["COFFER_TEST_AZURE_ENDPOINT"]
        upstream_port = int(endpoint.split(":")[2].split("/")[0])
        with fault_proxy.FaultProxy(upstream_port) as proxy:
            conn = azure.env["AZURE_STORAGE_CONNECTION_STRING"].replace(
                f":{upstream_port}/", f":{proxy.port}/")
            env = dict(self.env, AZURE_STORAGE_CONNECTION_STRING=conn)
            primary = os.path.join(self.tmp, "primary")
            replica = self.url("azure")
            mirror = ("--mirror", replica)
            self.at(primary, *mirror, *INIT_ARGS, env=env)
            self.at(primary, *mirror, "backup", self.source, env=env)

            proxy.set_down(True)
            mutate_tree(self.source, random.Random(4))
            self.at(primary, *mirror, "backup", self.source, env=env)
            status = json.loads(self.at(primary, *mirror, "--json", "mirror", "status",
                                        env=env).stdout)
            self.assertGreater(status["pending"], 0, "missed replica writes were not recorded")
            self.assertEqual(len(self.snapshots_at(replica, extra=())), 1)
            failed = self.at(primary, *mirror, "mirror", "sync", env=env, check=False)
            self.assertNotEqual(failed.returncode, 0)

            proxy.set_down(False)
            synced = json.loads(self.at(primary, *mirror, "--json", "mirror", "sync",
                                        env=env).stdout)
            self.assertEqual(synced["journal_entries"], status["pending"])
            self.assertGreater(synced["objects_copied"], 0)
            status = json.loads(self.at(primary, *mirror, "--json", "mirror", "status",
                                        env=env).stdout)
            self.assertEqual(status["pending"], 0)
            self.assertEqual(self.at(replica, "check", "--read-data").returncode, 0)
            self.assertEqual(len(self.snapshots_at(replica)), 2)
            self.assert_restores(replica, "latest")


if __name__ == "__main__":
    unittest.main()
