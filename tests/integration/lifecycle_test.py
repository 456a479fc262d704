"""forget, prune, check, repair, unlock and locks through the CLI."""
import json
import os
import random
import signal
import subprocess
import time
import unittest

from cli_support import COFFER, CofferTestCase, write_random_tree


class LifecycleTest(CofferTestCase):
    def setUp(self):
        super().setUp()
        self.source = os.path.join(self.tmp, "source")
        write_random_tree(self.source, random.Random(5), files=20)

    def test_forget_dry_run_explains_and_changes_nothing(self):
        for tag in ("a", "b", "c"):
            self.coffer("backup", self.source, "--tag", tag)
        out = json.loads(self.coffer("--json", "forget", "--keep-last", "1", "--keep-tag", "a",
                                     "--dry-run").stdout)
        self.assertTrue(out["dry_run"])
        self.assertEqual(len(out["removed"]), 1)
        reasons = sorted(r for d in out["decisions"] for r in d["reasons"])
        self.assertEqual(reasons, ["last 1", "tag a"])
        self.assertEqual(len(self.snapshots()), 3)
        self.coffer("forget", "--keep-last", "1", "--keep-tag", "a")
        self.assertEqual(len(self.snapshots()), 2)

    def test_forget_with_a_policy_file_and_bad_policy(self):
        self.coffer("backup", self.source)
        self.coffer("backup", self.source)
        policy = os.path.join(self.tmp, "policy.json")
        with open(policy, "w") as f:
            json.dump({"name": "p", "retention": {"keep_last": 1}}, f)
        self.coffer("forget", "--policy", policy)
        self.assertEqual(len(self.snapshots()), 1)
        with open(policy, "w") as f:
            json.dump({"retention": {"keep_dayly": 1}}, f)
        bad = self.coffer("forget", "--policy", policy, check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("keep_dayly", bad.stderr)
        self.assertEqual(len(self.snapshots()), 1)

    def test_forget_without_rules_refuses(self):
        self.coffer("backup", self.source)
        result = self.coffer("forget", check=False)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(self.snapshots()), 1)

    def test_check_fails_on_damage_and_repair_saves_the_rest(self):
        self.coffer("backup", self.source)
        packs = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(self.repo, "data")) for f in fs]
        biggest = max(packs, key=os.path.getsize)
        with open(biggest, "r+b") as f:
            f.seek(os.path.getsize(biggest) // 2)
            f.write(b"\x00garbage\x00")
        self.assertEqual(self.coffer("check").returncode, 0)  # structure is fine
        damaged = self.coffer("check", "--read-data", check=False)
        self.assertEqual(damaged.returncode, 1)
        self.assertIn(os.path.relpath(biggest, self.repo), damaged.stderr)
        self.assertIn("damaged (cannot be restored in full)", damaged.stderr)
        repaired = json.loads(self.coffer("--json", "repair").stdout)
        self.assertEqual(len(repaired["repaired"]), 1)
        self.assertTrue(repaired["repaired"][0]["lost"])
        self.assertEqual(self.coffer("check", "--read-data", check=False).returncode, 0)
        snap = self.snapshots()[0]
        self.assertIn("repaired", snap["tags"])
        self.assertTrue(snap["partial"])
        target = os.path.join(self.tmp, "out")
        self.coffer("restore", "latest", "--target", target)

    def test_a_held_lock_blocks_prune_with_exit_12_naming_the_holder(self):
        self.coffer("backup", self.source)
        # A stdin backup that waits for input holds a shared lock meanwhile.
        holder = subprocess.Popen([COFFER, "-q", "backup", "--stdin", "--stdin-filename", "/slow"],
                                  env=self.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            locks = os.path.join(self.repo, "locks")
            while not (os.path.isdir(locks) and os.listdir(locks)):
                self.assertLess(time.monotonic(), deadline, "the backup never took its lock")
                time.sleep(0.05)
            started = time.monotonic()
            result = self.coffer("--lock-wait", "2", "prune", check=False)
            self.assertGreaterEqual(time.monotonic() - started, 1.5, "prune did not wait for the lock")
            self.assertEqual(result.returncode, 12, result.stderr)
            self.assertIn("repository is locked", result.stderr)
            self.assertIn(f"pid {holder.pid}", result.stderr)
            # A killed holder leaves a stale lock that unlock removes.
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            holder.stdin.close()
            self.assertEqual(len(os.listdir(os.path.join(self.repo, "locks"))), 1)
            out = json.loads(self.coffer("--json", "unlock").stdout)
            self.assertEqual(out["removed"], 1)
            self.coffer("prune")
        finally:
            if holder.poll() is None:
                holder.kill()
                holder.wait()
            if not holder.stdin.closed:
                holder.stdin.close()

    def test_two_backups_and_a_prune_at_once(self):
        rng = random.Random(9)
        other = os.path.join(self.tmp, "other")
        write_random_tree(other, rng, files=40)
        self.coffer("backup", self.source)
        old = self.snapshots()[0]["id"]
        self.coffer("forget", old)  # something for prune to free
        procs = [subprocess.Popen([COFFER, "-q", "backup", path], env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for path in (self.source, other)]
        prune = subprocess.run([COFFER, "prune"], env=self.env, capture_output=True, text=True)
        for p in procs:
            _, err = p.communicate(timeout=600)
            self.assertEqual(p.returncode, 0, err)
        # The prune either ran before the backups locked the repository or
        # was refused; either way nothing they need is gone.
        self.assertIn(prune.returncode, (0, 12), prune.stderr)
        self.coffer("prune")
        self.assertEqual(self.coffer("check", "--read-data", check=False).returncode, 0)
        for s in self.snapshots():
            (path,) = s["paths"]
            self.restore_and_compare(s["id"], path, path)


if __name__ == "__main__":
    unittest.main()
