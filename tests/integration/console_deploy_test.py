"""Deploying an agent with the command the console shows for a new token:
`curl -fsSL CONSOLE/install.sh | sudo sh -s -- --token T`. The test runs that
exact command (without sudo, with --prefix TMP and --no-service): the script
downloads coffer and libcoffer from the console, checks their SHA-256,
installs them, enrolls; the installed program runs from its prefix and its
`agent run` backs up for the console. A reused token, a tampered download and
an unreachable console each fail with a clear message and a non-zero exit."""
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest

from cli_support import write_random_tree
from console_support import COFFER, CONSOLE, Client, Console, wait_for

REPO_PASSWORD = "deploy-repository-password"


class ConsoleDeployTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coffer-console-deploy-")
        self.repo = os.path.join(self.tmp, "repo")
        self.pw = os.path.join(self.tmp, "repo-password")
        with open(self.pw, "w") as f:
            f.write(REPO_PASSWORD + "\n")
        subprocess.run([COFFER, "-r", self.repo, "init", "--kdf-memory", "8", "--kdf-ops", "1"],
                       env=dict(os.environ, COFFER_PASSWORD=REPO_PASSWORD), check=True,
                       capture_output=True)
        self.data = os.path.join(self.tmp, "data")
        write_random_tree(self.data, random.Random(11), files=10, max_size=20_000)
        # The "new machine": no COFFER_* settings, its own cache.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
        self.env["XDG_CACHE_HOME"] = os.path.join(self.tmp, "machine-cache")
        self.console = None
        self.agent = None

    def tearDown(self):
        if self.agent and self.agent.poll() is None:
            self.agent.terminate()
            try:
                self.agent.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.agent.kill()
                self.agent.wait()
        if self.console:
            self.console.kill()
        if os.environ.get("COFFER_KEEP_TEST_DIR"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def start_console(self, *args):
        self.console = Console(self.tmp, extra_args=args).start()
        admin = Client(self.console.url)
        self.assertEqual(admin.login().status, 200)
        return admin

    def machine_args(self, name):
        """Options a test adds after the shown command: a private prefix, no
        systemd, config and state under the test directory."""
        root = os.path.join(self.tmp, "machine-" + name)
        return root, (f" --prefix {root}/prefix --no-service --config {root}/etc/agent.json"
                      f" --state-dir {root}/state --password-file {self.pw} --host {name}")

    def sh(self, command, timeout=300):
        return subprocess.run(["sh", "-c", command], env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def test_the_shown_command_installs_enrolls_and_the_agent_backs_up(self):
        admin = self.start_console()
        policy = admin.ok("POST", "/api/v1/policies", {"name": "deployed", "paths": [self.data],
                                                       "repository": self.repo})
        token = admin.ok("POST", "/api/v1/tokens", {"label": "new machine", "policy_id": policy["id"]})
        self.assertTrue(token["install_available"])
        self.assertEqual(token["command"], f"curl -fsSL {self.console.url}/install.sh | sudo sh -s -- "
                                           f"--token {token['token']}")
        self.assertNotIn("command_private_ca", token)  # plain HTTP: no CA to pass

        # The exact command, run without sudo, into a prefix of its own.
        root, extra = self.machine_args("fresh-host")
        command = token["command"].replace("| sudo sh", "| sh") + extra
        r = self.sh(command)
        self.assertEqual(r.returncode, 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        self.assertIn("downloaded coffer (SHA-256 verified)", r.stdout)
        self.assertIn("libcoffer.so.0", r.stdout)
        installed = os.path.join(root, "prefix", "bin", "coffer")
        self.assertIn(f"{installed} agent --config {root}/etc/agent.json run", r.stdout)

        # The installed program runs, with the library installed beside it.
        version = subprocess.run([installed, "--version"], env=self.env, capture_output=True,
                                 text=True, check=True).stdout
        self.assertRegex(version, r"^coffer \d+\.\d+\.\d+")
        ldd = subprocess.run(["ldd", installed], capture_output=True, text=True, check=True).stdout
        lib = re.search(r"libcoffer\.so\.0 => (\S+)", ldd)
        self.assertIsNotNone(lib, ldd)
        self.assertTrue(os.path.realpath(lib.group(1)).startswith(os.path.join(root, "prefix", "lib")),
                        ldd)

        # Enrolled: the console lists it with its policy.
        with open(os.path.join(root, "etc", "agent.json")) as f:
            config = json.load(f)
        agent = admin.ok("GET", f"/api/v1/agents/{config['agent_id']}")
        self.assertEqual(agent["host"], "fresh-host")
        self.assertEqual(agent["policy_name"], "deployed")
        self.assertIn("fresh-host", [a["host"] for a in admin.ok("GET", "/api/v1/agents")])

        # The daemon as the script said to start it; a backup the console sees.
        log = open(os.path.join(self.tmp, "agent.log"), "wb")
        self.agent = subprocess.Popen([installed, "agent", "--config", f"{root}/etc/agent.json", "run"],
                                      env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: admin.ok("GET", f"/api/v1/agents/{config['agent_id']}")["online"], 30,
                 "the deployed agent to poll")
        job = admin.ok("POST", f"/api/v1/agents/{config['agent_id']}/run", {"kind": "backup"})
        done = wait_for(lambda: (lambda j: j if j["state"] in ("succeeded", "failed") else None)(
            admin.ok("GET", "/api/v1/jobs/" + job["job_id"])), 120, "the backup job")
        self.assertEqual(done["state"], "succeeded", done)
        self.assertEqual(done["agent"], "fresh-host")
        snaps = json.loads(subprocess.run(
            [COFFER, "-r", self.repo, "--json", "snapshots", "--host", "fresh-host"],
            env=dict(os.environ, COFFER_PASSWORD=REPO_PASSWORD), capture_output=True, text=True,
            check=True).stdout)
        self.assertEqual([s["id"] for s in snaps], [done["snapshot_id"]])
        self.agent.terminate()
        self.agent.wait(timeout=60)
        log.close()

        # The same command again: the token is used up. Clear error, exit 1.
        root2, extra2 = self.machine_args("second-host")
        r = self.sh(token["command"].replace("| sudo sh", "| sh") + extra2)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("the console refused the enrollment", r.stderr)
        self.assertIn("coffer-install: error: enrollment failed", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(root2, "etc", "agent.json")))
        self.assertEqual(len(admin.ok("GET", "/api/v1/agents")), 1)

    @unittest.skipUnless(os.geteuid() == 0, "the service is installed only by root")
    def test_as_root_on_systemd_the_service_unit_is_installed_and_started(self):
        admin = self.start_console()
        token = admin.ok("POST", "/api/v1/tokens", {"label": "service"})
        # A scratch systemd root and a systemctl that records its calls.
        root = os.path.join(self.tmp, "machine-service")
        sysroot = os.path.join(root, "sysroot")
        os.makedirs(os.path.join(sysroot, "run", "systemd", "system"))
        os.makedirs(os.path.join(sysroot, "etc", "systemd", "system"))
        fake_bin = os.path.join(root, "fake-bin")
        os.makedirs(fake_bin)
        calls = os.path.join(root, "systemctl.calls")
        with open(os.path.join(fake_bin, "systemctl"), "w") as f:
            f.write(f'#!/bin/sh\necho "$*" >> {calls}\n')
        os.chmod(os.path.join(fake_bin, "systemctl"), 0o755)
        env = dict(self.env, COFFER_INSTALL_SYSTEMD_ROOT=sysroot,
                   PATH=fake_bin + os.pathsep + self.env["PATH"])
        command = (token["command"].replace("| sudo sh", "| sh") +
                   f" --prefix {root}/prefix --config {root}/etc/agent.json --state-dir {root}/state"
                   f" --password-file {self.pw} --host service-host")
        r = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        self.assertIn("the coffer-agent service is running", r.stdout)
        with open(calls) as f:
            self.assertEqual(f.read().split("\n")[:3], ["daemon-reload", "enable coffer-agent.service",
                                                        "restart coffer-agent.service"])
        with open(os.path.join(sysroot, "etc", "systemd", "system", "coffer-agent.service")) as f:
            unit = f.read()
        exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
        self.assertEqual(exec_start, f"{root}/prefix/bin/coffer agent --config {root}/etc/agent.json run")
        self.assertIn("WantedBy=multi-user.target", unit)
        # What systemd would start runs and reaches the console.
        self.agent = subprocess.Popen(exec_start.split(), env=self.env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        with open(os.path.join(root, "etc", "agent.json")) as f:
            agent_id = json.load(f)["agent_id"]
        wait_for(lambda: admin.ok("GET", f"/api/v1/agents/{agent_id}")["online"], 30,
                 "the service's agent to poll")

    def test_https_with_a_private_ca(self):
        cert, key = os.path.join(self.tmp, "cert.pem"), os.path.join(self.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        self.console = Console(self.tmp, extra_args=["--tls-cert", cert, "--tls-key", key],
                               tls=True).start()
        admin = Client(self.console.url, ca_file=cert)
        self.assertEqual(admin.login().status, 200)
        token = admin.ok("POST", "/api/v1/tokens", {"label": "tls"})
        self.assertEqual(token["command_private_ca"],
                         f"curl -fsSL --cacert ca.pem {self.console.url}/install.sh | sudo sh -s -- "
                         f"--token {token['token']} --cacert ca.pem")
        root, extra = self.machine_args("tls-host")
        os.makedirs(root)
        shutil.copy(cert, os.path.join(root, "ca.pem"))  # "copy the CA certificate to the machine"
        # Without the CA, curl refuses the certificate (and nothing is installed).
        r = subprocess.run(["sh", "-c", token["command"].replace("| sudo sh", "| sh") + extra],
                           cwd=root, env=self.env, capture_output=True, text=True, timeout=120)
        self.assertIn("certificate", r.stderr.lower())
        self.assertFalse(os.path.exists(os.path.join(root, "prefix", "bin", "coffer")))
        r = subprocess.run(["sh", "-c", token["command_private_ca"].replace("| sudo sh", "| sh") + extra],
                           cwd=root, env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        with open(os.path.join(root, "etc", "agent.json")) as f:
            config = json.load(f)
        self.assertEqual(config["ca_file"], os.path.join(root, "ca.pem"))
        self.assertEqual(admin.ok("GET", f"/api/v1/agents/{config['agent_id']}")["host"], "tls-host")

    def test_a_tampered_download_or_an_absent_console_installs_nothing(self):
        # A distribution directory of its own (--agent-dist), so it can be changed.
        dist = os.path.join(self.tmp, "dist")
        os.makedirs(os.path.join(dist, "lib"))
        shutil.copy2(COFFER, os.path.join(dist, "coffer"))
        lib = os.path.realpath(os.path.join(os.path.dirname(os.path.realpath(COFFER)), "..",
                                            "libcoffer.so.0"))
        shutil.copy2(lib, os.path.join(dist, "lib", os.path.basename(lib)))
        os.symlink(os.path.basename(lib), os.path.join(dist, "lib", "libcoffer.so.0"))
        admin = self.start_console("--agent-dist", dist)
        token = admin.ok("POST", "/api/v1/tokens", {"label": "tampered"})
        script = os.path.join(self.tmp, "install.sh")
        first = Client(self.console.url).request("GET", "/install.sh")
        self.assertEqual(first.status, 200)
        self.assertTrue(first.body.startswith("#!/bin/sh"))
        with open(script, "w") as f:
            f.write(first.body)

        # The program changes after the script (with its sums) was fetched,
        # as a machine in the middle would change it.
        with open(os.path.join(dist, "coffer"), "ab") as f:
            f.write(b"\0tampered")
        root, extra = self.machine_args("tampered")
        r = self.sh(f"sh {script} --token {token['token']}" + extra)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("coffer-install: error: checksum mismatch for coffer", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(root, "prefix", "bin", "coffer")))
        self.assertIsNone(admin.ok("GET", "/api/v1/tokens")[0]["used_by_agent"])
        # The console notices the change: a fresh script carries the new sum.
        sums = lambda body: re.search(r"^COFFER_SHA256=(\w+)$", body, re.M).group(1)
        self.assertNotEqual(sums(first.body), sums(Client(self.console.url).request("GET", "/install.sh").body))

        # The console is gone: the download fails, exit 1, nothing installed.
        self.console.kill()
        r = self.sh(f"sh {script} --token {token['token']}" + extra)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"coffer-install: error: download failed: {self.console.url}/agent/coffer", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(root, "prefix", "bin", "coffer")))

        # No token: usage and exit 1. A wrong --agent-dist stops the console.
        r = self.sh(f"sh {script}")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--token TOKEN is required", r.stderr)
        r = subprocess.run([CONSOLE, "--listen", "127.0.0.1:0", "--db", os.path.join(self.tmp, "x.db"),
                            "--agent-dist", os.path.join(self.tmp, "nowhere")],
                           env=dict(os.environ, COFFER_CONSOLE_ADMIN_PASSWORD="x" * 16),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--agent-dist: no coffer program in", r.stderr)


if __name__ == "__main__":
    unittest.main()
