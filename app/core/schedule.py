"""Work that falls due because time passed: deadlines that make results final, exam windows closing,
reminders before a deadline.

A domain registers a *due task* in its ``schedule.py`` (create_app imports that module of every domain)::

    from app.core.schedule import due_task

    @due_task("tasks.peer_deadlines")
    def finalise_peer_deadlines(now):
        ...  # find what fell due up to ``now``, act on it, flush; return how many things were done

A due task must be idempotent: running it twice, or on two servers at once, does each thing once (mark what
was done in the database, or key it uniquely). It flushes and never commits: ``run_due`` is called by the
scheduler (``flask jobs run-due`` and the in-process runner of ``make run``), which commits once per task.
Tasks run in registration order, which follows the domain order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from app.core import clock

DueFunction = Callable[[datetime], int]


@dataclass(frozen=True)
class DueTask:
    name: str
    run: DueFunction


_TASKS: dict[str, DueTask] = {}


def due_task(name: str) -> Callable[[DueFunction], DueFunction]:
    """Register ``fn(now) -> int`` under ``name`` (``"<domain>.<what>"``)."""

    def decorate(fn: DueFunction) -> DueFunction:
        _TASKS[name] = DueTask(name, fn)
        return fn

    return decorate


def due_tasks() -> list[DueTask]:
    """Every registered due task, in registration order."""
    return list(_TASKS.values())


def run_due(now: datetime | None = None, *, commit: Callable[[], None] | None = None) -> dict[str, int]:
    """Run every due task once at ``now`` (default: the clock). ``commit`` (e.g. ``db.session.commit``) is
    called after each task, so one failing task does not undo the others' work. Returns counts by name."""
    now = now or clock.now()
    done: dict[str, int] = {}
    for task in due_tasks():
        done[task.name] = int(task.run(now) or 0)
        if commit is not None:
            commit()
    return done
