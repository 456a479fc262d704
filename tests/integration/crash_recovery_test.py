"""A `coffer backup` killed with SIGKILL at random moments never damages the
repository: every snapshot completed before a kill restores exactly, and the
next backup succeeds. The seed is fixed so a failure can be replayed."""
import os
import random
import signal
import subprocess
import time
import unittest

from cli_support import COFFER, CofferTestCase, mutate_tree, snapshot_copy, write_random_tree

ITERATIONS = int(os.environ.get("COFFER_CRASH_ITERATIONS", "50"))
SEED = int(os.environ.get("COFFER_CRASH_SEED", "20261126"))


class CrashRecoveryTest(CofferTestCase):
    def test_sigkill_during_backup_leaves_earlier_snapshots_restorable(self):
        rng = random.Random(SEED)
        source = os.path.join(self.tmp, "source")
        expected_root = os.path.join(self.tmp, "expected")
        write_random_tree(source, rng)
        self.coffer("backup", source)
        completed = {self.snapshots()[-1]["id"]: snapshot_copy(source, expected_root, "0")}
        # How long an incremental backup takes here: kills land inside that.
        mutate_tree(source, rng)
        started = time.monotonic()
        self.coffer("backup", source)
        duration = time.monotonic() - started
        completed[self.snapshots()[-1]["id"]] = snapshot_copy(source, expected_root, "warmup")

        kills = 0
        kills_mid_write = 0  # kills after the backup had written to the store
        # Kills land uniformly in [0, bound); the bound adapts so that most
        # runs are killed while writing and a few complete.
        bound = duration * 2.0

        def objects():
            return {os.path.join(d, f) for d, _, fs in os.walk(self.repo) for f in fs
                    if "/locks" not in d}
        for i in range(1, ITERATIONS + 1):
            mutate_tree(source, rng)
            state = snapshot_copy(source, expected_root, str(i))
            before = {s["id"] for s in self.snapshots()}
            objects_before = objects()
            proc = subprocess.Popen([COFFER, "-q", "backup", source], env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, bound))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            after = {s["id"] for s in self.snapshots()}
            new = after - before
            if proc.returncode == 0 or new:
                # The backup finished before the kill (or wrote its snapshot
                # just before it): it must then be complete.
                self.assertEqual(len(new), 1)
                completed[new.pop()] = state
                bound *= 0.8
            else:
                kills += 1
                if objects() != objects_before:
                    kills_mid_write += 1
                else:
                    bound *= 1.25
            # After every kill: the repository checks clean with all data
            # read, and every snapshot completed so far restores exactly.
            check = self.coffer("check", "--read-data", check=False)
            self.assertEqual(check.returncode, 0, f"run {i}: check failed:\n{check.stdout}{check.stderr}")
            for sid, expected in completed.items():
                self.restore_and_compare(sid, expected, source)

        # Every snapshot completed before a kill still restores, and the next
        # backup after all those kills succeeds.
        for sid, state in completed.items():
            self.restore_and_compare(sid, state, source)
        self.coffer("backup", source)
        final = self.snapshots()[-1]["id"]
        self.restore_and_compare(final, source, source)
        print(f"crash test: incremental backup takes {duration:.2f} s; {ITERATIONS} runs, {kills} killed mid-backup, "
              f"{len(completed)} snapshots verified, {kills_mid_write} kills after writing had begun",
              flush=True)
        self.assertGreater(kills_mid_write, 0, "no backup was killed mid-write: the test proved nothing")


if __name__ == "__main__":
    unittest.main()
