"""Dashboard numbers shared by every worker process through a snapshot row: one computation serves all
workers, recomputed by one worker at a time, never older than the TTL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.core import clock
from app.dashboard import snapshots
from app.dashboard.models import DashboardSnapshot
from app.extensions import db

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
TTL = 60


@pytest.fixture(autouse=True)
def _clean(app):
    snapshots.forget("test:")
    yield
    snapshots.forget("test:")


class Source:
    """A computation whose result is a counter: which computation a caller got is visible in the numbers."""

    def __init__(self):
        self.runs = 0

    def __call__(self) -> dict:
        self.runs += 1
        return {"value": self.runs}


def _get(source, ttl=TTL):
    return snapshots.shared("test:national", ttl, source, dict)


def _other_worker():
    """What another gunicorn worker sees: the database, not this process's memory."""
    snapshots._memory.clear()


def test_one_computation_serves_every_worker(app, count_queries):
    source = Source()
    clock.set_now(T0)
    assert _get(source) == {"value": 1}
    _other_worker()
    clock.set_now(T0 + timedelta(seconds=10))
    with count_queries() as q:
        assert _get(source) == {"value": 1}
    assert source.runs == 1 and q.count == 1  # one primary-key read of the shared row
    with count_queries() as q:
        assert _get(source) == {"value": 1}
    assert q.count == 0  # then from this worker's memory


def test_recomputed_by_one_worker_when_older_than_half_the_ttl(app):
    source = Source()
    clock.set_now(T0)
    _get(source)
    clock.set_now(T0 + timedelta(seconds=TTL / 2 + 1))
    _other_worker()
    assert _get(source) == {"value": 2}
    row = db.session.get(DashboardSnapshot, "test:national")
    assert row.payload == {"value": 2} and row.refreshing_until is None
    assert clock.as_utc(row.computed_at) == T0 + timedelta(seconds=TTL / 2 + 1)


def test_while_another_worker_refreshes_the_row_is_served_until_the_ttl(app):
    source = Source()
    clock.set_now(T0)
    _get(source)
    row = db.session.get(DashboardSnapshot, "test:national")
    row.refreshing_until = T0 + timedelta(minutes=5)  # another worker holds the refresh
    db.session.commit()
    clock.set_now(T0 + timedelta(seconds=45))
    _other_worker()
    assert _get(source) == {"value": 1} and source.runs == 1  # 45 s old: still within the minute
    clock.set_now(T0 + timedelta(seconds=61))
    _other_worker()
    assert _get(source) == {"value": 2}  # the refresher is late: never older than the TTL
    db.session.expire_all()
    assert db.session.get(DashboardSnapshot, "test:national").payload == {"value": 1}  # its claim is untouched


def test_a_dead_refreshers_claim_expires(app):
    source = Source()
    clock.set_now(T0)
    _get(source)
    row = db.session.get(DashboardSnapshot, "test:national")
    row.refreshing_until = T0 + snapshots.LEASE
    db.session.commit()
    clock.set_now(T0 + snapshots.LEASE + timedelta(seconds=1))
    _other_worker()
    assert _get(source) == {"value": 2}
    assert db.session.get(DashboardSnapshot, "test:national").payload == {"value": 2}


def test_forget_makes_the_next_request_recompute(app):
    source = Source()
    clock.set_now(T0)
    _get(source)
    snapshots.forget("test:")
    assert db.session.scalar(select(DashboardSnapshot).where(DashboardSnapshot.key == "test:national")) is None
    assert _get(source) == {"value": 2}
