#!/usr/bin/env python3
"""Run a command against a throw-away PostgreSQL 15 server.

Starts ``initdb``/``pg_ctl`` from PATH (or /usr/lib/postgresql/*/bin) in a temporary folder on 127.0.0.1 and a
free port, creates a database, runs the command with ``TEST_DATABASE_URL`` set, then stops the server and
removes the folder. ``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user.
Exit status is the command's; with CI=true a missing PostgreSQL is a failure, elsewhere it is skipped loudly.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: with_postgres.py COMMAND...", file=sys.stderr)
        return 2
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if not initdb or not pg_ctl:
        if os.environ.get("CI") == "true":
            print("PostgreSQL server binaries (initdb, pg_ctl) not found: the PostgreSQL leg cannot run.",
                  file=sys.stderr)
            return 1
        print("SKIPPED PostgreSQL leg: initdb/pg_ctl not found (install postgresql-15).", file=sys.stderr)
        return 0
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    tmp = tempfile.mkdtemp(prefix="gx-pg-")
    data = os.path.join(tmp, "data")
    if as_root:
        shutil.chown(tmp, "postgres", "postgres")
        os.chmod(tmp, 0o700)
    port = free_port()
    log = os.path.join(tmp, "server.log")
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    try:
        subprocess.run(prefix + [initdb, "-D", data, "-U", "gx", "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        opts = f"-h 127.0.0.1 -p {port} -k {tmp} -c fsync=off -c synchronous_commit=off -c full_page_writes=off " \
               f"-c max_connections=200"
        subprocess.run(prefix + [pg_ctl, "-D", data, "-l", log, "-o", opts, "-w", "-t", "60", "start"], check=True,
                       stdout=subprocess.DEVNULL, env=env)
        createdb = find_bin("createdb")
        subprocess.run(prefix + [createdb, "-h", "127.0.0.1", "-p", str(port), "-U", "gx", "gongxue_test"],
                       check=True, env=env)
        url = f"postgresql+psycopg://gx@127.0.0.1:{port}/gongxue_test"
        print(f"PostgreSQL leg: {url}", file=sys.stderr)
        child_env = dict(os.environ, TEST_DATABASE_URL=url, PG_ADMIN_URL=f"postgresql+psycopg://gx@127.0.0.1:{port}/postgres")
        return subprocess.call(argv, env=child_env)
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        time.sleep(0.2)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
