"""Helpers for the control-plane tests: start coffer-console and agents on
127.0.0.1, and talk to the console's API as an administrator (cookie session
plus CSRF token) or as an agent (bearer credential)."""
import http.cookiejar
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

COFFER = os.environ.get("COFFER_BIN", "coffer")
CONSOLE = os.environ.get("COFFER_CONSOLE_BIN", os.path.join(os.path.dirname(COFFER), "coffer-console"))
ADMIN_PASSWORD = "console-admin-password-for-tests"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Console:
    """A coffer-console process with its database in `workdir`."""

    def __init__(self, workdir, port=None, extra_args=(), tls=False):
        self.workdir = workdir
        self.db = os.path.join(workdir, "console.db")
        self.port = port or free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(workdir, "console.log")

    def start(self):
        env = dict(os.environ, COFFER_CONSOLE_ADMIN_PASSWORD=ADMIN_PASSWORD)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([CONSOLE, "--listen", f"127.0.0.1:{self.port}", "--db", self.db,
                                      *self.extra_args], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"coffer-console exited {self.proc.returncode}: {self.read_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("coffer-console did not start listening")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.log.close()
        self.proc = None

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]


class HttpResult:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(self.body)


class Client:
    """HTTP with a cookie jar; remembers the CSRF token after login."""

    def __init__(self, base_url, bearer=None, ca_file=None):
        self.base = base_url
        self.jar = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar)]
        if ca_file:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_file)))
        self.opener = urllib.request.build_opener(*handlers)
        self.csrf = None
        self.bearer = bearer

    def request(self, method, path, body=None, csrf=True, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            req.add_header("X-CSRF-Token", self.csrf)
        if self.bearer:
            req.add_header("Authorization", "Bearer " + self.bearer)
        try:
            with self.opener.open(req, timeout=timeout) as res:
                return HttpResult(res.status, res.read().decode(), dict(res.headers))
        except urllib.error.HTTPError as e:
            return HttpResult(e.code, e.read().decode(), dict(e.headers))

    def login(self, password=ADMIN_PASSWORD):
        r = self.request("POST", "/api/v1/login", {"password": password})
        if r.status == 200:
            self.csrf = r.json()["csrf_token"]
        return r

    def ok(self, method, path, body=None, timeout=30):
        r = self.request(method, path, body, timeout=timeout)
        if r.status >= 300:
            raise AssertionError(f"{method} {path} -> {r.status}: {r.body}")
        return r.json() if r.body and r.headers.get("Content-Type", "").startswith("application/json") else r.body


class Agent:
    """An enrolled agent: its config file and, while running, its process."""

    def __init__(self, workdir, name, console_url, token, password_file, extra_env=None,
                 extra_args=()):
        self.dir = os.path.join(workdir, "agent-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.name = name
        self.config = os.path.join(self.dir, "agent.json")
        self.env = dict(os.environ, XDG_CACHE_HOME=os.path.join(self.dir, "cache"), **(extra_env or {}))
        self.env.pop("COFFER_PASSWORD", None)
        self.env.pop("COFFER_REPOSITORY", None)
        r = subprocess.run([COFFER, "agent", "--config", self.config, "enroll", "--console", console_url,
                            "--token", token, "--host", name, "--password-file", password_file,
                            "--cache-dir", os.path.join(self.dir, "cache"), *extra_args],
                           env=self.env, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"agent enroll failed ({r.returncode}): {r.stderr}")
        with open(self.config) as f:
            self.settings = json.load(f)
        self.proc = None
        self.log_path = os.path.join(self.dir, "agent.log")

    @property
    def credential(self):
        return self.settings["credential"]

    @property
    def agent_id(self):
        return self.settings["agent_id"]

    def queue_path(self):
        return os.path.join(self.settings["state_dir"], "reports.jsonl")

    def queued_reports(self):
        try:
            with open(self.queue_path()) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([COFFER, "agent", "--config", self.config, "run"], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]


def wait_for(predicate, timeout, what, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
