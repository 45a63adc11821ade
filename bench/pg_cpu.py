"""Run a command and report the CPU time the PostgreSQL server of ``TEST_DATABASE_URL`` used meanwhile.

``python scripts/with_postgres.py python -m bench.pg_cpu -- python bench/exam_load.py --database-url
"$TEST_DATABASE_URL" ...``: the load scripts report the app server's CPU per request; this adds the database's,
so that docs/capacity.md can say which of the two saturates first. The server's CPU is the postmaster's own and
its reaped children's (``cutime``/``cstime``: backends that ended) plus its live children's, read from /proc on
the same machine (the server must be local, as with_postgres.py starts it).
"""
from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, text


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def server_cpu_seconds(postmaster: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    fields = _stat(postmaster)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime
    try:
        with open(f"/proc/{postmaster}/task/{postmaster}/children") as fh:
            children = [int(p) for p in fh.read().split()]
    except OSError:
        children = []
    for pid in children:
        try:
            child = _stat(pid)
        except OSError:
            continue
        total += int(child[11]) + int(child[12])
    return total / ticks


def postmaster_pid(url: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        folder = conn.execute(text("SELECT setting FROM pg_settings WHERE name = 'data_directory'")).scalar_one()
    engine.dispose()
    with open(os.path.join(folder, "postmaster.pid")) as fh:
        return int(fh.readline())


def main(argv: list[str]) -> int:
    """``[--after PREFIX] -- COMMAND...``: with ``--after``, count from the first output line starting with PREFIX
    (the load scripts print ``set-up: ...`` when their data is ready), so that set-up work is left out."""
    marker, label = None, ""
    if argv[:1] == ["--after"]:
        marker, argv = argv[1], argv[2:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    pid = postmaster_pid(os.environ["TEST_DATABASE_URL"])
    before = server_cpu_seconds(pid)
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, bufsize=1)
    for line in child.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if marker and line.startswith(marker):
            before, marker, label = server_cpu_seconds(pid), None, f" after {line.split()[0].rstrip(':')}"
    code = child.wait()
    used = server_cpu_seconds(pid) - before
    print(f"PostgreSQL server CPU during the command{label}: {used:.1f} s")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
