"""Start the application under gunicorn with production settings, and talk to it over HTTP."""
from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, *, timeout: float = 60, expect: int = 200, proc: subprocess.Popen | None = None) -> float:
    """Poll ``url`` until it answers ``expect``; returns the seconds waited."""
    started = time.perf_counter()
    parts = urllib.parse.urlsplit(url)
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering {url}")
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            conn.request("GET", parts.path or "/")
            status = conn.getresponse().status
            conn.close()
            if status == expect:
                return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{url} did not answer {expect} within {timeout} s")
        time.sleep(0.2)


@dataclass
class Server:
    """A running gunicorn: its base URL and settings."""

    base: str
    workers: int
    threads: int
    database_url: str
    proc: subprocess.Popen

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.base).hostname

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.base).port

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn's master and workers.

        Requests/s depend on whatever else the machine runs; CPU time per request much less so, which makes
        it the steadier figure when the machine is shared.
        """
        return sum(_process_cpu(pid) for pid in [self.proc.pid, *_children(self.proc.pid)])

    def describe(self) -> str:
        kind = f"gthread {self.threads} threads" if self.threads else "sync"
        return f"gunicorn {self.workers} workers x {kind}, GX_CONFIG=production"

    def request(self, path: str, *, method: str = "GET", body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        # Keep every Set-Cookie header (a dict would keep only one).
        out_headers = {}
        for name, value in response.getheaders():
            out_headers.setdefault(name.lower(), []).append(value)
        conn.close()
        return response.status, out_headers, data

    def login(self, username: str, password: str) -> str:
        """Log in through the real form; returns the ``Cookie`` header value of the session.

        Production marks the cookie Secure, which a cookie jar would not send back over plain HTTP, so the
        cookie is taken from Set-Cookie by hand.
        """
        status, headers, body = self.request("/login")
        token = re.search(rb'<meta name="csrf-token" content="([^"]+)"', body)
        if status != 200 or not token:
            raise RuntimeError(f"GET /login answered {status} without a CSRF token")
        cookie = _cookie(headers)
        form = urllib.parse.urlencode({"csrf_token": token.group(1).decode(), "username": username,
                                       "password": password, "next": ""}).encode()
        status, headers, _ = self.request("/login", method="POST", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        if status != 302:
            raise RuntimeError(f"logging in as {username} failed (HTTP {status})")
        return _cookie(headers)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def _process_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of proc(5), utime and stime, in clock ticks; ")" ends field 2.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cookie(headers: dict) -> str:
    for value in headers.get("set-cookie", []):
        if value.startswith("gx_session="):
            return value.split(";", 1)[0]
    raise RuntimeError("the response set no session cookie")


@contextmanager
def gunicorn(database_url: str, *, workers: int = 2, threads: int = 4, app: str = "bench.app:app",
             log_path: str | None = None, extra_env: dict | None = None, worker_class: str = "gthread"):
    """Serve ``app`` with production settings on a free port of 127.0.0.1; stop it on exit. ``extra_env``
    adds settings (``GX_*``, ``STORAGE_URL``) for scenarios that need them."""
    port = free_port()
    instance = os.path.join(OUT, "instance")
    os.makedirs(instance, exist_ok=True)
    env = dict(os.environ, GX_CONFIG="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=database_url,
               GX_INSTANCE_PATH=instance, PYTHONPATH=ROOT, **(extra_env or {}))
    env.pop("FLASK_ENV", None)
    log_path = log_path or os.path.join(OUT, "gunicorn.log")
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", worker_class,
         *(["--threads", str(threads)] if worker_class == "gthread" else []),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/login", proc=proc, timeout=60)
        yield Server(base, workers, threads if worker_class == "gthread" else 0, database_url, proc)
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen, *, timeout: float = 15) -> None:
    """Stop a server started in its own session, with everything it spawned."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
