"""Runs a command next to a coffer-server started for it:
    with_coffer_server.py [--tls] [--append-only] -- COMMAND ARGS...
The command sees COFFER_TEST_SERVER_URL (http(s)://127.0.0.1:PORT/alice),
COFFER_HTTP_USER / COFFER_HTTP_PASSWORD for user alice and, with --tls,
COFFER_CACERT naming the test's own CA certificate."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_support  # noqa: E402


def main(argv):
    tls = "--tls" in argv[: argv.index("--")]
    append_only = "--append-only" in argv[: argv.index("--")]
    command = argv[argv.index("--") + 1:]
    workdir = server_support.temp_workdir()
    server = server_support.CofferServer(workdir, users={"alice": "alice-password-1"}, tls=tls,
                                         append_only=append_only, extra=["--no-access-log"])
    try:
        server.start(0)
        env = server.client_env(os.environ, "alice", "alice-password-1")
        env["COFFER_TEST_SERVER_URL"] = server.url("/alice")
        rc = subprocess.run(command, env=env).returncode
        stop_rc = server.stop()
        if stop_rc != 0:
            print(f"coffer-server exited {stop_rc} on SIGTERM", file=sys.stderr)
            rc = rc or 1
        return rc
    finally:
        if server.proc:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
