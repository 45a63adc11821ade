#!/usr/bin/env python3
"""Heartbeat load: N teachers each watch a video, sending one heartbeat every 15 s, against the app under
gunicorn with the production settings. Afterwards every teacher's 学时 ledger is checked against what their
player honestly covered (the positions the server acknowledged), to the second; latency percentiles, errors
and rejections are printed.

    python bench/heartbeats.py                                  # 2,000 teachers x 60 s, SQLite (WAL)
    python bench/heartbeats.py --teachers 2000 --duration 300
    python scripts/with_postgres.py sh -c 'python bench/heartbeats.py --database-url "$TEST_DATABASE_URL"'

Teachers start at random moments within the first interval, so the load is spread as in real life
(2,000 / 15 s ≈ 133 heartbeats per second). Raw HTTP/1.1 helpers are shared with bench/exam_load.py.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.exam_load import (Http, add_server_arguments, describe_server, free_port,  # noqa: E402
                              gunicorn_command, pct, wait_for)
from bench.server import _children, _process_cpu  # noqa: E402


def setup(app, teachers: int, duration: float) -> tuple[int, dict[str, str]]:
    """Create one approved video longer than the run and ``teachers`` teachers with API tokens."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app.auth import services as auth
    from app.catalog.models import Profession
    from app.extensions import db
    from app.media.models import MediaFile, Video

    with app.app_context():
        upgrade()
        profession = db.session.scalars(select(Profession)).first()
        if profession is None:
            profession = Profession(key="bench", name="压测专业")
            db.session.add(profession)
            db.session.flush()
        stamp = int(time.time())
        file = MediaFile(storage_key=f"bench/{stamp}.mp4", original_name="bench.mp4", kind="video", format="mp4",
                         mime="video/mp4", size=1, sha256=f"{stamp:064d}")
        db.session.add(file)
        db.session.flush()
        video = Video(title="压测视频", profession_id=profession.id, file_id=file.id, duration=duration * 4 + 600,
                      width=64, height=48, codec="h264", review_state="approved")
        db.session.add(video)
        tokens = {}
        for i in range(teachers):
            user = auth.create_user(username=f"hb{i:05d}-{stamp}", roles=["teacher"], full_name=f"教师{i}")
            _record, tokens[user.username] = auth.issue_api_token(user, "bench")
        db.session.commit()
        return video.id, tokens


class Stats:
    def __init__(self):
        self.latency: list[float] = []
        #: latencies of heartbeats sent while every teacher was watching (after the ramp, before the first left)
        self.steady: list[float] = []
        self.t0 = time.perf_counter()
        self.errors: list[str] = []
        self.rejected: dict[str, int] = {}
        #: token -> seconds the server's rule owes: for consecutive accepted beats, min(position advance,
        #: server time between them) — computed from the positions sent and the server's ``now`` answers.
        self.expected: dict[str, float] = {}


async def teacher(http: Http, video_id: int, token: str, args, stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(rng.uniform(0, max(args.ramp, args.interval)))
    status, body, _t = await http.request("POST", f"/api/v1/videos/{video_id}/watch-sessions", token, {})
    if status != 201:
        stats.errors.append(f"start {status}")
        return
    sid = body["watch_session_id"]
    start = time.perf_counter()
    seq = 0
    end = start + args.duration
    last = None  # (position, server time) of the last accepted beat
    stats.expected[token] = 0.0
    while True:
        seq += 1
        position = time.perf_counter() - start  # a 1x player started at 0
        sent = time.perf_counter() - stats.t0
        status, body, elapsed = await http.request(
            "POST", f"/api/v1/videos/{video_id}/heartbeat", token,
            {"watch_session_id": sid, "position": position, "playing": True, "rate": 1.0, "seq": seq})
        stats.latency.append(elapsed)
        if max(args.ramp, args.interval) <= sent <= args.duration:
            stats.steady.append(elapsed)
        if status != 200:
            stats.errors.append(f"heartbeat {status}")
        elif body["reason"] != "ok":
            stats.rejected[body["reason"]] = stats.rejected.get(body["reason"], 0) + 1
            if body["reason"] in ("jump", "rate", "concurrent"):  # the server restarts its baseline there
                last = (position, datetime.fromisoformat(body["now"]))
        else:
            server_now = datetime.fromisoformat(body["now"])
            if last is not None:
                stats.expected[token] += min(position - last[0], (server_now - last[1]).total_seconds())
            last = (position, server_now)
        if time.perf_counter() + args.interval > end:
            return
        await asyncio.sleep(args.interval)


def verify(app, stats: Stats, tokens: dict) -> tuple[int, float]:
    """Compare each teacher's ledger with what the rule owes them (positions sent, server times answered);
    returns (teachers off by more than one second, the largest difference)."""
    from sqlalchemy import func, select

    from app.auth.models import User
    from app.certification.models import CreditHourEntry
    from app.extensions import db

    by_token = {token: name for name, token in tokens.items()}
    with app.app_context():
        rows = dict(db.session.execute(
            select(User.username, func.coalesce(func.sum(CreditHourEntry.seconds), 0.0))
            .join(CreditHourEntry, CreditHourEntry.user_id == User.id, isouter=True)
            .where(User.username.in_(list(tokens))).group_by(User.username)).all())
    off, worst = 0, 0.0
    for token, name in by_token.items():
        diff = abs((rows.get(name) or 0.0) - stats.expected.get(token, 0.0))
        worst = max(worst, diff)
        off += diff > 1.0
    return off, worst


async def warm_up(port: int, token: str) -> None:
    """Wait until gunicorn's workers answer (they import the app after the port is bound)."""
    http = Http("127.0.0.1", port)
    deadline = time.perf_counter() + 120
    answered = 0
    while time.perf_counter() < deadline and answered < 10:
        try:
            status, _b, _t = await http.request("POST", "/api/v1/videos/0/watch-sessions", token, {})
            answered += status == 404
        except OSError:
            pass
        await asyncio.sleep(0.3)


async def drive(port: int, video_id: int, tokens: dict, args) -> Stats:
    http, stats = Http("127.0.0.1", port), Stats()
    await asyncio.gather(*(teacher(http, video_id, token, args, stats, n) for n, token in enumerate(tokens.values())))
    return stats


def _server_cpu(pid: int) -> float:
    return sum(_process_cpu(p) for p in [pid, *_children(pid)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Video heartbeat load against gunicorn.")
    parser.add_argument("--teachers", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=60, help="seconds each teacher watches")
    parser.add_argument("--interval", type=float, default=15)
    parser.add_argument("--ramp", type=float, default=15,
                        help="teachers start at random moments within this many seconds (at least one interval); "
                             "with --duration longer than --ramp, all of them watch at once in between")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file (WAL)")
    add_server_arguments(parser)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="gx-hb-")
    url = args.database_url or "sqlite:///" + os.path.join(tmp, "load.db")
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    env = dict(os.environ, GX_CONFIG="production", SECRET_KEY=os.urandom(24).hex(), DATABASE_URL=url,
               GX_INSTANCE_PATH=tmp, RATELIMIT_STORAGE_URI="sqlitefile://" + os.path.join(tmp, "ratelimit.db"))
    os.environ.update({k: env[k] for k in ("GX_CONFIG", "SECRET_KEY", "DATABASE_URL", "GX_INSTANCE_PATH",
                                           "RATELIMIT_STORAGE_URI")})
    from app import create_app

    app = create_app()
    t = time.perf_counter()
    video_id, tokens = setup(app, args.teachers, args.duration)
    print(f"set-up: {args.teachers} teachers with tokens ({time.perf_counter() - t:.1f} s); "
          f"database {url.split('@')[-1]}")
    port = free_port()
    server = subprocess.Popen(gunicorn_command(args, port), cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_for(port)
        asyncio.run(warm_up(port, next(iter(tokens.values()))))
        time.sleep(2)  # let the slower worker finish importing before CPU is counted
        load_before = os.getloadavg()
        cpu_before = _server_cpu(server.pid)
        t = time.perf_counter()
        stats = asyncio.run(drive(port, video_id, tokens, args))
        wall = time.perf_counter() - t
        # CPU of gunicorn's processes: steadier than latency when other work shares the machine.
        server_cpu = _server_cpu(server.pid) - cpu_before
        load_after = os.getloadavg()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    off, worst = verify(app, stats, tokens)
    n = len(stats.latency)
    print(f"ran {wall:.0f} s: {n} heartbeats ({n / max(wall, 1e-9):.0f}/s), {describe_server(args)}")
    print(f"  heartbeat p50 {pct(stats.latency, 50):.1f} ms  p90 {pct(stats.latency, 90):.1f} ms  "
          f"p99 {pct(stats.latency, 99):.1f} ms  max {pct(stats.latency, 100):.1f} ms")
    if stats.steady:
        print(f"  while all {args.teachers} watched at once ({len(stats.steady)} heartbeats): "
              f"p50 {pct(stats.steady, 50):.1f} ms  p90 {pct(stats.steady, 90):.1f} ms  "
              f"p99 {pct(stats.steady, 99):.1f} ms  max {pct(stats.steady, 100):.1f} ms")
    print(f"  server CPU (gunicorn master + workers) during the run: {server_cpu:.1f} s for {n} heartbeats and "
          f"{args.teachers} session starts = {server_cpu / max(n + args.teachers, 1) * 1000:.2f} ms per request")
    print(f"  load average at start {load_before[0]:.2f}, at end {load_after[0]:.2f} "
          f"({os.cpu_count()} CPUs; the load generator runs on the same machine)")
    print(f"errors: {len(stats.errors)}" + (f" (first: {stats.errors[:3]})" if stats.errors else ""))
    print(f"rejected: {stats.rejected or 'none'}")
    print(f"ledger vs expected credit (min of position advance and server time between accepted beats): {off} teachers off by more than 1 s (largest difference {worst:.3f} s)")
    print(f"p99 {'under' if pct(stats.latency, 99) < 100 else 'OVER'} 100 ms (all heartbeats)"
          + (f"; {'under' if pct(stats.steady, 99) < 100 else 'OVER'} 100 ms while all watched"
             if stats.steady else ""))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if not stats.errors and not off else 1


if __name__ == "__main__":
    sys.exit(main())
