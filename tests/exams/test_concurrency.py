"""True concurrency against a separate app on a fresh database (the per-test transaction of the other tests would
serialise everything): 20 simultaneous submits, and autosaves racing a submit. Runs on SQLite and, under
scripts/with_postgres.py, on PostgreSQL."""
from __future__ import annotations

import os
import tempfile
import threading
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.conftest import Client


def _fresh_database_url(tmp: str) -> tuple[str, callable]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        return "sqlite:///" + os.path.join(tmp, "concurrency.db"), lambda: None
    name = "gx_conc_" + uuid.uuid4().hex[:8]
    url = make_url(base)
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False), drop


@pytest.fixture(scope="module")
def live_app():
    tmp = tempfile.mkdtemp(prefix="gx-conc-")
    url, drop = _fresh_database_url(tmp)
    application = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp,
        "RATELIMIT_STORAGE_URI": "memory://", "STORAGE_URL": "file://" + os.path.join(tmp, "storage"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 25, "max_overflow": 10},
    })
    application.test_client_class = Client
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def _exam_with_attempt(live_app, n_questions: int = 6):
    """Create an exam, a student with a token, and the student's started attempt; returns ids and header."""
    from app.auth import services as auth
    from app.exams import services
    from tests import factories
    from tests.exams import builders

    with live_app.app_context():
        student = factories.user("student")
        bank = builders.bank()
        qs = [builders.question(bank, "single_choice") for _ in range(n_questions)]
        exam = builders.fixed_exam(qs, students=[student])
        attempt, _created = services.start_attempt(exam, student)
        _rec, token = auth.issue_api_token(student, "conc")
        db.session.commit()
        ids = attempt.id, exam.id
        db.session.remove()
    return ids, {"Authorization": f"Bearer {token}"}


def _run_together(n: int, fn):
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_twenty_concurrent_submits_give_one_grade_and_the_same_answer(live_app):
    from app.exams.models import AttemptEvent, ItemGrade, AttemptItem

    (attempt_id, _exam), headers = _exam_with_attempt(live_app)
    client = live_app.test_client()
    for slot in range(1, 7):
        assert client.put(f"/api/v1/attempts/{attempt_id}/items/{slot}", json={"response": "A", "seq": 1},
                          headers=headers).status_code == 200

    def submit(_i):
        response = live_app.test_client().post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
        return response.status_code, response.get_json()

    results = _run_together(20, submit)
    assert {status for status, _body in results} == {200}, results
    bodies = [body for _status, body in results]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["state"] == "graded" and bodies[0]["score"] == 12.0
    with live_app.app_context():
        events = db.session.scalars(select(AttemptEvent.reason).where(AttemptEvent.attempt_id == attempt_id)
                                    .order_by(AttemptEvent.id)).all()
        assert events == ["start", "submit", "autograde"]
        grades = db.session.scalar(select(func.count()).select_from(ItemGrade).join(AttemptItem)
                                   .where(AttemptItem.attempt_id == attempt_id))
        assert grades == 6
        db.session.remove()


def test_autosaves_racing_a_submit_never_lose_an_acknowledged_answer(live_app):
    from app.exams.models import AttemptItem

    (attempt_id, _exam), headers = _exam_with_attempt(live_app, n_questions=4)
    answers = ["A", "B", "C", "D"]

    def act(i):
        c = live_app.test_client()
        if i == 10:
            r = c.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
            return ("submit", r.status_code, None)
        slot, seq = i % 4 + 1, i + 1
        r = c.put(f"/api/v1/attempts/{attempt_id}/items/{slot}", json={"response": answers[i % 4], "seq": seq},
                  headers=headers)
        return ("save", r.status_code, (slot, seq, answers[i % 4]))

    results = _run_together(20, act)
    assert all(status in (200, 409) for _kind, status, _x in results), results
    acknowledged = {}
    for kind, status, info in results:
        if kind == "save" and status == 200:
            slot, seq, answer = info
            if seq > acknowledged.get(slot, (0, None))[0]:
                acknowledged[slot] = (seq, answer)
    with live_app.app_context():
        items = {i.slot: i for i in db.session.scalars(select(AttemptItem)
                                                       .where(AttemptItem.attempt_id == attempt_id))}
        for slot, (seq, answer) in acknowledged.items():
            assert items[slot].seq == seq and items[slot].response == answer
        for item in items.values():
            # The grade is the grade of the stored (final) response: right answer is A.
            expected = 2.0 if item.response == "A" else 0.0
            assert item.score == expected, (item.slot, item.response, item.score)
        db.session.remove()
