"""A `coffer prune` killed with SIGKILL at random moments never loses a
snapshot: after each kill, `check --read-data` passes (after `unlock`, since
the killed prune leaves its lock), every remaining snapshot restores
byte-identical, and the next prune finishes the job. Fixed seed."""
import json
import os
import random
import signal
import subprocess
import time
import unittest

from cli_support import COFFER, CofferTestCase, mutate_tree, snapshot_copy, write_random_tree

ITERATIONS = int(os.environ.get("COFFER_PRUNE_CRASH_ITERATIONS", "50"))
SEED = int(os.environ.get("COFFER_CRASH_SEED", "20261126"))


class PruneCrashTest(CofferTestCase):
    def test_sigkill_during_prune_loses_nothing(self):
        rng = random.Random(SEED)
        source = os.path.join(self.tmp, "source")
        expected_root = os.path.join(self.tmp, "expected")
        write_random_tree(source, rng, files=30, max_size=200_000)
        states = {}  # snapshot id -> copy of the source it holds
        killed = 0
        killed_mid_write = 0  # kills after prune had changed the store

        def objects():
            return {os.path.join(d, f) for d, _, fs in os.walk(self.repo) for f in fs
                    if "/locks" not in d}
        prune_time = 0.3
        for i in range(ITERATIONS):
            # New data, then forget all but the two newest snapshots so the
            # prune has packs to delete and to repack.
            mutate_tree(source, rng)
            self.coffer("-q", "backup", source)
            newest = self.snapshots()[-1]["id"]
            states[newest] = snapshot_copy(source, expected_root, str(i))
            forgotten = json.loads(self.coffer("--json", "forget", "--keep-last", "2").stdout)["removed"]
            for sid in forgotten:
                states.pop(sid, None)
            before = objects()
            started = time.monotonic()
            proc = subprocess.Popen([COFFER, "-q", "prune", "--repack-threshold", "0.1"], env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, prune_time * 1.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if proc.returncode == 0:
                prune_time = max(0.05, time.monotonic() - started)
            else:
                killed += 1
                if objects() != before:
                    killed_mid_write += 1
            self.coffer("unlock")  # the killed prune's lock belongs to a dead process: stale
            check = self.coffer("check", "--read-data", check=False)
            self.assertEqual(check.returncode, 0, f"iteration {i}: check failed:\n{check.stdout}{check.stderr}")
            remaining = {s["id"] for s in self.snapshots()}
            self.assertEqual(remaining, set(states), f"iteration {i}: snapshots changed")
            for sid, state in states.items():
                self.restore_and_compare(sid, state, source)
        # Every surviving snapshot restores, and a final prune completes.
        for sid, state in states.items():
            self.restore_and_compare(sid, state, source)
        self.coffer("prune")
        self.assertEqual(self.coffer("check", "--read-data", check=False).returncode, 0)
        print(f"prune crash test: {ITERATIONS} runs, {killed} prunes killed, {killed_mid_write} "
              f"after they had changed the store", flush=True)
        self.assertGreater(killed_mid_write, 0, "no prune was killed mid-write: the test proved nothing")


if __name__ == "__main__":
    unittest.main()
