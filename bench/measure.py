"""Measurements shared by the scenarios: a page against its bare twin, and SQL statements per request."""
from __future__ import annotations

import statistics
from contextlib import contextmanager

from bench import wrk
from bench.server import Server
from bench.table import Table


def load(server: Server, path: str, cookie: str, ctx, seconds: int | None = None) -> wrk.Result:
    """wrk on ``path``, with the server's CPU milliseconds per request attached as ``cpu_ms``."""
    before = server.cpu_seconds()
    r = wrk.run(server.base + path, seconds=seconds or ctx.seconds, connections=ctx.connections,
                headers={"Cookie": cookie})
    r.cpu_ms = (server.cpu_seconds() - before) * 1000 / max(r.requests, 1)
    if r.errors:
        raise RuntimeError(f"{r.errors} failed requests on {path}")
    return r


def check_page(server: Server, path: str, cookie: str, must_contain: str | None = None) -> int:
    """Fetch ``path`` once and fail loudly unless it is a 200 page (a redirect to /login would look fast)."""
    status, _headers, body = server.request(path, headers={"Cookie": cookie})
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}, expected 200")
    if must_contain and must_contain.encode() not in body:
        raise RuntimeError(f"GET {path} lacks {must_contain!r}")
    return len(body)


def compare(server: Server, table: Table, *, label: str, real: str, bare: str, cookie: str, ctx,
            must_contain: str | None = None) -> dict:
    """Measure ``real`` against ``bare`` in alternating rounds; add one row per round and a median row.

    Alternating (bare, real, bare, real...) spreads slow drifts of the machine (CPU frequency, other
    processes) over both sides instead of letting them bias one.
    """
    sizes = {"bare": check_page(server, bare, cookie, must_contain),
             "real": check_page(server, real, cookie, must_contain)}
    # Warm both (template compilation, connection pools, SQLite page cache).
    for path in (bare, real):
        load(server, path, cookie, ctx, seconds=2)
    results = {"bare": [], "real": []}
    for n in range(1, ctx.rounds + 1):
        for kind, path in (("bare", bare), ("real", real)):
            r = load(server, path, cookie, ctx)
            results[kind].append(r)
            ctx.log(f"    round {n} {kind:4s} {path}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, "
                    f"p99 {r.p99_ms:.1f} ms, {r.cpu_ms:.1f} CPU ms/request")
    # Pages must still be served to the logged-in user after the load (not silently redirected).
    check_page(server, real, cookie, must_contain)
    for kind, path in (("bare", bare), ("real", real)):
        for n, r in enumerate(results[kind], 1):
            table.add(page=f"{label} ({kind})", path=path, round=str(n), **_cells(r))
    summary = {}
    for kind, path in (("bare", bare), ("real", real)):
        rs = results[kind]
        summary[kind] = {"rps": statistics.median(r.rps for r in rs),
                         "p50": statistics.median(r.p50_ms for r in rs),
                         "p99": statistics.median(r.p99_ms for r in rs),
                         "cpu": statistics.median(r.cpu_ms for r in rs)}
    ratio = summary["real"]["rps"] / summary["bare"]["rps"]
    cpu_ratio = summary["bare"]["cpu"] / summary["real"]["cpu"]
    for kind, path in (("bare", bare), ("real", real)):
        s = summary[kind]
        table.add(page=f"{label} ({kind})", path=path, round="median", **{
            "req/s": s["rps"], "p50 ms": s["p50"], "p99 ms": s["p99"],
            "requests": sum(r.requests for r in results[kind]), "errors": 0, "CPU ms/req": s["cpu"],
            "KiB": round(sizes[kind] / 1024, 1), "ratio": f"{ratio:.0%}" if kind == "real" else "100%",
            "CPU ratio": f"{cpu_ratio:.0%}" if kind == "real" else "100%"})
    return {"ratio": ratio, "cpu_ratio": cpu_ratio, **summary}


def _cells(r: wrk.Result) -> dict:
    return {"req/s": r.rps, "p50 ms": r.p50_ms, "p99 ms": r.p99_ms, "requests": r.requests, "errors": r.errors,
            "CPU ms/req": r.cpu_ms}


@contextmanager
def statement_counter(engine):
    """Count the SQL statements sent through ``engine`` while the block runs."""
    from sqlalchemy import event

    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        # Transaction control (SQLite's explicit BEGIN) is not a query; the tests do not count it either.
        if statement.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def statements_per_request(database_url: str, username: str, password: str, path: str) -> list[str]:
    """Log in in-process (production config) and return the SQL statements of one warm GET ``path``."""
    import os
    import re
    import secrets

    from app import create_app
    from app.extensions import db
    from bench.server import OUT

    app = create_app({"CONFIG": "production", "SECRET_KEY": secrets.token_hex(16),
                      "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": os.path.join(OUT, "instance"),
                      "RATELIMIT_STORAGE_URI": "memory://"})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    # Production prefers https, so the test client speaks https and Flask-WTF checks the Referer strictly.
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                           headers={"Referer": "https://localhost/login"})
    if response.status_code != 302:
        raise RuntimeError(f"in-process login as {username} failed ({response.status_code})")
    assert client.get(path).status_code == 200  # warm: first-request work is not the steady state
    with app.app_context():
        engine = db.engine
    with statement_counter(engine) as statements:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    with app.app_context():
        db.engine.dispose()
    return statements


def variant(server: Server, table: Table, *, label: str, path: str, cookie: str, ctx, bare: dict,
            must_contain: str | None = None) -> wrk.Result:
    """One measurement of another URL of the same page, with its ratios to the bare medians (informative)."""
    size = check_page(server, path, cookie, must_contain)
    r = load(server, path, cookie, ctx)
    ctx.log(f"    variant {path}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
            f"{r.cpu_ms:.1f} CPU ms/request")
    table.add(page=label, path=path, round="1", **_cells(r), KiB=round(size / 1024, 1),
              ratio=f"{r.rps / bare['rps']:.0%}", **{"CPU ratio": f"{bare['cpu'] / r.cpu_ms:.0%}"})
    return r
