"""Database URL defaults and per-dialect connection settings."""
from __future__ import annotations

import contextvars
import copy
import functools
import os
import random
import sqlite3
import threading
import time

import click
from flask import Flask, has_request_context, request, session
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
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
    # another writer committed in between; write paths ask for BEGIN IMMEDIATE: every transaction of a writing
    # request or CLI command (_WRITE_INTENT, see dispatch_request/guard_commands), or one view step (begin_write).
    if not (_WRITE_INTENT.get() or conn.get_execution_options().get("sqlite_immediate")):
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


#: Set while a request or command that writes runs: its SQLite transactions begin IMMEDIATE.
_WRITE_INTENT: contextvars.ContextVar[bool] = contextvars.ContextVar("gx_sqlite_write_intent", default=False)
#: Retries the current request or command may still make after SQLITE_BUSY.
_RETRIES_LEFT: contextvars.ContextVar[int] = contextvars.ContextVar("gx_sqlite_retries_left", default=0)
#: Attempts of one request or command on SQLite (the first one included) before "database is locked" is an error.
ATTEMPTS = 4
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class RetryBusy(Exception):
    """Raised out of Flask's error handling so that the whole request is run again (SQLite was busy)."""


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" / SQLITE_BUSY, which a fresh attempt can overcome."""
    if not isinstance(exc, OperationalError):
        return False
    orig = getattr(exc, "orig", None)
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    text = str(orig).lower()
    return "locked" in text or "busy" in text


def writes_late(view):
    """Mark a view that reads first and takes the write slot itself with :func:`begin_write` (exam autosave,
    heartbeats, uploads): its early reads then do not queue behind other writers. Every other POST, PUT,
    PATCH or DELETE runs all its transactions as writers from the start."""
    view.gx_writes_late = True
    return view


def _is_sqlite(app: Flask) -> bool:
    return str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite")


def _writes(app: Flask) -> bool:
    if request.method in _SAFE_METHODS:
        return False
    view = app.view_functions.get(request.endpoint) if request.endpoint else None
    return not getattr(view, "gx_writes_late", False)


def _rewind_uploads() -> bool:
    """Put uploaded files back at their start for another attempt; False when one cannot be rewound."""
    files = request.__dict__.get("files")
    if not files:
        return True
    for _name, storages in files.lists():
        for storage in storages:
            stream = storage.stream
            if not (hasattr(stream, "seekable") and stream.seekable()):
                return False
            stream.seek(0)
    return True


def _backoff(attempt: int) -> None:
    time.sleep(min(0.05 * 2 ** attempt, 0.5) * (0.5 + random.random()))


def dispatch_request(app: Flask, dispatch):
    """Run Flask's ``full_dispatch_request`` (``dispatch``) with SQLite's care for writers, in one place.

    On SQLite a request that writes (not GET/HEAD/OPTIONS, unless :func:`writes_late`) runs every transaction
    as ``BEGIN IMMEDIATE``: it queues for the write slot (the busy timeout) instead of reading a snapshot that
    another writer makes stale, which SQLite answers with "database is locked" at once. Should SQLite still
    answer busy (a GET that writes a little, a writer that waited past the timeout), the whole request runs
    again, up to :data:`ATTEMPTS` times, from a rolled-back session, the cookie session as it came in and the
    uploads rewound. PostgreSQL (row locks, no database lock) is left as it is.
    """
    if not _is_sqlite(app):
        return dispatch()
    from app.extensions import db

    incoming = copy.deepcopy(dict(session))
    writes = _writes(app)
    for attempt in range(ATTEMPTS):
        intent = _WRITE_INTENT.set(writes or attempt > 0)
        retries = _RETRIES_LEFT.set(ATTEMPTS - 1 - attempt)
        try:
            return dispatch()
        except RetryBusy:
            db.session.rollback()
            session.clear()
            session.update(copy.deepcopy(incoming))
            if not _rewind_uploads():
                _RETRIES_LEFT.set(0)
                return dispatch()
            app.logger.info("SQLite busy; request %s %s runs again", request.method, request.path)
            _backoff(attempt)
        finally:
            _RETRIES_LEFT.reset(retries)
            _WRITE_INTENT.reset(intent)
    raise AssertionError("unreachable")  # the last attempt has no retry left, so it returns or raises


def raise_for_retry(exc: BaseException) -> None:
    """Called first by Flask's user-exception handling: turn a retryable SQLITE_BUSY into :class:`RetryBusy`."""
    if _RETRIES_LEFT.get() > 0 and is_busy(exc) and has_request_context():
        raise RetryBusy() from exc


def _say_busy(attempt: int) -> None:
    """Tell the terminal that the command runs again, in the configured locale. The command's app context has
    ended with its attempt, so the message is translated in a context of the same app (Flask's ScriptInfo)."""
    from flask.cli import ScriptInfo
    from flask_babel import gettext as _

    info = click.get_current_context(silent=True)
    info = info.find_object(ScriptInfo) if info is not None else None
    if info is None:
        return
    with info.load_app().app_context():
        click.echo(_("SQLite 繁忙，正在重新运行命令（第 %(attempt)d/%(total)d 次）", attempt=attempt,
                     total=ATTEMPTS), err=True)


def run_command(callback):
    """Wrap a CLI command's callback: as a writer on SQLite, and run again (bounded) when SQLite was busy."""
    if getattr(callback, "gx_guarded", False):
        return callback

    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        # Flask pushes the app context inside ``callback`` (with_appcontext), so nothing here may need it before
        # the first attempt; the intent only matters on SQLite (see _sqlite_begin) and is_busy only matches it.
        from app.extensions import db

        for attempt in range(ATTEMPTS):
            intent = _WRITE_INTENT.set(True)
            try:
                return callback(*args, **kwargs)
            except OperationalError as exc:
                if not is_busy(exc) or attempt == ATTEMPTS - 1:
                    raise
                db.session.rollback()
                _say_busy(attempt + 2)
                _backoff(attempt)
            finally:
                _WRITE_INTENT.reset(intent)
        raise AssertionError("unreachable")

    guarded.gx_guarded = True
    return guarded


def guard_commands(group: click.Group) -> None:
    """Apply :func:`run_command` to every command of the app's CLI (not Flask-Migrate's ``db``: Alembic runs its
    own transaction on its own connection)."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            if name != "db":
                guard_commands(command)
        elif command.callback is not None:
            command.callback = run_command(command.callback)


def lock_row(obj, *attributes: str) -> None:
    """Re-read ``attributes`` of a loaded row and hold the row until the commit, before checking a state or a
    version the request is about to change (optimistic locks, workflow transitions): of two such requests sent
    together the second then sees the first's result and is refused, instead of both passing the check.

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite: nothing to do — a writing request's transaction is
    ``BEGIN IMMEDIATE`` (see dispatch_request), which already excludes every other writer.
    """
    from app.extensions import db

    if obj.id is None or db.session.get_bind().dialect.name == "sqlite":
        return
    db.session.flush()
    # FOR UPDATE OF its own table: the refresh may join eagerly loaded relationships, which PostgreSQL refuses
    # to lock on the nullable side of an outer join.
    db.session.refresh(obj, attribute_names=list(attributes) or None, with_for_update={"of": type(obj)})


def utcnow():
    """Column default: the application clock (tests can move it)."""
    return clock.now()
