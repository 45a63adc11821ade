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


#: Writers of one process queue here (a fair, instant hand-over) instead of in SQLite's busy handler, which polls
#: with sleeps of up to 100 ms and turns a burst of writers into seconds of latency.
_SQLITE_WRITE_LOCK = threading.Lock()
_LOCK_KEY = "gx_sqlite_write_lock"


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY (snapshot) when
    # another writer committed in between; write paths ask for BEGIN IMMEDIATE (see begin_write).
    if not conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN")
        return
    if not _SQLITE_WRITE_LOCK.acquire(timeout=60):
        raise TimeoutError("no SQLite write slot within 60 s")
    conn.info[_LOCK_KEY] = True
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release_write_lock(conn.info)
        raise


def _release_write_lock(info) -> None:
    if info.pop(_LOCK_KEY, False):
        _SQLITE_WRITE_LOCK.release()


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
