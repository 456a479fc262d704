"""The control plane end to end: coffer-console, two `coffer agent run`
processes and a local repository on 127.0.0.1. Both agents are enrolled and
get a policy with a one-minute schedule; their backups run and the dashboard's
numbers match the repository's own statistics; a restore requested from the
console (to the other agent) reproduces the tree; and with the console
killed, the agents keep backing up and their queued reports arrive after it
restarts."""
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

from cli_support import tree_differences, write_random_tree
from console_support import COFFER, Agent, Client, Console, wait_for

REPO_PASSWORD = "e2e-repository-password"


class ConsoleEndToEndTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coffer-console-e2e-")
        self.repo = os.path.join(self.tmp, "repo")
        self.pw = os.path.join(self.tmp, "repo-password")
        with open(self.pw, "w") as f:
            f.write(REPO_PASSWORD + "\n")
        env = dict(os.environ, COFFER_PASSWORD=REPO_PASSWORD)
        subprocess.run([COFFER, "-r", self.repo, "init", "--kdf-memory", "8", "--kdf-ops", "1",
                        "--chunk-min", "16", "--chunk-avg", "64", "--chunk-max", "256"],
                       env=env, check=True, capture_output=True)
        self.console = Console(self.tmp).start()
        self.agents = []

    def tearDown(self):
        for a in self.agents:
            a.stop()
        self.console.kill()
        if os.environ.get("COFFER_KEEP_TEST_DIR"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def cli_stats(self, host):
        r = subprocess.run([COFFER, "-r", self.repo, "--json", "stats", "--host", host],
                           env=dict(os.environ, COFFER_PASSWORD=REPO_PASSWORD),
                           capture_output=True, text=True, check=True)
        return json.loads(r.stdout)

    def jobs(self, admin, agent, kind="backup", state="succeeded"):
        return [j for j in admin.ok("GET", f"/api/v1/jobs?agent={agent.agent_id}&limit=1000")
                if j["kind"] == kind and j["state"] == state]

    def test_fleet_backs_up_on_schedule_restores_and_survives_a_console_outage(self):
        admin = Client(self.console.url)
        self.assertEqual(admin.login().status, 200)
        rng = random.Random(7)
        sources = {}
        shared = rng.randbytes(300_000)  # the same file on both machines: deduplicated
        for name in ("alpha", "beta"):
            src = os.path.join(self.tmp, "data-" + name)
            write_random_tree(src, rng, files=20, max_size=60_000)
            with open(os.path.join(src, "shared.bin"), "wb") as f:
                f.write(shared)
            sources[name] = src
            policy = admin.ok("POST", "/api/v1/policies", {
                "name": "every-minute-" + name, "paths": [src], "repository": self.repo,
                "excludes": ["*.tmp"],
                "schedule": {"cron": "* * * * *", "time_zone": "UTC"},
                "retention": {"keep_last": 20}})
            token = admin.ok("POST", "/api/v1/tokens", {"label": name})
            self.assertIn("/install.sh | sudo sh -s -- --token " + token["token"], token["command"])
            self.assertIn("coffer agent enroll --console", token["enroll_command"])
            agent = Agent(self.tmp, name, self.console.url, token["token"], self.pw)
            admin.ok("PUT", f"/api/v1/agents/{agent.agent_id}", {"policy_id": policy["id"]})
            self.agents.append(agent.start())
        alpha, beta = self.agents

        listed = {a["name"]: a for a in admin.ok("GET", "/api/v1/agents")}
        self.assertEqual(set(listed), {"alpha", "beta"})
        self.assertTrue(listed["alpha"]["policy_name"].startswith("every-minute"))

        # The one-minute schedule fires: a scheduled backup per agent.
        for a in self.agents:
            wait_for(lambda a=a: self.jobs(admin, a), 150,
                     f"a scheduled backup of {a.name}\n{a.read_log()}")
        job = self.jobs(admin, alpha)[0]
        self.assertEqual(job["trigger"], "schedule")
        self.assertIn("files", job["summary"]["text"])

        # Dashboard numbers equal the repository's statistics for each host.
        def storage_matches():
            dash = admin.ok("GET", "/api/v1/dashboard")
            by_agent = {s["agent"]: s for s in dash["storage"]}
            for a in self.agents:
                s = by_agent.get(a.name)
                if s is None:
                    return False
                cli = self.cli_stats(a.name)
                if s["snapshots"] != cli["snapshots"]:
                    return False  # a backup ran in between: ask again
                # (repository_bytes is the whole repository's size: the other
                # agent's backups change it between two samples.)
                for key in ("logical_bytes", "unique_bytes", "stored_bytes"):
                    self.assertEqual(s[key], cli[key], f"{a.name}: {key}")
                self.assertAlmostEqual(s["dedup_ratio"], cli["dedup_ratio"], places=6)
            return dash
        dash = wait_for(storage_matches, 90, "dashboard storage equal to coffer stats")
        self.assertEqual(dash["last_24h"]["success_rate"], 1.0)
        self.assertEqual(dash["agents"]["online"], 2)
        self.assertEqual(dash["agents"]["overdue"], 0)

        # Browse through the agent: snapshots and a directory, each within a second.
        t0 = time.monotonic()
        snaps = admin.ok("GET", f"/api/v1/agents/{alpha.agent_id}/snapshots")
        self.assertLess(time.monotonic() - t0, 1.0)
        mine = [s for s in snaps if s["host"] == "alpha"]
        self.assertTrue(mine)
        t0 = time.monotonic()
        nodes = admin.ok("GET", f"/api/v1/agents/{alpha.agent_id}/browse?snapshot={mine[-1]['id']}"
                         f"&path={sources['alpha']}")
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertIn("shared.bin", [n["name"] for n in nodes])

        # Restore alpha's snapshot onto beta (same repository), then compare.
        target = os.path.join(self.tmp, "restored")
        started = admin.ok("POST", "/api/v1/restores", {
            "source_agent_id": alpha.agent_id, "target_agent_id": beta.agent_id,
            "snapshot": mine[-1]["id"], "paths": [sources["alpha"]], "target": target})
        done = wait_for(lambda: (lambda j: j if j["state"] in ("succeeded", "failed") else None)(
            admin.ok("GET", "/api/v1/jobs/" + started["job_id"])), 60, "the restore job")
        self.assertEqual(done["state"], "succeeded", done)
        self.assertEqual(done["agent"], "beta")
        restored = os.path.join(target, os.path.relpath(sources["alpha"], "/"))
        self.assertEqual(tree_differences(sources["alpha"], restored), [])

        # A new machine that has never backed up can receive a restore as soon
        # as it has its policy: it reports the repository it reaches.
        token = admin.ok("POST", "/api/v1/tokens", {"label": "gamma"})
        policy = admin.ok("POST", "/api/v1/policies", {"name": "replacement", "paths": ["/nonexistent"],
                                                       "repository": self.repo})
        gamma = Agent(self.tmp, "gamma", self.console.url, token["token"], self.pw)
        admin.ok("PUT", f"/api/v1/agents/{gamma.agent_id}", {"policy_id": policy["id"]})
        self.agents.append(gamma.start())
        wait_for(lambda: admin.ok("GET", f"/api/v1/agents/{gamma.agent_id}")["repo_id"]
                 == admin.ok("GET", f"/api/v1/agents/{alpha.agent_id}")["repo_id"], 30,
                 f"gamma to report its repository\n{gamma.read_log()}")
        target = os.path.join(self.tmp, "restored-on-gamma")
        started = admin.ok("POST", "/api/v1/restores", {
            "source_agent_id": alpha.agent_id, "target_agent_id": gamma.agent_id,
            "snapshot": mine[-1]["id"], "paths": [sources["alpha"]], "target": target})
        done = wait_for(lambda: (lambda j: j if j["state"] in ("succeeded", "failed") else None)(
            admin.ok("GET", "/api/v1/jobs/" + started["job_id"])), 60, "the restore on gamma")
        self.assertEqual(done["state"], "succeeded", done)
        self.assertEqual(tree_differences(
            sources["alpha"], os.path.join(target, os.path.relpath(sources["alpha"], "/"))), [])
        gamma.stop()
        self.agents.remove(gamma)
        admin.ok("POST", f"/api/v1/agents/{gamma.agent_id}/revoke")  # retired again

        # A check requested from the console runs on the agent as a job.
        check = admin.ok("POST", f"/api/v1/agents/{alpha.agent_id}/run", {"kind": "check"})
        done = wait_for(lambda: (lambda j: j if j["state"] in ("succeeded", "failed") else None)(
            admin.ok("GET", "/api/v1/jobs/" + check["job_id"])), 120, "the check job")
        self.assertEqual(done["state"], "succeeded", done)
        self.assertIn("repository is healthy", done["summary"]["text"])

        # CSV reports list the jobs.
        csv = admin.ok("GET", f"/api/v1/reports/jobs.csv?agent={alpha.agent_id}")
        self.assertIn("backup,succeeded,schedule", csv)

        # Console down: the agents keep to their schedule and queue reports.
        known = {j["id"] for a in self.agents for j in self.jobs(admin, a)}
        self.console.kill()
        for a in self.agents:
            wait_for(lambda a=a: any(r.get("type") == "job" and r["job"].get("state") == "succeeded"
                                     and r["job"].get("kind") == "backup" for r in a.queued_reports()),
                     150, f"{a.name} to back up and queue reports while the console is down\n{a.read_log()}")
        queued = {r["job"]["id"] for a in self.agents for r in a.queued_reports()
                  if r.get("type") == "job" and r["job"].get("kind") == "backup"
                  and r["job"].get("state") == "succeeded"}
        self.assertTrue(queued - known)

        # An agent restarted meanwhile keeps its queue and its last policy.
        alpha.stop()
        self.assertTrue(alpha.queued_reports())
        alpha.start()
        wait_for(lambda: 'last known policy: every-minute-alpha' in alpha.read_log(), 30,
                 "alpha to start with its last known policy")

        self.console.start()
        admin = Client(self.console.url)
        self.assertEqual(admin.login().status, 200)
        wait_for(lambda: not any(a.queued_reports() for a in self.agents), 60, "queues to drain")
        arrived = {j["id"] for a in self.agents for j in self.jobs(admin, a)}
        self.assertLessEqual(queued, arrived)

        metrics = Client(self.console.url).request("GET", "/metrics").body
        self.assertIn("coffer_console_agents 2", metrics)


if __name__ == "__main__":
    unittest.main()
