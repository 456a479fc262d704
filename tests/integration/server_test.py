"""coffer-server end to end: the coffer CLI backs up into and restores from a
real coffer-server on 127.0.0.1 (plain and TLS), append-only refusals with
the server's store hashed before and after, logins and paths, a restart, four
agents at once, a server killed mid-backup, write-only keys, graceful stop."""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from cli_support import COFFER, tree_differences, write_random_tree
import server_support
from server_support import CofferServer, hash_tree

PASSWORD = "repository-password"
USERS = {"alice": "alice-password-1", "bob": "bob-password-22"}
INIT_ARGS = ("init", "--kdf-memory", "1", "--kdf-ops", "1", "--chunk-min", "16",
             "--chunk-avg", "64", "--chunk-max", "256", "--pack-size", "1")


class ServerTestCase(unittest.TestCase):
    """A work directory, a source tree and helpers to run the CLI as a user."""

    tls = False
    append_only = False
    users = USERS
    extra = ()

    def setUp(self):
        self.tmp = server_support.temp_workdir()
        self.server = CofferServer(self.tmp, users=self.users, append_only=self.append_only,
                                   tls=self.tls, extra=self.extra).start(0)
        self.source = os.path.join(self.tmp, "source")
        write_random_tree(self.source, random.Random(8), files=30, max_size=200_000)

    def tearDown(self):
        if self.server.proc:
            self.server.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, user="alice", repo_path="/alice/repo", password=PASSWORD, **extra):
        env = self.server.client_env(os.environ, user, self.users[user] if self.users else "")
        env.update(COFFER_PASSWORD=password, COFFER_REPOSITORY=self.server.url(repo_path),
                   XDG_CACHE_HOME=os.path.join(self.tmp, f"cache-{user}"), **extra)
        return env

    def coffer(self, *args, env=None, check=True, timeout=600):
        result = subprocess.run([COFFER, *args], env=env or self.env(), capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            self.fail(f"coffer {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def snapshot_ids(self, env=None):
        return [s["id"] for s in json.loads(self.coffer("--json", "snapshots", env=env).stdout)]

    def assert_restores(self, snapshot_id, source, env=None, expected=None):
        """The snapshot of `source` restores as `expected` (default: source now)."""
        target = tempfile.mkdtemp(dir=self.tmp, prefix="restore-")
        self.coffer("restore", snapshot_id, "--target", target, env=env)
        restored = os.path.join(target, os.path.relpath(source, "/"))
        self.assertEqual(tree_differences(expected or source, restored), [])
        shutil.rmtree(target)


class RoundTripTest(ServerTestCase):
    def test_init_backup_restore_check_through_the_server(self):
        self.coffer(*INIT_ARGS)
        self.coffer("backup", self.source)
        write_random_tree(os.path.join(self.source, "more"), random.Random(9), files=5)
        self.coffer("backup", self.source)
        ids = self.snapshot_ids()
        self.assertEqual(len(ids), 2)
        self.assert_restores(ids[-1], self.source)
        self.coffer("check", "--read-data")
        # The objects sit under the user's path in the server's store.
        self.assertTrue(os.path.isfile(os.path.join(self.server.store, "alice", "repo", "config")))
        # forget and prune work on a server that is not append-only.
        self.coffer("forget", "--keep-last", "1", "--prune")
        self.assertEqual(self.snapshot_ids(), ids[-1:])
        self.assert_restores(ids[-1], self.source)

    def test_metrics_health_and_an_access_log_without_secrets(self):
        self.coffer(*INIT_ARGS)
        self.coffer("backup", self.source)
        status, body, _ = self.server.request("GET", "/healthz")
        self.assertEqual((status, body), (200, b"ok\n"))
        status, body, _ = self.server.request("GET", "/metrics")
        text = body.decode()
        self.assertEqual(status, 200)
        for family in ("coffer_server_requests_total{user=\"alice\"}",
                       "coffer_server_received_bytes_total{user=\"alice\"}",
                       "coffer_server_sent_bytes_total{user=\"alice\"}",
                       "coffer_server_errors_total{user=\"alice\"}"):
            self.assertIn(family, text)
        received = int(text.split("coffer_server_received_bytes_total{user=\"alice\"} ")[1]
                       .split()[0])
        self.assertGreater(received, 1_000_000)  # the source is several MB
        self.server.stop()
        log = "".join(self.server.access_log)
        self.assertIn(" alice PUT \"/alice/repo/", log)
        for secret in (USERS["alice"], PASSWORD, "Authorization", "Basic "):
            self.assertNotIn(secret, log)
        with open(self.server.log_path, errors="replace") as f:
            self.assertNotIn(USERS["alice"], f.read())


class TlsTest(ServerTestCase):
    tls = True

    def test_round_trip_over_https_with_cacert(self):
        env = self.env()
        del env["COFFER_CACERT"]
        cacert = ("--cacert", self.server.cert)
        self.coffer(*cacert, *INIT_ARGS, env=env)
        self.coffer(*cacert, "backup", self.source, env=env)
        ids = self.snapshot_ids(env=dict(env, COFFER_CACERT=self.server.cert))
        target = os.path.join(self.tmp, "restored")
        self.coffer(*cacert, "restore", ids[0], "--target", target, env=env)
        self.assertEqual(tree_differences(self.source, os.path.join(
            target, os.path.relpath(self.source, "/"))), [])

    def test_an_unknown_certificate_is_refused(self):
        env = self.env()
        del env["COFFER_CACERT"]
        result = self.coffer(*INIT_ARGS, env=env, check=False, timeout=120)
        self.assertNotEqual(result.returncode, 0)
        self.assertRegex(result.stderr.lower(), "certificate|tls|ssl")
        self.assertEqual(os.listdir(self.server.store), [])


class AppendOnlyTest(ServerTestCase):
    append_only = True

    def test_nothing_on_the_server_changes_through_the_client_or_raw_http(self):
        self.coffer(*INIT_ARGS)
        self.coffer("backup", self.source)
        first = shutil.copytree(self.source, os.path.join(self.tmp, "first"))
        write_random_tree(os.path.join(self.source, "more"), random.Random(10), files=5)
        self.coffer("backup", self.source)
        ids = self.snapshot_ids()
        before = hash_tree(self.server.store)
        self.assertGreater(len(before), 5)

        for args in (("forget", "--keep-last", "1"), ("forget", ids[0]), ("prune",),
                     ("forget", "--keep-last", "1", "--prune")):
            result = self.coffer(*args, check=False)
            self.assertNotEqual(result.returncode, 0, args)
            self.assertIn("append-only", result.stderr, args)
        self.assertEqual(self.snapshot_ids(), ids)

        auth = {"user": "alice", "password": USERS["alice"]}
        repo = "/alice/repo/"
        names = sorted(before)
        snapshot = next(n for n in names if "/snapshots/" in n)
        for name in (snapshot, "alice/repo/config", next(n for n in names if "/data/" in n)):
            status, body, _ = self.server.request("DELETE", "/" + name, **auth)
            self.assertEqual(status, 403, name)
            self.assertIn(b"append-only", body)
            status, body, _ = self.server.request("PUT", "/" + name, body=b"ransom", **auth)
            self.assertEqual(status, 403, name)
            self.assertIn(b"append-only", body)
        # Writing the very bytes that are there changes nothing and is allowed.
        with open(os.path.join(self.server.store, snapshot), "rb") as f:
            same = f.read()
        status, _, _ = self.server.request("PUT", "/" + snapshot, body=same, **auth)
        self.assertEqual(status, 200)
        # New objects may still be created, and a client's lock objects removed.
        lock = repo + "locks/" + "ab" * 32
        self.assertEqual(self.server.request("PUT", lock, body=b"l", **auth)[0], 201)
        self.assertEqual(self.server.request("DELETE", lock, **auth)[0], 204)

        self.assertEqual(hash_tree(self.server.store), before)
        self.assert_restores(ids[0], self.source, expected=first)
        self.assert_restores(ids[1], self.source)
        # A backup still works on the append-only server.
        self.coffer("backup", self.source)


class SecurityTest(ServerTestCase):
    extra = ("--max-failed-logins", "4")

    def test_logins_paths_and_throttling(self):
        self.coffer(*INIT_ARGS)
        status, body, headers = self.server.request("GET", "/alice/repo/config")
        self.assertEqual(status, 401)
        self.assertIn("Basic", headers.get("WWW-Authenticate", ""))
        # bob's valid login on alice's path.
        status, body, _ = self.server.request("GET", "/alice/repo/config", user="bob",
                                              password=USERS["bob"])
        self.assertEqual(status, 403)
        self.assertEqual(self.server.request("GET", "/bob/x/?list", user="bob",
                                             password=USERS["bob"])[0], 200)
        # The CLI as bob on alice's repository, and with a wrong password.
        result = self.coffer("snapshots", env=self.env(user="bob"), check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("may only reach", result.stderr)
        env = self.env()
        env["COFFER_HTTP_PASSWORD"] = "wrong"
        result = self.coffer("snapshots", env=env, check=False)
        self.assertEqual(result.returncode, 13, result.stderr)  # the storage refused the login
        # Failed logins from one address are throttled, even a right one then.
        for _ in range(5):
            self.server.request("GET", "/alice/repo/config", user="alice", password="guess")
        status, body, headers = self.server.request("GET", "/alice/repo/config", user="alice",
                                                    password=USERS["alice"])
        self.assertEqual(status, 429)
        self.assertIn("Retry-After", headers)
        self.assertIn(b"too many failed logins", body)


class UserManagementTest(ServerTestCase):
    def test_users_added_and_removed_while_the_server_runs(self):
        listing = "/carol/r/?list"
        self.assertEqual(self.server.request("GET", listing, user="carol",
                                             password="carol-password-3")[0], 401)
        server_support.add_user(self.server.users_file, "carol", "carol-password-3")
        self.assertEqual(self.server.request("GET", listing, user="carol",
                                             password="carol-password-3")[0], 200)
        out = subprocess.run([server_support.SERVER, "user", "list", "--users",
                              self.server.users_file], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.split(), ["alice", "bob", "carol"])
        with open(self.server.users_file) as f:
            text = f.read()
        self.assertIn("carol:$argon2id$", text)
        self.assertNotIn("carol-password-3", text)
        self.assertEqual(os.stat(self.server.users_file).st_mode & 0o777, 0o600)
        # A second add of the same name is refused; a removed user is out at once.
        again = subprocess.run([server_support.SERVER, "user", "add", "carol", "--users",
                                self.server.users_file], capture_output=True, text=True,
                               env=dict(os.environ, COFFER_SERVER_USER_PASSWORD="other-pass-4"))
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("already exists", again.stderr)
        subprocess.run([server_support.SERVER, "user", "remove", "carol", "--users",
                        self.server.users_file], check=True, capture_output=True)
        self.assertEqual(self.server.request("GET", listing, user="carol",
                                             password="carol-password-3")[0], 401)


class UnauthenticatedUploadTest(ServerTestCase):
    def test_an_upload_without_login_is_refused_before_its_body_is_read(self):
        rss_before = self.server.peak_rss_kib()
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        # 512 MiB announced, a few bytes sent, and a request smuggled behind them.
        sock.sendall(b"PUT /alice/x/object HTTP/1.1\r\nHost: x\r\nContent-Length: 536870912\r\n"
                     b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(30)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        sock.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 401"), reply)
        self.assertIn(b"Connection: close", reply)
        self.assertEqual(reply.count(b"HTTP/1.1"), 1, "the smuggled request was answered")
        self.assertLess(self.server.peak_rss_kib() - rss_before, 64 * 1024)
        self.assertFalse(os.path.exists(os.path.join(self.server.store, "alice", "x")))


class RestartTest(ServerTestCase):
    def test_a_restart_loses_nothing(self):
        self.coffer(*INIT_ARGS)
        self.coffer("backup", self.source)
        before = hash_tree(self.server.store)
        self.assertEqual(self.server.stop(), 0)
        self.server.start(self.server.port)
        self.assertEqual(hash_tree(self.server.store), before)
        ids = self.snapshot_ids()
        self.assert_restores(ids[0], self.source)
        self.coffer("backup", self.source)
        self.coffer("check")


class GracefulStopTest(ServerTestCase):
    def test_sigterm_finishes_a_request_in_flight(self):
        body = os.urandom(4 << 20)
        import base64
        token = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        sock.sendall((f"PUT /alice/slow/object HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Basic {token}\r\nContent-Length: {len(body)}\r\n\r\n")
                     .encode() + body[: len(body) // 2])
        time.sleep(0.5)
        self.server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # No new connections once stopping.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.server.port), timeout=5).recv(1)
        sock.sendall(body[len(body) // 2:])
        reply = sock.recv(4096).decode()
        sock.close()
        self.assertTrue(reply.startswith("HTTP/1.1 201"), reply)
        self.assertEqual(self.server.proc.wait(timeout=30), 0)
        self.server.proc.stdout.close()
        self.server.proc = None
        with open(os.path.join(self.server.store, "alice", "slow", "object"), "rb") as f:
            self.assertEqual(f.read(), body)


class WriteOnlyKeyTest(ServerTestCase):
    def test_a_write_only_key_backs_up_but_cannot_read(self):
        self.coffer(*INIT_ARGS)
        self.coffer("backup", self.source)
        self.coffer("key", "add", "--write-only", "--kdf-memory", "1", "--kdf-ops", "1",
                    env=self.env(COFFER_NEW_PASSWORD="agent-write-only"))
        agent = self.env(password="agent-write-only")
        write_random_tree(os.path.join(self.source, "new"), random.Random(11), files=5)
        self.coffer("backup", self.source, env=agent)
        ids = self.snapshot_ids()
        self.assertEqual(len(ids), 2)
        for args in (("restore", ids[-1], "--target", os.path.join(self.tmp, "nope")),
                     ("ls", ids[-1]), ("forget", "--keep-last", "1"), ("prune",)):
            result = self.coffer(*args, env=agent, check=False)
            self.assertNotEqual(result.returncode, 0, args)
            self.assertIn("write-only", result.stderr, args)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "nope")))
        self.assert_restores(ids[-1], self.source)  # the full key reads it


class LoadTest(ServerTestCase):
    def test_four_agents_at_once_all_restore_and_memory_stays_bounded(self):
        agents = [("alice", "/alice/repo"), ("alice", "/alice/repo"), ("bob", "/bob/repo"),
                  ("bob", "/bob/other")]
        for user, path in {a: None for a in agents}:
            self.coffer(*INIT_ARGS, env=self.env(user=user, repo_path=path))
        sources = []
        for i in range(len(agents)):
            source = os.path.join(self.tmp, f"agent{i}")
            write_random_tree(source, random.Random(100 + i), files=40, max_size=600_000)
            sources.append(source)
        procs = [subprocess.Popen([COFFER, "backup", sources[i]], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  env=dict(self.env(user=u, repo_path=p),
                                           XDG_CACHE_HOME=os.path.join(self.tmp, f"cache{i}")))
                 for i, (u, p) in enumerate(agents)]
        peak = 0
        while any(p.poll() is None for p in procs):
            peak = max(peak, self.server.rss_kib())
            time.sleep(0.2)
        for p in procs:
            out, err = p.communicate()
            self.assertEqual(p.returncode, 0, err)
        peak = max(peak, self.server.peak_rss_kib())
        # About 45 MB went in; the server holds a few requests' bodies at most.
        self.assertLess(peak, 400 * 1024, f"server peak RSS {peak} KiB")
        print(f"\nload: 4 agents, server peak RSS {peak // 1024} MiB")
        for i, (user, path) in enumerate(agents):
            env = self.env(user=user, repo_path=path)
            snaps = json.loads(self.coffer("--json", "snapshots", env=env).stdout)
            mine = [s["id"] for s in snaps if sources[i] in s.get("paths", [])]
            self.assertEqual(len(mine), 1, snaps)
            self.assert_restores(mine[0], sources[i], env=env)


class KilledServerTest(ServerTestCase):
    def test_server_killed_mid_backup_then_the_next_backup_succeeds(self):
        self.coffer(*INIT_ARGS)
        big = os.path.join(self.tmp, "big")
        write_random_tree(big, random.Random(12), files=60, max_size=1_500_000)
        proc = subprocess.Popen([COFFER, "backup", big], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env())
        data_dir = os.path.join(self.server.store, "alice", "repo", "data")
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if os.path.isdir(data_dir) and sum(len(f) for _, _, f in os.walk(data_dir)) >= 3:
                break
            time.sleep(0.05)
        self.assertIsNone(proc.poll(), "the backup finished before the server could be killed")
        port = self.server.port
        self.server.kill()
        _, err = proc.communicate(timeout=300)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("coffer-server store", err)
        self.assertRegex(err.lower(), "connect|refused|unavailable|reset")
        self.server.start(port)
        self.coffer("backup", big)
        ids = self.snapshot_ids()
        self.assertEqual(len(ids), 1)
        self.assert_restores(ids[0], big)
        self.coffer("check")


if __name__ == "__main__":
    unittest.main()
