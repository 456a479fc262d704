"""The coffer-console web UI in headless Chromium (Debian's chromium,
driven by playwright-core from the npm registry): log in, create a policy,
assign it, see a job succeed, browse a snapshot and restore from it. The
screenshots are kept in $COFFER_TEST_ARTIFACTS/console (default: a
test-artifacts folder in the working directory)."""
import os
import random
import shutil
import subprocess
import tempfile
import unittest

from cli_support import tree_differences, write_random_tree
from console_support import COFFER, Agent, Client, Console, ADMIN_PASSWORD

CACHE = os.environ.get("COFFER_TEST_SERVER_CACHE",
                       os.path.join(os.path.expanduser("~"), ".cache", "coffer-test-servers"))
PLAYWRIGHT_DIR = os.path.join(CACHE, "playwright")
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
REPO_PASSWORD = "browser-test-repository-password"


def ensure_playwright():
    """Installs playwright-core (without its browser download) into the cache."""
    marker = os.path.join(PLAYWRIGHT_DIR, "node_modules", "playwright-core", "package.json")
    if not os.path.exists(marker):
        os.makedirs(PLAYWRIGHT_DIR, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                        "playwright-core@1"], cwd=PLAYWRIGHT_DIR, check=True,
                       env=dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1"))
    return os.path.join(PLAYWRIGHT_DIR, "node_modules")


class ConsoleBrowserTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(CHROMIUM),
                        f"no Chromium at {CHROMIUM}: apt-get install chromium (see .ci/install-deps)")
        self.node_modules = ensure_playwright()
        self.tmp = tempfile.mkdtemp(prefix="coffer-console-ui-")
        self.artifacts = os.path.join(os.environ.get("COFFER_TEST_ARTIFACTS", "test-artifacts"), "console")
        os.makedirs(self.artifacts, exist_ok=True)
        for old in os.listdir(self.artifacts):  # screenshots of an earlier run
            if old.endswith(".png"):
                os.remove(os.path.join(self.artifacts, old))
        self.repo = os.path.join(self.tmp, "repo")
        self.pw = os.path.join(self.tmp, "pw")
        with open(self.pw, "w") as f:
            f.write(REPO_PASSWORD + "\n")
        subprocess.run([COFFER, "-r", self.repo, "init", "--kdf-memory", "8", "--kdf-ops", "1"],
                       env=dict(os.environ, COFFER_PASSWORD=REPO_PASSWORD), check=True,
                       capture_output=True)
        self.console = Console(self.tmp).start()
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.stop()
        self.console.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_administrator_workflow_in_the_browser(self):
        data = os.path.join(self.tmp, "data", "projects")
        write_random_tree(data, random.Random(3), files=25, max_size=200_000)
        admin = Client(self.console.url)
        admin.login()
        token = admin.ok("POST", "/api/v1/tokens", {"label": "workstation"})["token"]
        self.agent = Agent(self.tmp, "workstation", self.console.url, token, self.pw).start()
        restore_dir = os.path.join(self.tmp, "restored")
        env = dict(os.environ, NODE_PATH=self.node_modules, CONSOLE_URL=self.console.url,
                   ADMIN_PASSWORD=ADMIN_PASSWORD, DATA_DIR=data, RESTORE_DIR=restore_dir,
                   ARTIFACTS=os.path.abspath(self.artifacts), REPOSITORY=self.repo,
                   CHROMIUM=CHROMIUM, AGENT_NAME="workstation")
        # An ES module resolves packages from its own folder upwards, not
        # NODE_PATH: run a copy that sits next to node_modules.
        script = os.path.join(PLAYWRIGHT_DIR, "console_browser.mjs")
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "console_browser.mjs"), script)
        r = subprocess.run(["node", script], env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, f"browser test failed:\n{r.stdout}\n{r.stderr}\n"
                         f"agent log:\n{self.agent.read_log()}\nconsole log:\n{self.console.read_log()}")
        picked = [line.split(" ", 1)[1] for line in r.stdout.splitlines() if line.startswith("RESTORED ")][0]
        restored = os.path.join(restore_dir, os.path.relpath(picked, "/"))
        self.assertEqual(tree_differences(picked, restored), [])
        for name in ("dashboard", "browse", "restore"):
            self.assertTrue(os.path.getsize(os.path.join(self.artifacts, name + ".png")) > 10_000)


if __name__ == "__main__":
    unittest.main()
