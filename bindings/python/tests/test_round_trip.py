"""Init, backup, list, iterate, restore and maintain through the bindings."""
import io
import os
import unittest

from support import PASSWORD, RepoTestCase, coffer, read_tree


class RoundTripTest(RepoTestCase):
    def test_restore_gives_back_every_byte(self):
        result = self.backup(tags=["first", "py"])
        self.assertIsInstance(result, coffer.BackupResult)
        self.assertEqual(len(result.snapshot_id), 64)
        self.assertEqual(result.tags, ["first", "py"])
        self.assertFalse(result.partial)
        self.assertEqual(result.summary.files_new, len(self.contents))
        self.assertEqual(result.summary.bytes_read, sum(map(len, self.contents.values())))
        target = os.path.join(self.tmp, "out")
        self.assertEqual(self.restored(target, result.snapshot_id), self.contents)

    def test_restore_by_prefix_include_and_overwrite(self):
        result = self.backup()
        target = os.path.join(self.tmp, "out")
        one = sorted(self.contents)[0]
        got = self.restored(target, result.short_id,
                            includes=[os.path.join(self.source, one)])
        self.assertEqual(got, {one: self.contents[one]})
        with self.assertRaises(coffer.AlreadyExistsError):
            self.repo.restore(target, result.short_id)
        r = self.repo.restore(target, result.short_id, overwrite=True)
        self.assertIsInstance(r, coffer.RestoreResult)
        self.assertEqual(r.files, len(self.contents))
        self.assertEqual(read_tree(os.path.join(target, self.source.lstrip("/"))), self.contents)

    def test_snapshots_are_dataclasses_filtered_by_tag(self):
        first = self.backup(tags=["a"])
        second = self.backup(tags=["b"], host="other-host")
        snaps = self.repo.snapshots()
        self.assertEqual([s.id for s in snaps], [first.snapshot_id, second.snapshot_id])
        self.assertIsInstance(snaps[0], coffer.Snapshot)
        self.assertEqual(snaps[1].host, "other-host")
        self.assertEqual(snaps[0].paths, [self.source])
        self.assertEqual(snaps[0].summary.files_new, len(self.contents))
        self.assertEqual([s.id for s in self.repo.snapshots(tags=["b"])], [second.snapshot_id])
        self.assertEqual([s.id for s in self.repo.snapshots(hosts=["nobody"])], [])
        self.assertEqual(self.repo.snapshot(first.short_id).id, first.snapshot_id)
        self.assertEqual(self.repo.snapshot().id, second.snapshot_id)

    def test_iterating_a_snapshot_walks_its_tree(self):
        self.backup()
        snap = self.repo.snapshot()
        nodes = list(snap)
        self.assertTrue(all(isinstance(n, coffer.Node) for n in nodes))
        files = {os.path.relpath(n.path, self.source): n.size for n in nodes if n.type == "file"}
        self.assertEqual(files, {k: len(v) for k, v in self.contents.items()})
        # ls: the entry itself and its direct children only.
        top = snap.ls(self.source)
        self.assertEqual(top[0].path, self.source)
        self.assertTrue(top[0].is_dir)
        expected = sorted({p.split(os.sep)[0] for p in self.contents})
        self.assertEqual(sorted(n.name for n in top[1:]), expected)
        with self.assertRaises(coffer.NotFoundError):
            snap.ls(os.path.join(self.source, "no such file"))

    def test_excludes_streams_and_find(self):
        result = self.backup(excludes=["d1"],
                             streams={"/stream/dump.sql": io.BytesIO(b"x" * 100_000)})
        paths = {n.path for n in self.repo.walk(result.snapshot_id)}
        self.assertIn("/stream/dump.sql", paths)
        self.assertFalse(any("/d1/" in p or p.endswith("/d1") for p in paths))
        matches = self.repo.find("dump.sql")
        self.assertEqual([(m.path, m.size) for m in matches], [("/stream/dump.sql", 100_000)])
        target = os.path.join(self.tmp, "out")
        self.repo.restore(target, includes=["/stream"])
        with open(os.path.join(target, "stream", "dump.sql"), "rb") as f:
            self.assertEqual(f.read(), b"x" * 100_000)

    def test_reopen_info_stats_and_keys(self):
        self.backup()
        self.repo.close()
        self.assertTrue(self.repo.closed)
        with self.assertRaises(coffer.InvalidArgumentError):
            self.repo.snapshots()
        with coffer.Repository.open(self.location, PASSWORD) as repo:
            info = repo.info()
            self.assertEqual(info["format_version"], 1)
            self.assertFalse(info["write_only"])
            stats = repo.stats()
            self.assertEqual(stats["snapshots"], 1)
            self.assertEqual(stats["logical_bytes"], sum(map(len, self.contents.values())))
            repo.set_kdf(1, 8 << 20)
            key_id = repo.add_key("second password", label="backup-agent")
            # Both slots may carry the same creation second: find them by id.
            keys = {k.id: k for k in repo.keys()}
            self.assertEqual(len(keys), 2)
            self.assertFalse(keys[key_id].current)
            self.assertEqual(keys[key_id].label, "backup-agent")
            (first,) = [k for k in keys.values() if k.id != key_id]
            self.assertTrue(first.current)
        with coffer.Repository.open(self.location, "second password") as repo:
            self.assertEqual(len(repo.snapshots()), 1)
            repo.remove_key(first.id)
            self.assertEqual([k.id for k in repo.keys()], [key_id])
        with self.assertRaises(coffer.WrongPasswordError):
            coffer.Repository.open(self.location, PASSWORD)

    def test_forget_prune_and_check(self):
        ids = [self.backup(tags=["n%d" % i]).snapshot_id for i in range(3)]
        dry = self.repo.forget({"keep_last": 1}, dry_run=True)
        self.assertTrue(dry.dry_run)
        self.assertEqual(sorted(dry.removed), sorted(ids[:2]))
        self.assertEqual(len(self.repo.snapshots()), 3)
        done = self.repo.forget({"keep_last": 1})
        self.assertEqual(sorted(done.removed), sorted(ids[:2]))
        kept = [d for d in done.decisions if d.keep]
        self.assertEqual([(d.id, d.reasons) for d in kept], [(ids[2], ["last 1"])])
        self.assertEqual([s.id for s in self.repo.snapshots()], [ids[2]])
        self.assertEqual(self.repo.forget(snapshots=[ids[2][:8]]).removed, [ids[2]])
        pruned = self.repo.prune()
        self.assertGreater(pruned["packs_deleted"], 0)
        check = self.repo.check(read_data=True)
        self.assertTrue(check.ok, check.errors)
        self.assertEqual(check.snapshots, 0)

    def test_repair_and_unlock_on_a_healthy_repository(self):
        self.backup()
        repaired = self.repo.repair(dry_run=True)
        self.assertTrue(repaired["dry_run"])
        self.assertEqual(repaired["repaired"], [])
        self.assertEqual(repaired["packs_damaged"], 0)
        self.assertEqual(self.repo.unlock(), {"removed": 0, "locks": []})

    def test_version_and_defaults(self):
        self.assertRegex(coffer.version(), r"^\d+\.\d+\.\d+$")
        self.assertEqual(coffer.version_number() // 10000, int(coffer.version().split(".")[0]))
        d = coffer.defaults()
        self.assertLess(d["chunk_min_size"], d["chunk_avg_size"])
        self.assertLess(d["chunk_avg_size"], d["chunk_max_size"])


if __name__ == "__main__":
    unittest.main()
