"""coffer-console security: no API without login (401), CSRF, login
throttling, agent credentials confined to the agent API, revoked agents
refused, and a database that holds no secrets."""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

from console_support import ADMIN_PASSWORD, COFFER, CONSOLE, Agent, Client, Console, wait_for

REPO_PASSWORD = "repository-password-never-on-the-console"


class ConsoleSecurityTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coffer-console-sec-")
        self.console = Console(self.tmp).start()
        self.admin = Client(self.console.url)
        self.assertEqual(self.admin.login().status, 200)

    def tearDown(self):
        self.console.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_api_without_login_is_401(self):
        anonymous = Client(self.console.url)
        for method, path in [("GET", "/api/v1/agents"), ("GET", "/api/v1/dashboard"),
                             ("GET", "/api/v1/policies"), ("POST", "/api/v1/policies"),
                             ("GET", "/api/v1/jobs"), ("POST", "/api/v1/tokens"),
                             ("GET", "/api/v1/reports/jobs.csv"), ("POST", "/api/v1/restores"),
                             ("GET", "/api/v1/agents/1/snapshots"), ("GET", "/api/v1/agent/poll"),
                             ("POST", "/api/v1/agent/reports")]:
            r = anonymous.request(method, path, {} if method == "POST" else None)
            self.assertEqual(r.status, 401, f"{method} {path}: {r.body}")
        # The login page and enrollment do not need a session.
        self.assertEqual(anonymous.request("GET", "/").status, 200)
        self.assertEqual(anonymous.request("POST", "/api/v1/agent/enroll", {"token": "nope"}).status, 403)

    def test_state_changes_need_the_csrf_token(self):
        r = self.admin.request("POST", "/api/v1/tokens", {"label": "x"}, csrf=False)
        self.assertEqual(r.status, 403, r.body)
        self.assertIn("CSRF", r.body)
        self.assertEqual(self.admin.request("POST", "/api/v1/tokens", {"label": "x"}).status, 201)

    def test_session_cookie_is_httponly_and_samesite(self):
        c = Client(self.console.url)
        r = c.login()
        cookie = r.headers.get("Set-Cookie", "")
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)

    def test_wrong_passwords_are_throttled(self):
        c = Client(self.console.url)
        statuses = [c.login("wrong-password").status for _ in range(7)]
        self.assertEqual(statuses[:5], [401] * 5)
        self.assertEqual(statuses[5:], [429, 429])
        # Even the right password waits until the block ends.
        r = c.login()
        self.assertEqual(r.status, 429)
        self.assertIn("Retry-After", r.headers)
        metrics = Client(self.console.url).request("GET", "/metrics").body
        self.assertIn("coffer_console_login_failures_total 5", metrics)

    def enroll(self, name):
        token = self.admin.ok("POST", "/api/v1/tokens", {"label": name})["token"]
        pw = os.path.join(self.tmp, "pw")
        with open(pw, "w") as f:
            f.write(REPO_PASSWORD + "\n")
        return Agent(self.tmp, name, self.console.url, token, pw), token

    def test_tokens_work_once(self):
        agent, token = self.enroll("once")
        r = Client(self.console.url).request("POST", "/api/v1/agent/enroll", {"token": token, "host": "again"})
        self.assertEqual(r.status, 403)
        self.assertIn("used already", r.body)

    def test_agent_credentials_cannot_call_administrator_endpoints(self):
        agent, _ = self.enroll("web-01")
        as_agent = Client(self.console.url, bearer=agent.credential)
        self.assertEqual(as_agent.request("GET", "/api/v1/agent/poll?wait=0").status, 200)
        for method, path in [("GET", "/api/v1/agents"), ("GET", "/api/v1/dashboard"),
                             ("POST", "/api/v1/tokens"), ("POST", f"/api/v1/agents/{agent.agent_id}/revoke"),
                             ("GET", "/api/v1/reports/storage.csv")]:
            r = as_agent.request(method, path, {} if method == "POST" else None)
            self.assertEqual(r.status, 401, f"{method} {path}: {r.body}")

    def test_revoked_agents_are_refused(self):
        agent, _ = self.enroll("laptop")
        as_agent = Client(self.console.url, bearer=agent.credential)
        self.assertEqual(as_agent.request("GET", "/api/v1/agent/poll?wait=0").status, 200)
        self.admin.ok("POST", f"/api/v1/agents/{agent.agent_id}/revoke")
        r = as_agent.request("GET", "/api/v1/agent/poll?wait=0")
        self.assertEqual(r.status, 403)
        self.assertIn("revoked", r.body)
        self.assertEqual(as_agent.request("POST", "/api/v1/agent/reports", {"reports": []}).status, 403)
        # The daemon itself gives up with a message and exit code 1.
        agent.start()
        agent.proc.wait(timeout=60)
        agent.log.close()
        agent.proc, code = None, agent.proc.returncode
        self.assertEqual(code, 1)
        self.assertIn("revoked", agent.read_log())

    def test_policies_are_validated_by_the_library_and_hold_no_credentials(self):
        r = self.admin.request("POST", "/api/v1/policies",
                               {"name": "bad", "paths": ["/x"], "retention": {"keep_dayly": 3}})
        self.assertEqual(r.status, 400)
        self.assertIn("keep_daily", r.body)  # the library's "did you mean"
        r = self.admin.request("POST", "/api/v1/policies",
                               {"name": "leaky", "paths": ["/x"], "repository": "s3://KEY:SECRET@host/b"})
        self.assertEqual(r.status, 400)
        self.assertIn("credentials", r.body)

    def test_the_database_holds_no_secrets(self):
        agent, token = self.enroll("db-check")
        self.admin.ok("POST", "/api/v1/policies", {"name": "p", "paths": ["/srv"], "repository": "/r"})
        self.console.stop()  # flush the WAL into the database file
        blobs = b""
        for path in glob.glob(self.console.db + "*"):
            with open(path, "rb") as f:
                blobs += f.read()
        self.assertGreater(len(blobs), 0)
        for secret in [ADMIN_PASSWORD, agent.credential, token, REPO_PASSWORD]:
            self.assertNotIn(secret.encode(), blobs, f"the database contains a secret ({secret[:6]}...)")
        self.assertIn(b"$argon2id$", blobs)  # the administrator password, hashed

    def test_a_generated_admin_password_is_printed_once(self):
        tmp = tempfile.mkdtemp(dir=self.tmp)
        env = {k: v for k, v in os.environ.items() if k != "COFFER_CONSOLE_ADMIN_PASSWORD"}
        proc = subprocess.Popen([CONSOLE, "--listen", "127.0.0.1:0", "--db",
                                 os.path.join(tmp, "console.db")], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stderr.readline()
            self.assertIn("administrator password is", line)
            password = line.split("is ", 1)[1].split()[0]
            port = int(proc.stdout.readline().rsplit(":", 1)[1])
            self.assertEqual(Client(f"http://127.0.0.1:{port}").login(password).status, 200)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()


    def test_https_is_verified_and_cookies_are_secure(self):
        tmp = tempfile.mkdtemp(dir=self.tmp)
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        console = Console(tmp, extra_args=["--tls-cert", cert, "--tls-key", key], tls=True).start()
        try:
            admin = Client(console.url, ca_file=cert)
            r = admin.login()
            self.assertEqual(r.status, 200)
            self.assertIn("Secure", r.headers.get("Set-Cookie", ""))
            pw = os.path.join(tmp, "pw")
            with open(pw, "w") as f:
                f.write("x\n")
            # Without the CA the agent refuses the console's certificate.
            token = admin.ok("POST", "/api/v1/tokens", {"label": "tls"})["token"]
            with self.assertRaises(AssertionError) as refused:
                Agent(tmp, "untrusting", console.url, token, pw)
            self.assertIn("certificate", str(refused.exception).lower())
            agent = Agent(tmp, "trusting", console.url, token, pw, extra_args=["--ca-file", cert])
            agent.start()
            try:
                wait_for(lambda: "no policy assigned" in agent.read_log(), 30, "the agent's first poll")
            finally:
                agent.stop()
        finally:
            console.kill()

    def test_agents_behind_their_schedule_are_overdue(self):
        tmp = tempfile.mkdtemp(dir=self.tmp)
        console = Console(tmp, extra_args=["--overdue-grace", "1"]).start()
        try:
            admin = Client(console.url)
            admin.login()
            policy = admin.ok("POST", "/api/v1/policies", {
                "name": "minutely", "paths": ["/nonexistent"], "repository": "/nowhere",
                "schedule": {"cron": "* * * * *"}})
            token = admin.ok("POST", "/api/v1/tokens", {"label": "idle", "policy_id": policy["id"]})["token"]
            pw = os.path.join(tmp, "pw")
            with open(pw, "w") as f:
                f.write("x\n")
            Agent(tmp, "idle", console.url, token, pw)  # enrolled, never runs
            agent = admin.ok("GET", "/api/v1/agents")[0]
            self.assertEqual(agent["policy_name"], "minutely")
            self.assertFalse(agent["overdue"])
            dash = wait_for(lambda: (lambda d: d if d["agents"]["overdue"] == 1 else None)(
                admin.ok("GET", "/api/v1/dashboard")), 75, "the idle agent to be overdue")
            self.assertEqual(dash["overdue_agents"][0]["name"], "idle")
            self.assertIn("coffer_console_agents_overdue 1", Client(console.url).request("GET", "/metrics").body)
        finally:
            console.kill()

    def test_policy_changes_reach_the_agent_at_once(self):
        agent, _ = self.enroll("follower")
        as_agent = Client(self.console.url, bearer=agent.credential)
        first = as_agent.request("GET", "/api/v1/agent/poll?wait=0").json()
        self.assertIsNone(first["policy"])
        policy = self.admin.ok("POST", "/api/v1/policies", {"name": "docs", "paths": ["/srv/docs"]})
        self.admin.ok("PUT", f"/api/v1/agents/{agent.agent_id}", {"policy_id": policy["id"]})
        second = as_agent.request("GET", f"/api/v1/agent/poll?wait=0&policy_tag={first['policy_tag']}").json()
        self.assertEqual(second["policy"]["paths"], ["/srv/docs"])
        # An edit wakes a waiting poll: it returns well before its 20 s.
        threading.Timer(0.5, lambda: self.admin.ok("PUT", f"/api/v1/policies/{policy['id']}",
                                                   {"name": "docs", "paths": ["/srv/docs", "/srv/www"]})).start()
        r = as_agent.request("GET", f"/api/v1/agent/poll?wait=20&policy_tag={second['policy_tag']}").json()
        self.assertEqual(r["policy"]["paths"], ["/srv/docs", "/srv/www"])
        self.assertEqual(self.admin.ok("GET", "/api/v1/policies")[0]["version"], 2)
        self.admin.ok("DELETE", f"/api/v1/policies/{policy['id']}")
        r = as_agent.request("GET", f"/api/v1/agent/poll?wait=0&policy_tag={r['policy_tag']}").json()
        self.assertIsNone(r["policy"])


    def test_an_agent_with_a_write_only_key_backs_up_and_leaves_retention_alone(self):
        # The repository's full password stays with the administrator; the
        # agent's password opens a write-only key slot.
        repo = os.path.join(self.tmp, "wo-repo")
        src = os.path.join(self.tmp, "wo-src")
        os.makedirs(src)
        with open(os.path.join(src, "a.txt"), "w") as f:
            f.write("write-only agents can add backups\n" * 1000)
        env = dict(os.environ, COFFER_PASSWORD="the-full-password", COFFER_NEW_PASSWORD=REPO_PASSWORD,
                   XDG_CACHE_HOME=os.path.join(self.tmp, "cache"))
        fast = ("--kdf-memory", "1", "--kdf-ops", "1")
        subprocess.run([COFFER, "-q", "-r", repo, "init", *fast], env=env, check=True)
        subprocess.run([COFFER, "-q", "-r", repo, "key", "add", "--write-only", *fast], env=env, check=True)
        agent, _ = self.enroll("write-only")
        policy = self.admin.ok("POST", "/api/v1/policies", {
            "name": "wo", "paths": [src], "repository": repo, "retention": {"keep_last": 1}})
        self.admin.ok("PUT", f"/api/v1/agents/{agent.agent_id}", {"policy_id": policy["id"]})
        agent.start()
        try:
            for _ in range(2):
                run = self.admin.ok("POST", f"/api/v1/agents/{agent.agent_id}/run", {"kind": "backup"})
                done = wait_for(lambda: (lambda j: j if j["state"] in ("succeeded", "failed") else None)(
                    self.admin.ok("GET", "/api/v1/jobs/" + run["job_id"])), 120, "the backup job")
                self.assertEqual(done["state"], "succeeded", done)
            jobs = self.admin.ok("GET", f"/api/v1/jobs?agent={agent.agent_id}&limit=1000")
            self.assertEqual([j for j in jobs if j["state"] == "failed"], [], jobs)
            self.assertEqual([j for j in jobs if j["kind"] == "forget"], [], "retention ran with a write-only key")
        finally:
            agent.stop()
        # Both snapshots are there (keep_last 1 was not applied by the agent).
        listed = subprocess.run([COFFER, "--json", "-r", repo, "snapshots"], env=env, check=True,
                                capture_output=True, text=True).stdout
        self.assertEqual(len(json.loads(listed)), 2)

    def test_a_job_cut_short_by_a_crash_is_reported_failed(self):
        agent, _ = self.enroll("crashed")
        # As the state file is when the agent dies in the middle of a backup.
        os.makedirs(agent.settings["state_dir"], exist_ok=True)
        job_id = "0123456789abcdef0123456789abcdef"
        with open(os.path.join(agent.settings["state_dir"], "state.json"), "w") as f:
            json.dump({"current_job": {"id": job_id, "kind": "backup", "trigger": "schedule",
                                       "started_ns": 1}}, f)
        agent.start()
        try:
            job = wait_for(lambda: (lambda r: r.json() if r.status == 200 else None)(
                self.admin.request("GET", "/api/v1/jobs/" + job_id)), 30, "the cut-short job")
            self.assertEqual(job["state"], "failed")
            self.assertIn("stopped during the job", job["error"])
        finally:
            agent.stop()
        with open(os.path.join(agent.settings["state_dir"], "state.json")) as f:
            self.assertIsNone(json.load(f)["current_job"])


if __name__ == "__main__":
    unittest.main()
