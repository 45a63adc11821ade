"""Reminders 24 h and 2 h before a stage is due or an exam closes, from `flask jobs run-due`: each sent once, also
with two runs at the same moment."""
from __future__ import annotations

import os
import tempfile
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.jobs import run_once
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.schedule import claim_keys
from tests.workbench import builders


@pytest.fixture(autouse=True)
def _unfreeze():
    yield
    clock.set_now(None)


def _reminders(user):
    return list(db.session.scalars(select(Notification.title).where(Notification.recipient_id == user.id,
                                                                    Notification.kind == "reminders.due")
                                   .order_by(Notification.id)))


def test_stage_reminders_24h_and_2h_before_each_sent_once():
    # the 信息 stage is due in 20 hours, the later stages days later
    a, _course, _teacher, (student, other) = builders.work_task(due_in_days=(20 / 24, 3, 4, 5, 6, 7))
    db.session.commit()
    run_once()
    first = _reminders(student)
    assert len(first) == 1 and "信息" in first[0] and "截止" in first[0]
    assert len(_reminders(other)) == 1
    run_once()
    assert len(_reminders(student)) == 1  # idempotent
    clock.set_now(clock.now() + timedelta(hours=19))  # now due in 1 hour
    run_once()
    assert len(_reminders(student)) == 2
    run_once()
    assert len(_reminders(student)) == 2


def test_no_reminder_for_a_handed_in_stage_or_a_learner_who_left():
    from app.courses import services as courses
    from app.tasks import services as tasks
    from tests.tasks import builders as task_builders

    a, course, teacher, (student, other) = builders.work_task(due_in_days=(20 / 24, 3, 4, 5, 6, 7))
    submission = tasks.submission_of(a, student, create=True)
    inform = task_builders.stage(a, "inform")
    tasks.save_stage(submission, inform, task_builders.answers_for(a, inform), by=student, submit=True)
    courses.unenrol(next(e for e in courses.participants(course) if e.user_id == other.id))
    db.session.commit()
    run_once()
    assert _reminders(student) == [] and _reminders(other) == []


def test_exam_closing_reminder_only_to_those_who_have_not_handed_in():
    from tests import factories

    waiting, done = factories.user("student"), factories.user("student")
    teacher = factories.user("teacher")
    exam = builders.essay_exam(teacher, [done], closes_at=clock.now() + timedelta(hours=10))
    from app.exams import services as exams

    exams.grant_access(exam, waiting)
    db.session.commit()
    result = run_once()
    assert result["notifications.exam_reminders"] == 1
    [title] = _reminders(waiting)
    assert "考试" in title and "还没有交卷" in title
    assert _reminders(done) == []


def test_jobs_run_due_command(runner):
    result = runner.invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0, result.output
    assert "notifications.stage_reminders: 0" in result.output and "notifications.send" in result.output


def test_two_runs_at_the_same_moment_claim_each_reminder_once():
    """Two servers (two connections to a fresh database) insert the same keys at once: each key is won by one."""
    from app import create_app

    tmp = tempfile.mkdtemp(prefix="gx-remind-")
    # Its own SQLite file on both legs: SQLite is where two writers contend for the lock; PostgreSQL runs the same
    # ON CONFLICT DO NOTHING insert.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(tmp, "r.db"),
                      "INSTANCE_PATH": tmp, "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.remove()
    keys = [f"stage:{n}:1:24h" for n in range(3000)]
    won: list[set] = []
    barrier = threading.Barrier(2)

    def server():
        with app.app_context():
            barrier.wait()
            mine = claim_keys(keys)
            db.session.commit()
            won.append(mine)
            db.session.remove()

    threads = [threading.Thread(target=server) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 2
    assert won[0] | won[1] == set(keys) and not (won[0] & won[1])
    with app.app_context():
        db.engine.dispose()


def test_a_round_that_finds_the_database_busy_is_skipped_not_failed(monkeypatch):
    """On SQLite a second server's round may wait past the busy timeout while the first writes: it reports
    "busy", still runs the follow-ups, and the next round does what is left."""
    from sqlalchemy.exc import OperationalError

    from app.core import jobs, schedule

    def locked(now, commit=None):
        raise OperationalError("INSERT INTO reminder", {}, Exception("database is locked"))

    monkeypatch.setattr(schedule, "run_due", locked)
    result = jobs.run_once()
    assert result["due tasks"] == "busy" and "notifications.send" in result


def test_learners_are_told_once_when_an_exam_they_were_granted_opens():
    from tests import factories

    student = factories.user("student")
    opens = clock.now() + timedelta(hours=1)
    builders.open_exam([student], opens_at=opens, closes_at=opens + timedelta(hours=2))
    db.session.commit()
    granted = db.session.scalars(select(Notification.title).where(Notification.recipient_id == student.id)).all()
    assert len(granted) == 1  # the grant itself
    assert run_once()["notifications.exams_opened"] == 0  # not open yet
    clock.set_now(opens + timedelta(minutes=1))
    assert run_once()["notifications.exams_opened"] == 1
    assert run_once()["notifications.exams_opened"] == 0
    titles = db.session.scalars(select(Notification.title).where(Notification.recipient_id == student.id)).all()
    assert any("考试已开始" in t for t in titles)
