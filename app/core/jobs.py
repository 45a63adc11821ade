"""The scheduler: ``flask jobs run-due`` (cron-able, idempotent) and, for ``make run``, the same work in a thread
of the development server so that a newcomer needs nothing else running.

One round runs every due task of :mod:`app.core.schedule` (committing after each), then the *follow-ups*
registered here — jobs that commit their own work in steps, such as sending queued notifications (a domain
appends to :data:`FOLLOW_UPS`; core never imports it). Running two rounds at once, on one server or several, is
safe: due tasks and follow-ups key or claim what they do.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Callable

import click
from flask import Flask

from app.core import clock, schedule

log = logging.getLogger(__name__)

#: ``fn(now) -> dict | int``: run after the due tasks, each commits its own work.
FOLLOW_UPS: dict[str, Callable[[datetime], object]] = {}


def follow_up(name: str):
    def decorate(fn):
        FOLLOW_UPS[name] = fn
        return fn

    return decorate


def run_once(now: datetime | None = None) -> dict[str, object]:
    """One round: every due task (a commit after each), then every follow-up. Returns counts by name."""
    from sqlalchemy.exc import OperationalError

    from app.extensions import db

    now = now or clock.now()
    try:
        done: dict[str, object] = dict(schedule.run_due(now, commit=db.session.commit))
    except OperationalError as exc:
        # Another server's round holds the database (SQLite's single writer, past the busy timeout): what it
        # claimed it sends; whatever is left the next round does. Not an error worth failing cron for.
        db.session.rollback()
        log.warning("due tasks skipped this round, the database is busy: %s", exc.orig)
        done = {"due tasks": "busy"}
    for name, fn in FOLLOW_UPS.items():
        done[name] = fn(now)
    return done


def register_cli(app: Flask) -> None:
    @app.cli.group("jobs")
    def jobs():
        """Work that falls due with time: deadlines, reminders, sending notifications."""

    @jobs.command("run-due")
    def run_due_command():
        """Run everything that is due now, once (safe to run from cron every minute, on several servers)."""
        for name, result in run_once().items():
            click.echo(f"{name}: {result}")


_started = threading.Lock()
_thread: threading.Thread | None = None


def start_in_process(app: Flask) -> None:
    """Start the in-process runner (every ``SCHEDULER_INTERVAL`` seconds) once per process. ``make run`` sets
    ``GX_SCHEDULER_INTERVAL``; it is off otherwise, and always off in tests."""
    global _thread
    interval = float(app.config.get("SCHEDULER_INTERVAL") or 0)
    if interval <= 0 or app.testing:
        return
    with _started:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_loop, args=(app, interval), name="gx-scheduler", daemon=True)
        _thread.start()


def _loop(app: Flask, interval: float) -> None:
    from app.extensions import db

    while True:
        with app.app_context():
            try:
                run_once()
            except Exception:  # noqa: BLE001 — the next round tries again
                log.exception("scheduled jobs failed")
                db.session.rollback()
            finally:
                db.session.remove()
        time.sleep(interval)


def register(app: Flask) -> None:
    """CLI, and the in-process runner started by the first request a serving process handles."""
    register_cli(app)
    if float(app.config.get("SCHEDULER_INTERVAL") or 0) > 0 and not app.testing:
        @app.before_request
        def _start_scheduler():
            start_in_process(app)
