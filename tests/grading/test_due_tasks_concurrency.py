"""Two servers run the due tasks at the same moment: each deadline is still carried over once and each overdue
attempt closed once. True concurrency against a separate app on a fresh database (the per-test transaction of
the other tests would serialise everything); on SQLite and, under scripts/with_postgres.py, on PostgreSQL.

Each "server" runs a task as the scheduler does: in a write transaction (``begin_write``), committed after it."""
from __future__ import annotations

import os
import tempfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.core import clock
from app.core.database import begin_write
from app.extensions import db
from tests.conftest import Client
from tests.exams.test_concurrency import _fresh_database_url, _run_together

SERVERS = 4


@pytest.fixture(scope="module")
def live_app():
    tmp = tempfile.mkdtemp(prefix="gx-due-")
    url, drop = _fresh_database_url(tmp)
    application = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp,
        "RATELIMIT_STORAGE_URI": "memory://", "STORAGE_URL": "file://" + os.path.join(tmp, "storage"),
    })
    application.test_client_class = Client
    with application.app_context():
        from flask_migrate import upgrade

        from app.core.content import default_content_root, load_content

        upgrade()
        load_content(default_content_root())
        db.session.commit()
        db.session.remove()
    yield application
    clock.set_now(None)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def _on_each_server(live_app, task):
    """Run ``task(now)`` on SERVERS threads at once, each in its own write transaction; their return values."""
    now = clock.now()

    def run(_i):
        with live_app.app_context():
            try:
                begin_write()
                done = task(now)
                db.session.commit()
                return done
            finally:
                db.session.remove()

    return _run_together(SERVERS, run)


def test_a_peer_deadline_is_carried_over_once_by_racing_servers(live_app):
    from app.grading import services as grading
    from app.grading.models import FinalGrade, Grade
    from app.tasks import services as tasks
    from tests.tasks import builders

    start = clock.now()
    clock.set_now(start)
    with live_app.test_request_context():
        a, course, teacher, learners = builders.assignment(students=3, peer_count=1,
                                                           peer_due_at=start + timedelta(hours=1))
        item = grading.save_item(course, None, name="任务", kind="work_task", target_id=a.id)
        for s in learners:
            tasks.evaluate(tasks.submission_of(a, s), "teacher", teacher, {
                str(c.id): c.max_points * 0.7 for c in a.rubric.criteria})
        db.session.commit()
        ids = (a.id, course.id, item.id, [s.id for s in learners])
        db.session.remove()
    clock.set_now(start + timedelta(hours=2))
    with live_app.test_request_context():
        done = _on_each_server(live_app, tasks.settle_peer_deadlines)
    assert sorted(done) == [0] * (SERVERS - 1) + [1], done
    assignment_id, course_id, item_id, students = ids
    with live_app.app_context():
        grades = db.session.execute(select(Grade.user_id, Grade.value, Grade.version)
                                    .where(Grade.item_id == item_id)).all()
        assert {(uid, value, version) for uid, value, version in grades} == {(uid, 70.0, 1) for uid in students}
        finals = db.session.scalars(select(FinalGrade.status).where(FinalGrade.course_id == course_id)).all()
        assert sorted(finals) == ["passed"] * 3
        db.session.remove()


def test_overdue_attempts_are_closed_once_by_racing_servers(live_app):
    from app.exams import services as exams
    from app.exams.models import Attempt, AttemptEvent
    from tests import factories
    from tests.exams import builders

    start = clock.now()
    clock.set_now(start)
    with live_app.test_request_context():
        students = [factories.user("student") for _ in range(5)]
        exam = builders.fixed_exam([builders.question(builders.bank(), "single_choice")], students=students,
                                   time_limit_minutes=30)
        attempts = [exams.start_attempt(exam, s)[0].id for s in students]
        db.session.commit()
        db.session.remove()
    clock.set_now(start + timedelta(minutes=31) + exams.save_grace())
    with live_app.test_request_context():
        done = _on_each_server(live_app, exams.close_all_overdue)
    assert sum(done) == len(attempts), done
    with live_app.app_context():
        states = db.session.scalars(select(Attempt.state).where(Attempt.id.in_(attempts))).all()
        assert states == ["graded"] * len(attempts)
        closes = db.session.scalar(select(func.count()).select_from(AttemptEvent).where(
            AttemptEvent.attempt_id.in_(attempts), AttemptEvent.reason == "timeout"))
        assert closes == len(attempts)
        db.session.remove()
