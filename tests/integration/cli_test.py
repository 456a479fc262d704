"""The coffer command line end to end: round trips, --json documents, exit
codes, stdin backups, restore overwrite rules, keys, passwords, and a clean
cancel on SIGINT. Runs the real binary ($COFFER_BIN)."""
import json
import os
import random
import signal
import subprocess
import threading
import time
import unittest

from cli_support import COFFER, PASSWORD, CofferTestCase, tree_differences, write_random_tree


class CliTest(CofferTestCase):
    def setUp(self):
        super().setUp()
        self.source = os.path.join(self.tmp, "source")
        write_random_tree(self.source, random.Random(1), files=12, max_size=200_000)
        with open(os.path.join(self.source, "notes.txt"), "w") as f:
            f.write("remember the milk\n")
        with open(os.path.join(self.source, "scratch.tmp"), "w") as f:
            f.write("excluded\n")
        os.symlink("notes.txt", os.path.join(self.source, "link"))

    def json_of(self, *args, **kwargs):
        result = self.coffer("--json", *args, **kwargs)
        return json.loads(result.stdout)  # exactly one document

    def expect_exit(self, code, *args, env=None, fragment=None, **kwargs):
        result = self.coffer(*args, check=False, env=env, **kwargs)
        self.assertEqual(result.returncode, code, f"stdout:{result.stdout}\nstderr:{result.stderr}")
        if code not in (0, 3):  # 3: a warning, the backup itself succeeded
            self.assertIn("coffer: error:", result.stderr)
        if fragment:
            self.assertIn(fragment, result.stderr)
        return result

    # ---- round trips and --json --------------------------------------------------

    def test_backup_snapshots_restore_round_trip(self):
        out = self.coffer("backup", self.source, "--tag", "daily", "--exclude", "*.tmp").stdout
        self.assertIn("snapshot", out)
        self.assertIn("Added:", out)
        os.remove(os.path.join(self.source, "scratch.tmp"))
        table = self.coffer("snapshots").stdout
        self.assertIn("daily", table)
        self.assertIn(self.source, table)
        target = os.path.join(self.tmp, "restored")
        out = self.coffer("restore", "latest", "--target", target).stdout
        self.assertIn("Restored", out)
        restored = os.path.join(target, os.path.relpath(self.source, "/"))
        self.assertEqual(tree_differences(self.source, restored), [])
        self.assertEqual(os.readlink(os.path.join(restored, "link")), "notes.txt")
        diff = subprocess.run(["diff", "-r", "--no-dereference", self.source, restored],
                              capture_output=True, text=True)
        self.assertEqual(diff.returncode, 0, diff.stdout + diff.stderr)

    def test_json_outputs_parse(self):
        backup = self.json_of("backup", self.source, "--tag", "t1", "--host", "h1")
        self.assertEqual(len(backup["snapshot_id"]), 64)
        self.assertFalse(backup["partial"])
        self.assertEqual(backup["host"], "h1")
        self.assertEqual(backup["tags"], ["t1"])
        self.assertGreater(backup["summary"]["files_new"], 10)
        short = backup["snapshot_id"][:8]

        snaps = self.json_of("snapshots", "--host", "h1")
        self.assertEqual([s["id"] for s in snaps], [backup["snapshot_id"]])
        self.assertEqual(self.json_of("snapshots", "--tag", "nope"), [])

        nodes = self.json_of("ls", short, self.source)
        self.assertEqual(nodes[0]["path"], self.source)
        self.assertIn("notes.txt", [n["name"] for n in nodes])
        every = self.json_of("ls", "latest", "/", "--recursive")
        self.assertGreater(len(every), len(nodes))

        found = self.json_of("find", "notes.txt")
        self.assertEqual([f["path"] for f in found], [os.path.join(self.source, "notes.txt")])

        stats = self.json_of("stats")
        self.assertEqual(stats["snapshots"], 1)
        self.assertGreater(stats["logical_bytes"], 0)
        self.assertEqual(self.json_of("stats", short)["snapshots"], 1)

        restored = self.json_of("restore", short, "--target", os.path.join(self.tmp, "r"))
        self.assertEqual(restored["snapshot_id"], backup["snapshot_id"])
        self.assertGreater(restored["files"], 10)

        keys = self.json_of("key", "list")
        self.assertEqual(len(keys), 1)
        self.assertTrue(keys[0]["current"])

    def test_human_outputs(self):
        self.coffer("backup", self.source)
        ls = self.coffer("ls", "latest", self.source).stdout
        self.assertIn("-rw", ls)
        self.assertIn("link -> notes.txt", ls)
        stats = self.coffer("stats").stdout
        self.assertIn("Logical size:", stats)
        self.assertIn("deduplication", stats)
        self.assertIn("1 match", self.coffer("find", "*.txt").stdout)

    def test_quiet_prints_nothing_on_success(self):
        result = self.coffer("-q", "backup", self.source)
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.stderr, "")

    # ---- exit codes ----------------------------------------------------------------

    def test_usage_errors_exit_2(self):
        self.expect_exit(2, "backup", "--no-such-option", self.source, fragment="--no-such-option")
        self.expect_exit(2, "frobnicate")
        self.expect_exit(2, "restore", "latest")  # --target is required
        self.expect_exit(2, "backup")  # neither PATH nor --stdin
        env = dict(self.env)
        del env["COFFER_REPOSITORY"]
        self.expect_exit(2, "snapshots", env=env, fragment="COFFER_REPOSITORY")

    def test_wrong_password_exits_11(self):
        env = dict(self.env, COFFER_PASSWORD="not it")
        self.expect_exit(11, "snapshots", env=env, fragment="wrong password")
        password_file = os.path.join(self.tmp, "pw")
        with open(password_file, "w") as f:
            f.write(PASSWORD + "\n")
        env = dict(self.env)
        del env["COFFER_PASSWORD"]
        self.coffer("--password-file", password_file, "snapshots", env=env)

    def test_not_a_repository_exits_10(self):
        env = dict(self.env, COFFER_REPOSITORY=os.path.join(self.tmp, "nothing"))
        self.expect_exit(10, "snapshots", env=env, fragment="no coffer repository")
        self.coffer("backup", self.source)
        self.expect_exit(10, "ls", "latest", "/no/such/path", fragment="/no/such/path")

    def test_missing_password_without_terminal_is_a_clear_error(self):
        env = dict(self.env)
        del env["COFFER_PASSWORD"]
        result = self.expect_exit(1, "snapshots", env=env, stdin=subprocess.DEVNULL,
                                  fragment="COFFER_PASSWORD")
        self.assertIn("no password", result.stderr)

    def test_init_twice_fails_and_says_why(self):
        self.expect_exit(1, "init", fragment="already exists")

    def test_version_and_help(self):
        self.assertRegex(self.coffer("--version").stdout, r"^coffer \d+\.\d+\.\d+")
        help_text = self.coffer("--help").stdout
        for line in ("Exit codes:", "11   wrong password", "12   repository is locked",
                     "130  interrupted"):
            self.assertIn(line, help_text)

    def test_kdf_defaults_in_help_are_what_init_writes(self):
        # A repository made without --kdf-* records the library's defaults in
        # its key slot (readable: the KDF parameters are stored in clear), and
        # both commands' --help name exactly those numbers.
        repo = os.path.join(self.tmp, "default-kdf")
        self.coffer("-r", repo, "init")
        (slot_name,) = os.listdir(os.path.join(repo, "keys"))
        with open(os.path.join(repo, "keys", slot_name)) as f:
            kdf = json.load(f)["kdf"]
        self.assertEqual(kdf["algorithm"], "argon2id")
        memory_mib, passes = kdf["mem"] >> 20, kdf["ops"]
        self.assertEqual((memory_mib, passes), (56, 4))
        for command in (["init"], ["key", "add"], ["key", "passwd"]):
            help_text = " ".join(self.coffer(*command, "--help").stdout.split())
            self.assertIn(f"Argon2id memory in MiB", help_text)
            self.assertRegex(help_text, rf"Argon2id memory in MiB[^()]*\(default {memory_mib}\)")
            self.assertRegex(help_text, rf"Argon2id passes[^()]*\(default {passes}\)")

    def test_partial_backup_exits_3(self):
        unreadable = os.path.join(self.source, "secret.bin")
        with open(unreadable, "wb") as f:
            f.write(b"x" * 1000)
        os.chmod(unreadable, 0)
        env, kwargs = self.env, {}
        if os.geteuid() == 0:
            # root reads anything: run the backup as nobody, who cannot.
            for d, dirs, files in os.walk(self.tmp):
                for name in [d] + [os.path.join(d, n) for n in dirs + files]:
                    os.lchown(name, 65534, 65534)
            os.chown(unreadable, 0, 0)
            kwargs = {"user": 65534, "group": 65534, "extra_groups": []}
        result = self.expect_exit(3, "--json", "backup", self.source, env=env, **kwargs)
        doc = json.loads(result.stdout)
        self.assertTrue(doc["partial"])
        self.assertEqual([e["path"] for e in doc["errors"]], [unreadable])
        self.assertIn(f"warning: {unreadable}:", result.stderr)
        snaps = self.snapshots()
        self.assertEqual(len(snaps), 1)
        self.assertTrue(snaps[0]["partial"])

    # ---- stdin, restore rules --------------------------------------------------------

    def test_stdin_backup(self):
        data = "CREATE TABLE t (x int);\n" * 1000
        backup = json.loads(self.coffer("--json", "backup", "--stdin", "--stdin-filename", "db.sql",
                                        input=data).stdout)
        self.assertEqual(backup["summary"]["bytes_total"], len(data))
        nodes = self.json_of("ls", "latest", "/db.sql")
        self.assertEqual(nodes[0]["size"], len(data))
        target = os.path.join(self.tmp, "out")
        self.coffer("restore", "latest", "--target", target)
        with open(os.path.join(target, "db.sql")) as f:
            self.assertEqual(f.read(), data)
        # An absolute name places the file in a directory of the snapshot.
        self.coffer("backup", "--stdin", "--stdin-filename", "/db/app.sql", input="x")
        self.assertEqual([n["path"] for n in self.json_of("ls", "latest", "/db")], ["/db", "/db/app.sql"])

    def test_restore_refuses_to_overwrite_without_overwrite(self):
        self.coffer("backup", self.source)
        target = os.path.join(self.tmp, "out")
        self.coffer("restore", "latest", "--target", target)
        restored_notes = os.path.join(target, os.path.relpath(self.source, "/"), "notes.txt")
        with open(restored_notes, "w") as f:
            f.write("local change\n")
        self.expect_exit(1, "restore", "latest", "--target", target, fragment="--overwrite")
        with open(restored_notes) as f:
            self.assertEqual(f.read(), "local change\n")
        self.coffer("restore", "latest", "--target", target, "--overwrite")
        with open(restored_notes) as f:
            self.assertEqual(f.read(), "remember the milk\n")

    def test_restore_include_and_exclude(self):
        self.coffer("backup", self.source)
        target = os.path.join(self.tmp, "out")
        dir0 = os.path.join(self.source, "dir0")
        self.coffer("restore", "latest", "--target", target, "--include", dir0, "--exclude", "file0.bin")
        base = os.path.join(target, os.path.relpath(self.source, "/"))
        self.assertTrue(os.path.isdir(os.path.join(base, "dir0")))
        self.assertFalse(os.path.exists(os.path.join(base, "dir0", "file0.bin")))
        self.assertTrue(os.path.exists(os.path.join(base, "dir0", "file7.bin")))
        self.assertFalse(os.path.exists(os.path.join(base, "notes.txt")))

    def test_backup_include(self):
        self.coffer("backup", self.source, "--include", "file7.bin")
        listed = self.json_of("ls", "latest", self.source, "-r")
        files = sorted(os.path.basename(n["path"]) for n in listed if n["type"] == "file")
        self.assertEqual(files, ["file7.bin"])

    # ---- keys ---------------------------------------------------------------------

    def test_key_add_list_remove_passwd(self):
        env = dict(self.env, COFFER_NEW_PASSWORD="second password")
        added = json.loads(self.coffer("--json", "key", "add", "--label", "laptop", "--kdf-memory", "1",
                                       "--kdf-ops", "1", env=env).stdout)
        self.assertEqual(len(added["id"]), 64)
        keys = self.json_of("key", "list")
        self.assertEqual(len(keys), 2)
        self.assertIn("laptop", self.coffer("key", "list").stdout)

        second = dict(self.env, COFFER_PASSWORD="second password")
        self.coffer("snapshots", env=second)
        self.coffer("key", "remove", added["id"][:8])
        self.expect_exit(11, "snapshots", env=second)

        new_password_file = os.path.join(self.tmp, "newpw")
        with open(new_password_file, "w") as f:
            f.write("third password\n")
        self.coffer("key", "passwd", "--new-password-file", new_password_file, "--kdf-memory", "1",
                    "--kdf-ops", "1")
        self.expect_exit(11, "snapshots")
        self.coffer("snapshots", env=dict(self.env, COFFER_PASSWORD="third password"))

    def test_write_only_key(self):
        env = dict(self.env, COFFER_NEW_PASSWORD="agent")
        self.coffer("key", "add", "--write-only", "--kdf-memory", "1", "--kdf-ops", "1", env=env)
        agent = dict(self.env, COFFER_PASSWORD="agent")
        # Dedup works against the whole repository: data the full key already
        # stored is not uploaded again by the write-only key.
        first = json.loads(self.coffer("--json", "-q", "backup", self.source).stdout)
        self.assertGreater(first["summary"]["bytes_added"], 100_000)
        again = json.loads(self.coffer("--json", "-q", "backup", "--no-cache", self.source,
                                       env=agent).stdout)
        self.assertGreater(again["summary"]["bytes_read"], 100_000)
        self.assertLess(again["summary"]["bytes_added"], 16_384, "a write-only key did not dedup")
        snap = self.snapshots()[0]["id"]
        # Everything that reads backup contents or file names, or deletes, is
        # refused with a message that says why.
        for args in (("snapshots",), ("--json", "snapshots"), ("ls", snap), ("find", "*"),
                     ("restore", snap, "--target", os.path.join(self.tmp, "wo-restore")),
                     ("check", "--read-data"), ("forget", snap), ("prune",)):
            with self.subTest(command=args):
                self.expect_exit(1, *args, env=agent, fragment="write-only")
        target = os.path.join(self.tmp, "wo-restore")
        self.assertEqual(os.listdir(target) if os.path.isdir(target) else [], [], "restore wrote files")
        self.assertEqual(len(self.snapshots()), 2)

    def test_key_remove_refuses_the_key_in_use(self):
        (key,) = self.json_of("key", "list")
        self.expect_exit(1, "key", "remove", key["id"][:6], fragment="in use")
        self.expect_exit(10, "key", "remove", "ffff0000" if not key["id"].startswith("ffff") else "0000ffff")

    # ---- SIGINT ---------------------------------------------------------------------

    def test_sigint_cancels_cleanly_with_exit_130(self):
        proc = subprocess.Popen([COFFER, "backup", "--stdin", "--stdin-filename", "endless"],
                                env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        stop = threading.Event()
        written = [0]

        def feed():
            block = random.Random(5).randbytes(1 << 16)
            try:
                while not stop.is_set():
                    proc.stdin.write(block)
                    written[0] += len(block)
            except (BrokenPipeError, ValueError, OSError):
                pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        # Once coffer has consumed a few MiB it is inside the backup (the
        # signal handlers are installed before the repository is opened).
        deadline = time.monotonic() + 60
        while written[0] < (4 << 20) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            stop.set()
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn(b"coffer: error:", err)
        self.assertEqual(self.snapshots(), [])

    # ---- the C example -------------------------------------------------------------

    @unittest.skipUnless(os.environ.get("C_MINIMAL_BIN"), "C_MINIMAL_BIN not set")
    def test_c_minimal_example(self):
        repo = os.path.join(self.tmp, "c-repo")
        target = os.path.join(self.tmp, "c-out")
        result = subprocess.run([os.environ["C_MINIMAL_BIN"], repo, self.source, target],
                                env=self.env, capture_output=True, text=True, timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr)
        restored = os.path.join(target, os.path.relpath(self.source, "/"))
        self.assertEqual(tree_differences(self.source, restored), [])
        bad = subprocess.run([os.environ["C_MINIMAL_BIN"], repo, self.source, target],
                             env=dict(self.env, COFFER_PASSWORD="wrong"), capture_output=True,
                             text=True, timeout=600)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("COFFER_ERROR_WRONG_PASSWORD", bad.stderr)


if __name__ == "__main__":
    unittest.main()
