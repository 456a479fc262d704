"""Several processes backing up into one repository at once all succeed, and
every snapshot restores exactly."""
import os
import random
import subprocess
import unittest

from cli_support import COFFER, CofferTestCase, write_random_tree


class ConcurrentBackupTest(CofferTestCase):
    def test_three_processes_back_up_at_once(self):
        rng = random.Random(7)
        sources = []
        for i in range(3):
            src = os.path.join(self.tmp, f"host{i}")
            write_random_tree(src, rng, files=40)
            sources.append(src)
        # One file common to all: deduplicated even across racing writers.
        common = rng.randbytes(2_000_000)
        for src in sources:
            with open(os.path.join(src, "common.bin"), "wb") as f:
                f.write(common)
        procs = [subprocess.Popen([COFFER, "-q", "backup", src], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for src in sources]
        for p in procs:
            _, err = p.communicate(timeout=600)
            self.assertEqual(p.returncode, 0, err)
        snaps = self.snapshots()
        self.assertEqual(len(snaps), 3)
        for s in snaps:
            (src,) = s["paths"]
            self.restore_and_compare(s["id"], src, src)


if __name__ == "__main__":
    unittest.main()
