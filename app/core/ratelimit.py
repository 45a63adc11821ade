"""Rate limiting whose counters hold across worker processes.

Flask-Limiter keeps counters in a ``limits`` storage. Its in-memory store is per process, so with several
gunicorn workers each would count separately. On one machine we use :class:`SQLiteFileStorage` (scheme
``sqlitefile://``): a small SQLite file beside the database, shared by every worker. On many machines set
``RATELIMIT_STORAGE_URI=redis://...``.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time

from flask import Flask
from limits.storage import Storage

from app.core.database import enable_wal
from app.extensions import limiter


class SQLiteFileStorage(Storage):
    """Fixed-window counters in a SQLite file (``sqlitefile:///abs/path.db``)."""

    STORAGE_SCHEME = ["sqlitefile"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.split("://", 1)[1] if uri else ":memory:"
        self._local = threading.local()
        self._conn().execute(
            "CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM counter WHERE key = ? AND expires <= ?", (key, now))
            conn.execute(
                "INSERT INTO counter (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
                (key, amount, now + expiry))
            (value,) = conn.execute("SELECT value FROM counter WHERE key = ?", (key,)).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return value

    def get(self, key: str) -> int:
        row = self._conn().execute("SELECT value FROM counter WHERE key = ? AND expires > ?",
                                   (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._conn().execute("SELECT expires FROM counter WHERE key = ?", (key,)).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        self._conn().execute("SELECT 1")
        return True

    def reset(self) -> int | None:
        cur = self._conn().execute("DELETE FROM counter")
        return cur.rowcount

    def clear(self, key: str) -> None:
        self._conn().execute("DELETE FROM counter WHERE key = ?", (key,))


def init_app(app: Flask) -> None:
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = "sqlitefile://" + os.path.join(app.instance_path, "ratelimit.db")
    app.config.setdefault("RATELIMIT_STRATEGY", "fixed-window")
    limiter.init_app(app)
