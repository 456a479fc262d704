"""Real object-storage servers for the tests, started on 127.0.0.1.

Each server comes from the npm registry (see ../shared/PEERS.md for why these
three): Azurite for Azure Blob, the @20minutes/s3rver fork for S3 (it checks
SigV4), and the storage emulator inside firebase-tools for GCS. Packages are
installed once into a cache folder ($COFFER_TEST_SERVER_CACHE, by default
~/.cache/coffer-test-servers) and reused; every start gets a fresh data
directory and a free port, waits until the server answers, and `stop()`
kills its whole process group.

A started server describes itself as environment variables, the same ones
a user would set (AWS_*, AZURE_STORAGE_*, STORAGE_EMULATOR_HOST), plus
COFFER_TEST_<KIND>_URL: a repository URL prefix for that server
(s3://bucket, azure://container, gs://bucket) under which tests add their
own unique prefix.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CACHE = os.environ.get("COFFER_TEST_SERVER_CACHE",
                       os.path.join(os.path.expanduser("~"), ".cache", "coffer-test-servers"))

# kind -> (cache sub-folder, npm package spec, file whose presence means installed)
PACKAGES = {
    "azure": ("azurite", "azurite@3.35.0", "node_modules/azurite/package.json"),
    "s3": ("s3rver", "@20minutes/s3rver@4.0.4", "node_modules/@20minutes/s3rver/package.json"),
    "gcs": ("gcs", "firebase-tools@15.34.2", "node_modules/firebase-tools/package.json"),
}

# Microsoft's published development-storage account (not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
               "KBHBeksoGMGw==")
S3RVER_KEY = "S3RVER"
TEST_BUCKET = "coffer-test"


def ensure_installed(kind):
    """Installs the npm package for `kind` into the cache unless it is there."""
    folder, spec, marker = PACKAGES[kind]
    root = os.path.join(CACHE, folder)
    if not os.path.exists(os.path.join(root, marker)):
        os.makedirs(root, exist_ok=True)
        print(f"installing {spec} into {root}", file=sys.stderr, flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", spec],
                       cwd=root, check=True, stdout=sys.stderr)
    return root


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(url, proc, log_path, timeout=60):
    """Waits until an HTTP request to `url` gets any answer (even an error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {read_tail(log_path)}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not answer in {timeout} s: {read_tail(log_path)}")


def read_tail(path, limit=2000):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-limit:]
    except OSError:
        return "(no log)"


class Server:
    def __init__(self, kind, proc, env, workdir, log_path, spawn_args, ready_url,
                 recover_after_crash=None):
        self.kind, self.proc, self.env, self.workdir, self.log_path = kind, proc, env, workdir, log_path
        self._spawn_args, self._ready_url = spawn_args, ready_url
        self._recover_after_crash = recover_after_crash
        self._crashed = False

    def restart(self):
        """Starts the server again on the same port and data (after kill/stop)."""
        self.stop()
        if self._crashed and self._recover_after_crash:
            self._recover_after_crash()
        self._crashed = False
        self.proc, self.log_path = _spawn(*self._spawn_args)
        wait_until_answering(self._ready_url, self.proc, self.log_path)

    def stop(self):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def kill(self):
        """SIGKILL, as a crashed server (for fault tests)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._crashed = True


def _spawn(kind, argv, cwd, workdir, env=None):
    log_path = os.path.join(workdir, f"{kind}.log")
    log = open(log_path, "ab")
    proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            env=dict(os.environ, **(env or {})))
    log.close()
    return proc, log_path


def start_azurite(workdir):
    root = ensure_installed("azure")
    port = free_port()
    data = os.path.join(workdir, "azurite-data")
    os.makedirs(data)
    args = ("azure", ["node", "node_modules/.bin/azurite-blob", "--blobHost", "127.0.0.1",
                      "--blobPort", str(port), "-l", data, "--disableTelemetry",
                      "-d", os.path.join(workdir, "azurite-debug.log")], root, workdir)
    proc, log = _spawn(*args)
    endpoint = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    wait_until_answering(endpoint, proc, log)
    env = {
        "AZURE_STORAGE_CONNECTION_STRING":
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={endpoint};",
        "COFFER_TEST_AZURE_URL": f"azure://{TEST_BUCKET}",
        "COFFER_TEST_AZURE_ENDPOINT": endpoint,
        "COFFER_TEST_AZURE_ACCOUNT": AZURITE_ACCOUNT,
        "COFFER_TEST_AZURE_KEY": AZURITE_KEY,
    }
    return Server("azure", proc, env, workdir, log, args, endpoint)


S3RVER_OBJECT_SUFFIX = "._S3rver_object"
S3RVER_METADATA_SUFFIX = "._S3rver_metadata.json"


def discard_torn_s3rver_objects(data_dir):
    """What a real object store's crash recovery does for s3rver.

    S3 makes a PUT visible all at once or not at all. s3rver streams the body
    into its object file and writes the metadata file afterwards, neither
    atomically, so a SIGKILL in the middle leaves a torn object: a partial body
    listed as if complete, or a half-written metadata file that makes every
    listing of its prefix fail with HTTP 500 forever. A complete PUT always
    ends with valid metadata, so objects without it never finished: remove
    them, as S3 would never have shown them."""
    for folder, _, names in os.walk(data_dir):
        for name in names:
            if not name.endswith(S3RVER_OBJECT_SUFFIX):
                continue
            stem = os.path.join(folder, name[:-len(S3RVER_OBJECT_SUFFIX)])
            try:
                with open(stem + S3RVER_METADATA_SUFFIX) as f:
                    json.load(f)
                continue
            except (OSError, ValueError):
                pass
            for suffix in (S3RVER_OBJECT_SUFFIX, S3RVER_OBJECT_SUFFIX + ".md5",
                           S3RVER_METADATA_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(stem + suffix)


S3RVER_CLI = "require('@20minutes/s3rver/lib/cli').parseAsync(process.argv)\n"


def start_s3rver(workdir):
    root = ensure_installed("s3")
    script = os.path.join(root, "start-s3rver.js")
    if not os.path.exists(script):
        with open(script, "w") as f:
            f.write(S3RVER_CLI)
    port = free_port()
    data = os.path.join(workdir, "s3rver-data")
    os.makedirs(data)
    args = ("s3", ["node", "--openssl-legacy-provider", script, "-d", data,
                   "-a", "127.0.0.1", "-p", str(port), "--configure-bucket", TEST_BUCKET],
            root, workdir)
    proc, log = _spawn(*args)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until_answering(endpoint, proc, log)
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": S3RVER_KEY,
        "AWS_SECRET_ACCESS_KEY": S3RVER_KEY,
        "AWS_REGION": "us-east-1",
        "COFFER_TEST_S3_URL": f"s3://{TEST_BUCKET}",
    }
    return Server("s3", proc, env, workdir, log, args, endpoint,
                  recover_after_crash=lambda: discard_torn_s3rver_objects(data))


GCS_LAUNCHER = r"""
// Starts only the Cloud Storage emulator of firebase-tools, without the Java
// rules engine (the GCS JSON API does not use it). Arguments: host port project.
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry');
const [host, port, projectId] = process.argv.slice(2);
const emulator = new StorageEmulator({ projectId, host, port: Number(port), rules: [],
                                       auto_download: false });
emulator._rulesRuntime.start = async () => {};
emulator._rulesManager.start = async () => {};
EmulatorRegistry.start(emulator).then(
  () => console.log(`storage emulator on ${host}:${port}`),
  (e) => { console.error(e); process.exit(1); });
"""


def start_gcs(workdir):
    root = ensure_installed("gcs")
    script = os.path.join(root, "start-storage-emulator.js")
    with open(script, "w") as f:
        f.write(GCS_LAUNCHER)
    port = free_port()
    args = ("gcs", ["node", script, "127.0.0.1", str(port), "coffer-test"], root, workdir,
            {"HOME": workdir})
    proc, log = _spawn(*args)
    endpoint = f"http://127.0.0.1:{port}"
    ready = f"{endpoint}/storage/v1/b/{TEST_BUCKET}/o"
    wait_until_answering(ready, proc, log)
    env = {
        "STORAGE_EMULATOR_HOST": endpoint,
        "COFFER_TEST_GCS_URL": f"gs://{TEST_BUCKET}",
    }
    return Server("gcs", proc, env, workdir, log, args, ready)


STARTERS = {"azure": start_azurite, "s3": start_s3rver, "gcs": start_gcs}


@contextlib.contextmanager
def running(*kinds):
    """Starts the given servers; yields {kind: Server}; stops them after."""
    workdir = tempfile.mkdtemp(prefix="coffer-servers-")
    servers = {}
    try:
        for kind in kinds:
            servers[kind] = STARTERS[kind](workdir)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def module_servers(*kinds):
    """Servers shared by every test of one unittest module.

    Returns (started, setUpModule, tearDownModule): assign the functions to
    those names at module level; `started` fills with {kind: Server} once the
    servers are up (before the first test) and they stop after the last."""
    started = {}
    context = running(*kinds)

    def set_up_module():
        started.update(context.__enter__())

    def tear_down_module():
        context.__exit__(None, None, None)

    return started, set_up_module, tear_down_module


if __name__ == "__main__":
    if sys.argv[1:] == ["--install"]:
        for kind in PACKAGES:
            print(f"{kind} server: {ensure_installed(kind)}")
    else:
        print("usage: servers.py --install   (installs every test server into the cache)",
              file=sys.stderr)
        sys.exit(2)
