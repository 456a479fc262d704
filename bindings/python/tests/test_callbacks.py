"""Progress and warning callbacks, and stopping an operation from one."""
import os
import socket
import unittest

from support import RepoTestCase, coffer


class Stop(Exception):
    pass


class ProgressTest(RepoTestCase):
    def test_backup_progress_reports_reach_the_total(self):
        reports = []
        self.backup(progress=reports.append, files_cache=False)
        self.assertGreaterEqual(len(reports), 1)
        self.assertTrue(all(isinstance(p, coffer.Progress) for p in reports))
        self.assertTrue(all(isinstance(p.phase, coffer.Phase) for p in reports))
        last = reports[-1]
        total = sum(map(len, self.contents.values()))
        self.assertEqual(last.bytes_done, total)
        self.assertEqual(last.files_done, len(self.contents))
        self.assertTrue(last.totals_final)
        self.assertEqual(last.bytes_total, total)

    def test_restore_progress_reports_reach_the_total(self):
        result = self.backup()
        reports = []
        self.repo.restore(os.path.join(self.tmp, "out"), result.snapshot_id,
                          progress=reports.append)
        self.assertTrue(reports)
        self.assertEqual(reports[-1].phase, coffer.Phase.RESTORE)
        self.assertEqual(reports[-1].bytes_done, sum(map(len, self.contents.values())))


class CancellationTest(RepoTestCase):
    def test_a_raising_progress_callback_stops_the_backup_and_is_re_raised(self):
        calls = []

        def progress(p):
            calls.append(p)
            raise Stop("enough")

        with self.assertRaises(Stop) as caught:
            self.backup(progress=progress)
        self.assertEqual(str(caught.exception), "enough")
        self.assertEqual(len(calls), 1, "the callback is not called again once it raised")
        # The library's own CANCELLED error is chained as the cause.
        self.assertIsInstance(caught.exception.__cause__, coffer.CancelledError)
        self.assertEqual(self.repo.snapshots(), [], "a cancelled backup writes no snapshot")
        # The handle is still usable.
        result = self.backup()
        self.assertEqual([s.id for s in self.repo.snapshots()], [result.snapshot_id])

    def test_cancelling_late_in_the_backup_writes_no_snapshot(self):
        def progress(p):
            if p.totals_final and p.bytes_done == p.bytes_total:
                raise KeyboardInterrupt

        with self.assertRaises(KeyboardInterrupt):
            self.backup(progress=progress, files_cache=False)
        self.assertEqual(self.repo.snapshots(), [])
        self.assertTrue(self.repo.check().ok)

    def test_a_raising_progress_callback_stops_the_restore(self):
        result = self.backup()
        target = os.path.join(self.tmp, "out")

        def progress(p):
            raise Stop("no restore today")

        with self.assertRaises(Stop):
            self.repo.restore(target, result.snapshot_id, progress=progress)
        # Usable again, and a full restore still works.
        self.assertEqual(self.restored(os.path.join(self.tmp, "out2"), result.snapshot_id),
                         self.contents)

    def test_a_raising_stream_stops_the_backup(self):
        class Broken:
            def read(self, n):
                raise OSError("disk on fire")

        with self.assertRaises(OSError) as caught:
            self.repo.backup(streams={"/broken": Broken()}, cache_dir=self.cache)
        self.assertEqual(str(caught.exception), "disk on fire")
        self.assertEqual(self.repo.snapshots(), [])

    def test_calling_the_repository_from_its_callback_is_refused(self):
        seen = []

        def progress(p):
            try:
                self.repo.snapshots()
            except coffer.InvalidArgumentError as e:
                seen.append(e)

        self.backup(progress=progress)
        self.assertTrue(seen)
        self.assertIn("in use", str(seen[0]))


class CheckProgressTest(RepoTestCase):
    def test_check_reports_trees_then_packs(self):
        self.backup()
        reports = []
        result = self.repo.check(read_data=True, progress=reports.append)
        self.assertTrue(result.ok)
        self.assertTrue(reports)
        self.assertTrue(all(p.phase == coffer.Phase.VERIFYING for p in reports))
        self.assertFalse(reports[0].totals_final)  # trees first: no total yet
        last = reports[-1]
        self.assertTrue(last.totals_final)
        self.assertEqual((last.files_done, last.files_total), (result.packs_read, result.packs_read))
        self.assertEqual(last.bytes_done, result.bytes_read)

    def test_a_raising_callback_stops_the_check(self):
        self.backup()
        calls = []

        def progress(p):
            calls.append(p)
            raise Stop("check later")

        with self.assertRaises(Stop) as caught:
            self.repo.check(read_data=True, progress=progress)
        self.assertIsInstance(caught.exception.__cause__, coffer.CancelledError)
        self.assertEqual(len(calls), 1)
        self.assertTrue(self.repo.check().ok)


class WarningTest(RepoTestCase):
    def make_socket(self):
        path = os.path.join(self.source, "a.sock")
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        self.addCleanup(s.close)
        return path

    def test_warnings_reach_the_callback(self):
        sock = self.make_socket()
        warnings = []
        result = self.backup(warning=lambda path, message: warnings.append((path, message)))
        self.assertIn(sock, [p for p, _ in warnings])
        self.assertTrue(all(isinstance(m, str) and m for _, m in warnings))
        # A skipped socket is a warning, not an error: the snapshot is whole.
        self.assertFalse(result.partial)
        self.assertNotIn(sock, {n.path for n in self.repo.walk(result.snapshot_id)})

    def test_a_raising_warning_callback_stops_the_backup(self):
        self.make_socket()

        def warning(path, message):
            raise Stop(path)

        with self.assertRaises(Stop):
            self.backup(warning=warning)
        self.assertEqual(self.repo.snapshots(), [])


if __name__ == "__main__":
    unittest.main()
