"""Database URL defaults and per-dialect connection settings."""
from __future__ import annotations

import os
import sqlite3
import threading
import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from app.core import clock

try:
    import fcntl
except ImportError:  # Windows: threads still queue on the process lock, processes in SQLite's busy handler
    fcntl = None


def configure(app: Flask) -> None:
    """Default to SQLite in the instance folder, with WAL and a busy timeout."""
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + os.path.join(app.instance_path, "gongxue.db")
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri[len("postgres://"):]
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy drive transactions itself, so that SAVEPOINTs behave (pysqlite otherwise defers BEGIN).
    dbapi_connection.isolation_level = None
    enable_wal(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def enable_wal(conn: sqlite3.Connection, wait: float = 30.0) -> None:
    """Put a SQLite file in WAL mode, waiting out other processes doing the same.

    Switching a fresh file to WAL takes an exclusive lock, and SQLite answers "database is locked" at once,
    without its busy handler, when several processes (gunicorn workers starting together) try it at the same
    moment. The mode is stored in the file, so once one of them has switched it the others only read it.
    """
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() in ("wal", "memory"):
                return
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class _WriteSlot:
    """One SQLite writer at a time, handed over at once.

    Threads of a process queue on a lock, and processes (gunicorn workers) on an ``flock`` of a file beside the
    database, both of which wake the next writer the moment the slot is free. Without them writers wait in
    SQLite's busy handler, which polls with sleeps of up to 100 ms and turns a burst of writers into seconds of
    latency (measured: heartbeat p99 435 ms at 1,000 watchers, mostly two workers polling for each other).
    """

    def __init__(self):
        self._thread_lock = threading.Lock()
        self._files: dict[str, tuple[int, int]] = {}  # lock path -> (pid, fd); an fd inherited by fork is shared

    def _fd(self, database: str | None) -> int | None:
        if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = os.path.abspath(database) + "-writelock"
        pid, fd = self._files.get(path, (None, None))
        if pid != os.getpid():
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            self._files[path] = (os.getpid(), fd)
        return fd

    def acquire(self, database: str | None, info) -> None:
        if not self._thread_lock.acquire(timeout=60):
            raise TimeoutError("no SQLite write slot within 60 s")
        try:
            fd = self._fd(database)
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released by commit/rollback/check-in, or by the kernel on exit
        except BaseException:
            self._thread_lock.release()
            raise
        info[_LOCK_KEY] = fd

    def release(self, info) -> None:
        if _LOCK_KEY not in info:
            return
        fd = info.pop(_LOCK_KEY)
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


_LOCK_KEY = "gx_sqlite_write_lock"
_WRITE_SLOT = _WriteSlot()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY (snapshot) when
    # another writer committed in between; write paths ask for BEGIN IMMEDIATE (see begin_write).
    if not conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN")
        return
    _WRITE_SLOT.acquire(conn.engine.url.database, conn.info)
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release_write_lock(conn.info)
        raise


def _release_write_lock(info) -> None:
    _WRITE_SLOT.release(info)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_end(conn):
    _release_write_lock(conn.info)


@event.listens_for(Pool, "checkin")
def _sqlite_checkin(dbapi_connection, connection_record):
    # Safety net: a connection returned to the pool never keeps the write slot.
    _release_write_lock(connection_record.info)


def begin_write() -> None:
    """End the request's read transaction and start one that will write.

    On SQLite the new transaction takes the write lock up front (waiting up to the busy timeout), so a
    read-then-write request under concurrency never fails with "database is locked"; on other databases it only
    ends the read snapshot. Call it in a view before a service that reads and then writes.
    """
    from app.extensions import db

    db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})


def utcnow():
    """Column default: the application clock (tests can move it)."""
    return clock.now()
