#!/usr/bin/env python3
"""Exam load: N students autosave every few seconds for a while, then all submit within a window, against the
app under gunicorn with the production settings. Afterwards every attempt is checked against the last answer
each student had acknowledged (zero lost answers), and latency percentiles and errors are printed.

    python bench/exam_load.py                                   # 200 students x 60 s, SQLite (WAL)
    python bench/exam_load.py --students 300 --duration 60      # a quick check
    python bench/exam_load.py --students 1000 --duration 300    # the issue's full scenario
    python scripts/with_postgres.py sh -c 'python bench/exam_load.py --database-url "$TEST_DATABASE_URL"'

The client is plain asyncio with raw HTTP/1.1 (one short connection per request, like a browser whose
keep-alive expired between autosaves), so the load generator costs the server's two cores little.
Students and their API tokens are created through the services before the server starts.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

QUESTION_MIX = ["single_choice"] * 8 + ["multiple_choice"] * 4 + ["true_false"] * 4 + ["fill_blank"] * 2 + [
    "numerical"] * 2


# -- set-up through the services ------------------------------------------------------------------------------------

def sample_data(qtype: str, n: int) -> dict:
    return {
        "single_choice": {"options": [{"text": f"选项{k}{n}", "fraction": 1 if k == "A" else 0} for k in "ABCD"]},
        "multiple_choice": {"options": [{"text": f"选项{k}{n}", "fraction": 0.5 if k in "AB" else 0}
                                        for k in "ABCD"]},
        "true_false": {"answer": n % 2 == 0},
        "fill_blank": {"blanks": [{"answers": ["扭矩"]}, {"answers": ["Nm"]}]},
        "numerical": {"answers": [{"value": 9.81, "tolerance": 0.01, "fraction": 1}]},
    }[qtype]


def setup(app, students: int, time_limit: int) -> tuple[int, dict[str, str]]:
    """Create a bank, an exam of 20 questions and ``students`` students with tokens; returns (exam id, tokens)."""
    from flask_migrate import upgrade

    from app.auth import services as auth
    from app.exams import services as exams
    from app.extensions import db
    from app.questions import services as questions

    with app.app_context():
        upgrade()
        bank = questions.create_bank(key=f"load-{int(time.time())}", name="压测题库")
        paper = exams.create_paper(title="压测试卷")
        created = []
        for n, qtype in enumerate(QUESTION_MIX):
            fields = questions.prepare_fields(qtype, text=f"<p>压测第{n + 1}题</p>", data=sample_data(qtype, n),
                                              points=5)
            created.append(questions.create_question(bank, fields))
        # Only reviewed questions go on papers (凡编必审).
        questions.approve_pending(bank, auth.create_user(username=f"load-reviewer-{bank.id}", roles=["reviewer"],
                                                         full_name="审核"))
        for q in created:
            exams.add_paper_question(paper, q, 5)
        exam = exams.create_exam(paper=paper, title="压测考试", time_limit_minutes=time_limit, shuffle_options=True)
        tokens = {}
        for i in range(students):
            user = auth.create_user(username=f"load{i:05d}-{exam.id}", roles=["student"], full_name=f"考生{i}")
            exams.grant_access(exam, user)
            _record, tokens[user.username] = auth.issue_api_token(user, "load")
        db.session.commit()
        return exam.id, tokens


# -- raw HTTP/1.1 over asyncio streams --------------------------------------------------------------------------------

class Http:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    async def request(self, method: str, path: str, token: str, body=None) -> tuple[int, dict, float]:
        """One request on a fresh connection; returns (status, json body, seconds)."""
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
                f"Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                f"Connection: close\r\n\r\n").encode()
        start = time.perf_counter()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(head + payload)
            await writer.drain()
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = None
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            data = await (reader.readexactly(length) if length is not None else reader.read())
        finally:
            writer.close()
        elapsed = time.perf_counter() - start
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {"raw": data[:200].decode("utf-8", "replace")}
        return status, parsed, elapsed


# -- one simulated student ------------------------------------------------------------------------------------------

def make_response(item: dict, rng: random.Random):
    kind = item["type"]
    keys = [o["key"] for o in item.get("options") or []]
    if kind == "single_choice":
        return rng.choice(keys)
    if kind == "multiple_choice":
        return sorted(rng.sample(keys, rng.randint(1, len(keys))))
    if kind == "true_false":
        return rng.random() < 0.5
    if kind == "fill_blank":
        return [rng.choice(["扭矩", "力矩", "Nm", "牛米"]) for _ in range(item["blanks"])]
    if kind == "numerical":
        return round(rng.uniform(9.7, 9.9), 3)
    return None


class Stats:
    def __init__(self):
        self.latency = {"start": [], "save": [], "submit": []}
        #: (moment sent, seconds) of every autosave, and when the last start finished: the steady state after it.
        self.saves_at: list[tuple[float, float]] = []
        self.last_start = 0.0
        self.errors: list[str] = []


async def student(http: Http, exam_id: int, token: str, args, stats: Stats, acked: dict, t0: float, seed: int):
    rng = random.Random(seed)
    # Ramp: student n of N arrives at n/N of the ramp (evenly spread, +-0.5 s jitter), as a room of students
    # logging in over the first minute; ``--ramp 0`` starts everyone within one autosave interval instead.
    if args.ramp > 0:
        await asyncio.sleep(max(0.0, seed / args.students * args.ramp + rng.uniform(-0.5, 0.5)))
    else:
        await asyncio.sleep(rng.uniform(0, args.interval))
    status, body, took = await http.request("POST", f"/api/v1/exams/{exam_id}/attempts", token)
    stats.latency["start"].append(took)
    stats.last_start = max(stats.last_start, time.perf_counter())
    if status not in (200, 201):
        stats.errors.append(f"start {status} {body}")
        return
    attempt_id, items, seq = body["attempt_id"], body["items"], 0
    mine = acked.setdefault(attempt_id, {})
    await asyncio.sleep(rng.uniform(0, args.interval))  # reading the first question before the first save
    while time.perf_counter() - t0 < args.duration:
        item = rng.choice(items)
        response = make_response(item, rng)
        seq += 1
        sent = time.perf_counter()
        try:
            status, body, took = await http.request("PUT", f"/api/v1/attempts/{attempt_id}/items/{item['slot']}",
                                                    token, {"response": response, "seq": seq})
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            stats.errors.append(f"save {type(exc).__name__}: {exc}")
        else:
            stats.latency["save"].append(took)
            stats.saves_at.append((sent, took))
            if status == 200:
                mine[item["slot"]] = (seq, response)
            else:
                stats.errors.append(f"save {status} {body}")
        await asyncio.sleep(max(0.0, args.interval + rng.uniform(-1, 1)))
    await asyncio.sleep(rng.uniform(0, args.submit_window))
    status, body, took = await http.request("POST", f"/api/v1/attempts/{attempt_id}/submit", token)
    stats.latency["submit"].append(took)
    if status != 200:
        stats.errors.append(f"submit {status} {body}")


# -- verification -------------------------------------------------------------------------------------------------

def verify(app, exam_id: int, acked: dict) -> tuple[int, int, int]:
    """(attempts checked, attempts still open, answers lost): every stored answer equals the last acknowledged."""
    from sqlalchemy import select

    from app.exams.models import Attempt, AttemptItem
    from app.extensions import db
    from app.questions import types as qtypes
    from app.questions.models import QuestionVersion

    lost = still_open = 0
    with app.app_context():
        data = dict(db.session.execute(select(QuestionVersion.id, QuestionVersion.data)).all())
        states = dict(db.session.execute(select(Attempt.id, Attempt.state).where(Attempt.exam_id == exam_id)).all())
        still_open = sum(1 for s in states.values() if s == "in_progress")
        rows = db.session.execute(select(AttemptItem.attempt_id, AttemptItem.slot, AttemptItem.seq,
                                         AttemptItem.response, AttemptItem.qtype, AttemptItem.question_version_id)
                                  .join(Attempt).where(Attempt.exam_id == exam_id))
        stored = {(r.attempt_id, r.slot): r for r in rows}
        for attempt_id, slots in acked.items():
            for slot, (seq, response) in slots.items():
                row = stored.get((attempt_id, slot))
                expected = qtypes.TYPES[row.qtype].validate_response(data[row.question_version_id], response) \
                    if row else None
                if row is None or row.seq != seq or row.response != expected:
                    lost += 1
        return len(states), still_open, lost


# -- driver ---------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_server_arguments(parser) -> None:
    """gunicorn options shared by the load scripts."""
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"],
                        help="sync: one request at a time per worker process (behind a buffering proxy such as nginx)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gthread worker")


def gunicorn_command(args, port: int) -> list[str]:
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    command = [gunicorn, "-w", str(args.workers), "-k", args.worker_class]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    return command + ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]


def describe_server(args) -> str:
    threads = f" --threads {args.threads}" if args.worker_class == "gthread" else ""
    return f"gunicorn -w {args.workers} -k {args.worker_class}{threads}"


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def server_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) used so far by gunicorn's master and its workers, from /proc.

    CPU per request holds up on a shared machine where wall-clock latency does not (other sessions' load)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [master_pid]
    try:
        with open(f"/proc/{master_pid}/task/{master_pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        return float("nan")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except OSError:
            continue
    return total


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


async def warm_up(http: Http, token: str, seconds: float = 120) -> None:
    """Wait until the workers answer (they import the app after the port is bound): 16 requests at once."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            results = await asyncio.gather(*(http.request("GET", "/api/v1/attempts/0", token) for _ in range(16)))
            if all(status == 404 for status, _b, _t in results):
                return
        except OSError:
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError("the server did not answer")


async def drive(port: int, exam_id: int, tokens: dict, args, acked: dict, master_pid: int) -> Stats:
    http, stats = Http("127.0.0.1", port), Stats()
    await warm_up(http, next(iter(tokens.values())))
    stats.cpu_before = server_cpu_seconds(master_pid)
    t0 = time.perf_counter()
    await asyncio.gather(*(student(http, exam_id, token, args, stats, acked, t0, n)
                           for n, token in enumerate(tokens.values())))
    stats.cpu_used = server_cpu_seconds(master_pid) - stats.cpu_before
    return stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Exam autosave/submit load against gunicorn.")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60, help="seconds of autosaving")
    parser.add_argument("--interval", type=float, default=10, help="seconds between a student's autosaves")
    parser.add_argument("--ramp", type=float, default=60,
                        help="students arrive evenly over this many seconds (0: within one interval)")
    parser.add_argument("--submit-window", type=float, default=30, help="everyone submits within this many seconds")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file (WAL)")
    add_server_arguments(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    # Up to one open connection per student, plus the server's: lift the soft limit on open files (often 1024).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    # A short run keeps half of its time for everyone saving at once after the last arrival.
    args.ramp = min(args.ramp, args.duration / 2)

    tmp = tempfile.mkdtemp(prefix="gx-load-")
    url = args.database_url or "sqlite:///" + os.path.join(tmp, "load.db")
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    secret = os.urandom(24).hex()
    env = dict(os.environ, GX_CONFIG="production", SECRET_KEY=secret, DATABASE_URL=url, GX_INSTANCE_PATH=tmp,
               RATELIMIT_STORAGE_URI="sqlitefile://" + os.path.join(tmp, "ratelimit.db"))
    os.environ.update({k: env[k] for k in ("GX_CONFIG", "SECRET_KEY", "DATABASE_URL", "GX_INSTANCE_PATH",
                                           "RATELIMIT_STORAGE_URI")})
    from app import create_app

    app = create_app()
    time_limit = int((args.duration + args.submit_window + args.interval) // 60) + 10
    t = time.perf_counter()
    exam_id, tokens = setup(app, args.students, time_limit)
    print(f"set-up: {args.students} students with tokens, exam {exam_id} of {len(QUESTION_MIX)} questions "
          f"({time.perf_counter() - t:.1f} s); database {url.split('@')[-1]}")
    port = free_port()
    server = subprocess.Popen(gunicorn_command(args, port), cwd=ROOT, env=env, start_new_session=True)
    acked: dict = {}
    try:
        wait_for(port)
        load_before = "/".join(f"{v:.2f}" for v in os.getloadavg())
        t = time.perf_counter()
        stats = asyncio.run(drive(port, exam_id, tokens, args, acked, server.pid))
        wall = time.perf_counter() - t
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    checked, still_open, lost = verify(app, exam_id, acked)
    saves = stats.latency["save"]
    print(f"load average before: {load_before}, after: {'/'.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"(1/5/15 min, {os.cpu_count()} CPUs)")
    print(f"students arrived evenly over {args.ramp:.0f} s, autosave every {args.interval:.0f} s +-1 s, "
          f"submits spread over {args.submit_window:.0f} s")
    print(f"ran {wall:.0f} s: {len(saves)} autosaves ({len(saves) / max(wall, 1e-9):.0f}/s), "
          f"{len(stats.latency['submit'])} submits, {describe_server(args)}")
    for name, values in stats.latency.items():
        print(f"  {name:<7} n={len(values):>6}  p50 {pct(values, 50):7.1f} ms  p95 {pct(values, 95):7.1f} ms  "
              f"p99 {pct(values, 99):7.1f} ms  max {pct(values, 100):7.1f} ms"
              + (f"  mean {statistics.mean(values) * 1000:.1f} ms" if values else ""))
    requests = sum(len(v) for v in stats.latency.values())
    print(f"  server CPU during the run: {stats.cpu_used:.1f} s for {requests} requests = "
          f"{stats.cpu_used * 1000 / max(requests, 1):.1f} ms per request (of {os.cpu_count()} CPUs x {wall:.0f} s)")
    steady = [took for sent, took in stats.saves_at if sent > stats.last_start]
    print(f"  autosaves after the last start finished (steady state): n={len(steady)}  p50 {pct(steady, 50):.1f} ms"
          f"  p99 {pct(steady, 99):.1f} ms")
    print(f"errors: {len(stats.errors)}" + (f" (first: {stats.errors[:3]})" if stats.errors else ""))
    print(f"attempts: {checked}, still open: {still_open}; lost answers: {lost} "
          f"(of {sum(len(v) for v in acked.values())} last-acknowledged answers)")
    print(f"autosave p99 {'under' if pct(saves, 99) < 200 else 'OVER'} 200 ms")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if not stats.errors and not lost and not still_open else 1


if __name__ == "__main__":
    sys.exit(main())
