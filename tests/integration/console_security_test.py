"""coffer-console security: no API without login (401), CSRF, login
throttling, agent credentials confined to the agent API, revoked agents
refused, and a database that holds no secrets."""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from console_support import ADMIN_PASSWORD, CONSOLE, Agent, Client, Console

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


if __name__ == "__main__":
    unittest.main()
