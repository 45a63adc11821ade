"""Dashboard numbers computed by one worker and shared by all, through a row per scope (DashboardSnapshot).

Before, each gunicorn worker kept its own copy for a minute, so every worker recomputed every scope and a page
could show two different figures on two reloads. Now:

* a worker answers from its own memory while its copy is younger than half the TTL (no query at all);
* otherwise it reads the shared row (one primary-key SELECT) and uses it while younger than half the TTL;
* an older row is recomputed by ONE worker, the one that claims it (a conditional UPDATE of
  ``refreshing_until``, a lease); the others keep answering from the row while it is younger than the TTL;
* past the TTL with another worker still refreshing, a worker computes for itself rather than show numbers
  older than the TTL (they are never staler than ``ttl`` seconds, 60 by default).

Claims and stores are short write transactions of their own (``begin_write``); the computation itself only
reads.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.core import clock
from app.core.database import begin_write
from app.dashboard.models import DashboardSnapshot
from app.extensions import db

#: A refresher that died frees its claim after this long.
LEASE = timedelta(seconds=30)

#: (database, key) -> (computed_at, decoded value): this process's copy of the shared rows.
_memory: dict[tuple[str, str], tuple[datetime, object]] = {}
_lock = threading.Lock()


def _age(computed_at: datetime | None, now: datetime) -> float | None:
    """Seconds since ``computed_at``; None when unknown or in the future (a clock moved back: recompute)."""
    if computed_at is None:
        return None
    age = (now - clock.as_utc(computed_at)).total_seconds()
    return age if age >= 0 else None


def shared(key: str, ttl: float, compute: Callable[[], dict], decode: Callable[[dict], object]):
    """The value of ``key`` at most ``ttl`` seconds old, computed by ``compute()`` (JSON-able dict) in one
    worker at a time and ``decode``-d once per process per computation."""
    now = clock.now()
    held = _memory.get(_memory_key(key))
    if held is not None:
        age = _age(held[0], now)
        if age is not None and age < ttl / 2:
            return held[1]
    row = db.session.execute(select(DashboardSnapshot.payload, DashboardSnapshot.computed_at)
                             .where(DashboardSnapshot.key == key)).first()
    age = _age(row.computed_at, now) if row is not None and row.payload is not None else None
    if age is not None and age < ttl / 2:
        return _remember(key, row.computed_at, row.payload, decode)
    if _claim(key, now, exists=row is not None):
        payload = compute()
        _store(key, payload, now)
        return _remember(key, now, payload, decode)
    if age is not None and age < ttl:
        return _remember(key, row.computed_at, row.payload, decode)  # another worker is refreshing it
    return decode(compute())  # the refresher is late: compute here rather than show older numbers


def _memory_key(key: str) -> tuple[str, str]:
    return current_app.config["SQLALCHEMY_DATABASE_URI"], key


def _remember(key: str, computed_at: datetime, payload: dict, decode):
    held = _memory.get(_memory_key(key))
    if held is not None and held[0] == computed_at:
        return held[1]
    value = decode(payload)
    with _lock:
        _memory[_memory_key(key)] = (computed_at, value)
    return value


def _claim(key: str, now: datetime, *, exists: bool) -> bool:
    """Take the refresh of ``key`` (True) unless another worker holds an unexpired claim (False)."""
    begin_write()
    if exists:
        claimed = db.session.execute(
            update(DashboardSnapshot).where(DashboardSnapshot.key == key, or_(
                DashboardSnapshot.refreshing_until.is_(None), DashboardSnapshot.refreshing_until < now))
            .values(refreshing_until=now + LEASE)).rowcount == 1
    else:
        try:
            with db.session.begin_nested():
                db.session.add(DashboardSnapshot(key=key, refreshing_until=now + LEASE))
            claimed = True
        except IntegrityError:  # another worker inserted it first and is computing
            claimed = False
    db.session.commit()
    return claimed


def _store(key: str, payload: dict, computed_at: datetime) -> None:
    begin_write()
    db.session.execute(update(DashboardSnapshot).where(DashboardSnapshot.key == key)
                       .values(payload=payload, computed_at=computed_at, refreshing_until=None))
    db.session.commit()


def forget(prefix: str = "") -> None:
    """Drop the shared rows (and this process's copies) whose key starts with ``prefix``: the next request
    recomputes them. Flushes; the caller commits."""
    with _lock:
        for mkey in [k for k in _memory if k[1].startswith(prefix)]:
            del _memory[mkey]
    db.session.execute(delete(DashboardSnapshot).where(DashboardSnapshot.key.startswith(prefix, autoescape=True)))
