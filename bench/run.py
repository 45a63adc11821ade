"""Run benchmark scenarios and print one table per scenario.

    python -m bench.run                 # every scenario
    python -m bench.run users import    # some of them
    python -m bench.run --list

Results are also appended to bench/out/results-<UTC timestamp>.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone

from bench.scenarios import Context, load

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")


def _machine() -> str:
    return f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}"


def main(argv=None) -> int:
    scenarios = load()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="scenario", help=f"one of: {', '.join(scenarios)}")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk measurement")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/real rounds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"],
                        help="gunicorn worker class (production runs sync workers behind nginx)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="database for HTTP scenarios (default: bench/out/national.db, generated once)")
    args = parser.parse_args(argv)
    if args.list:
        for s in scenarios.values():
            print(f"{s.name:10s} {s.description}")
        return 0
    unknown = [n for n in args.names if n not in scenarios]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(scenarios)}")
    names = args.names or list(scenarios)
    ctx = Context(seconds=args.seconds, connections=args.connections, rounds=args.rounds, workers=args.workers,
                  threads=args.threads, worker_class=args.worker_class, database_url=args.database_url,
                  log=lambda text: print(text, file=sys.stderr, flush=True))
    os.makedirs(OUT, exist_ok=True)
    stamp = datetime.now(timezone.utc)
    report = os.path.join(OUT, f"results-{stamp:%Y%m%d-%H%M%S}.md")
    header = f"## Bench run {stamp:%Y-%m-%d %H:%M} UTC\n\nMachine: {_machine()}\n"
    print(header)
    with open(report, "a", encoding="utf-8") as fh:
        fh.write(header + "\n")
    failed = []
    for name in names:
        ctx.log(f"== {name}: {scenarios[name].description}")
        started, load_before = time.perf_counter(), os.getloadavg()[0]
        try:
            tables = scenarios[name].run(ctx)
        except Exception as exc:  # noqa: BLE001  (report it, run the other scenarios)
            failed.append(name)
            text = f"### {name}: FAILED\n\n{type(exc).__name__}: {exc}\n"
            tables = []
            print(text)
            with open(report, "a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        for table in tables:
            # This machine may be shared: the load average tells how far absolute figures can be trusted.
            table.note(f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
                       f"on {os.cpu_count()} CPUs")
            text = table.render()
            print(text, flush=True)
            with open(report, "a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        ctx.log(f"   ({name} took {time.perf_counter() - started:.0f} s)")
    print(f"results written to {os.path.relpath(report)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
