#!/usr/bin/env python3
"""Runs a command with real storage servers started around it.

    with_servers.py s3 azure gcs -- unit_store_cloud "[s3]"

Starts each named server (see servers.py) on 127.0.0.1, runs the command with
the servers' environment variables added, stops the servers, and exits with
the command's exit code. With --keep-logs the servers' logs are printed when
the command fails.
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402


def main(argv):
    if "--" not in argv:
        print("usage: with_servers.py KIND... -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    split = argv.index("--")
    kinds, command = argv[:split], argv[split + 1:]
    unknown = [k for k in kinds if k not in servers.STARTERS]
    if unknown or not command:
        print(f"unknown server kind(s) {unknown}; known: {sorted(servers.STARTERS)}", file=sys.stderr)
        return 2
    with servers.running(*kinds) as started:
        env = dict(os.environ)
        for server in started.values():
            env.update(server.env)
        rc = subprocess.call(command, env=env)
        if rc != 0:
            for server in started.values():
                print(f"--- {server.kind} server log (tail) ---\n{servers.read_tail(server.log_path)}",
                      file=sys.stderr)
        workdir = next(iter(started.values())).workdir if started else None
    if workdir and rc == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
