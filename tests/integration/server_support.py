"""Starts and stops a real coffer-server on 127.0.0.1 for tests: users made
with `coffer-server user add`, an optional TLS certificate made with openssl,
the port taken from the server's "listening on" line."""
import base64
import hashlib
import os
import re
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

SERVER = os.environ.get("COFFER_SERVER_BIN", "coffer-server")


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1; returns (cert, key) paths."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=120)
    return cert, key


def add_user(users_file, name, password):
    subprocess.run([SERVER, "user", "add", name, "--users", users_file], check=True,
                   capture_output=True, text=True, timeout=120,
                   env=dict(os.environ, COFFER_SERVER_USER_PASSWORD=password))


def hash_tree(root):
    """{relative path: sha256} of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            path = os.path.join(d, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


class CofferServer:
    """One coffer-server process. `users` maps name -> password (None: no
    --users file); the store is a directory, kept across restart()."""

    def __init__(self, workdir, users=None, append_only=False, tls=False, extra=()):
        self.workdir = workdir
        self.store = os.path.join(workdir, "server-store")
        os.makedirs(self.store, exist_ok=True)
        self.users = users
        self.users_file = None
        if users is not None:
            self.users_file = os.path.join(workdir, "users")
            for name, password in users.items():
                add_user(self.users_file, name, password)
        self.append_only = append_only
        self.cert = self.key = None
        if tls:
            self.cert, self.key = make_certificate(workdir)
        self.extra = list(extra)
        self.proc = None
        self.port = 0
        self.log_path = os.path.join(workdir, "server.log")

    @property
    def scheme(self):
        return "https" if self.cert else "http"

    def url(self, path=""):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def start(self, port=None):
        args = [SERVER, "--listen", f"127.0.0.1:{port if port is not None else self.port}",
                "--store", self.store, *self.extra]
        if self.users_file:
            args += ["--users", self.users_file]
        if self.append_only:
            args.append("--append-only")
        if self.cert:
            args += ["--tls-cert", self.cert, "--tls-key", self.key]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
        log.close()
        line = self.proc.stdout.readline().decode()
        match = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", line)
        if not match:
            self.proc.kill()
            self.proc.wait()
            with open(self.log_path, errors="replace") as f:
                raise RuntimeError(f"coffer-server did not start: {line!r}\n{f.read()}")
        self.port = int(match.group(1))
        # The access log goes on being read so the pipe never fills up.
        self.access_log = []
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        self.wait_ready()
        return self

    def _read_log(self):
        for raw in self.proc.stdout:
            self.access_log.append(raw.decode(errors="replace"))

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                status, _, _ = self.request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("coffer-server did not answer /healthz")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        port = self.port
        self.stop()
        return self.start(port)

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.cert) if self.cert else None

    def request(self, method, path, body=None, user=None, password=None, headers=None):
        """(status, body bytes, headers) of one raw HTTP request."""
        req = urllib.request.Request(self.url(path), data=body, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if user is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(req, timeout=60, context=self.ssl_context()) as resp:
                return resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def client_env(self, env, user, password):
        """`env` with what the coffer CLI needs to reach this server as `user`."""
        out = dict(env, COFFER_HTTP_USER=user, COFFER_HTTP_PASSWORD=password)
        if self.cert:
            out["COFFER_CACERT"] = self.cert
        return out

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def peak_rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0


def temp_workdir():
    return tempfile.mkdtemp(prefix="coffer-server-test-")
