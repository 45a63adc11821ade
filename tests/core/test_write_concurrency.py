"""Twenty people doing the same write at the same moment, against a real database file (the per-test
transaction of the other tests would serialise everything): activations, logins, API token creation, rubric
evaluations, hand grading and CLI commands in separate processes. Each must succeed for every one of them —
on SQLite no "database is locked" 500 or failed command — and leave exactly the rows it promised.

Runs on SQLite by default and, under scripts/with_postgres.py, on PostgreSQL (a fresh database)."""
from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from tests.conftest import PASSWORD, Client
from tests.exams.test_concurrency import _fresh_database_url

N = 20


@pytest.fixture(scope="module")
def live():
    """A separate app on a fresh, migrated database with content/ loaded; commits are real."""
    tmp = tempfile.mkdtemp(prefix="gx-wconc-")
    url, drop = _fresh_database_url(tmp)
    overrides = {
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp,
        "RATELIMIT_STORAGE_URI": "memory://", "STORAGE_URL": "file://" + os.path.join(tmp, "storage"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": N + 5, "max_overflow": 10},
    }
    application = create_app(overrides)
    application.test_client_class = Client
    application.config["GX_TEST_OVERRIDES"] = overrides
    with application.app_context():
        from flask_migrate import upgrade

        from app.core.content import default_content_root, load_content

        upgrade()
        load_content(default_content_root())
        db.session.commit()
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def _together(fn, n: int = N) -> list:
    """Run ``fn(i)`` in ``n`` threads released at the same instant; an exception counts as a result."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - reported in the assertion message
            results[i] = repr(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _in_app(live, fn):
    with live.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def _bearer(live, user_id) -> dict:
    from app.auth import services as auth
    from app.auth.models import User

    def make():
        _rec, plain = auth.issue_api_token(db.session.get(User, user_id), "concurrency")
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return _in_app(live, make)


def _students(live, n: int = N) -> list[tuple[int, str]]:
    from tests import factories

    def make():
        school = factories.school()
        users = [factories.user("student", school_=school) for _ in range(n)]
        db.session.commit()
        return [(u.id, u.username) for u in users]

    return _in_app(live, make)


def test_twenty_simultaneous_activations_all_succeed(live):
    from app.auth import passwords
    from app.auth import services as auth
    from app.auth.models import User
    from tests import factories

    def make():
        school = factories.school()
        people = [auth.create_user(username=f"newcomer{school.id}x{i:02d}", roles=["student"], full_name="新同学",
                                   school=school) for i in range(N)]
        codes = [auth.issue_activation_code(u) for u in people]
        db.session.commit()
        return [(u.username, c) for u, c in zip(people, codes)]

    people = _in_app(live, make)
    clients = [live.test_client() for _ in range(N)]
    tokens = [c.csrf_token("/activate") for c in clients]

    def activate(i):
        username, code = people[i]
        password = f"my-own-password-{i}"
        return clients[i].post("/activate", data={"csrf_token": tokens[i], "username": username, "code": code,
                                                  "password": password, "confirm": password}).status_code

    results = _together(activate)
    assert results == [302] * N, results

    def check():
        names = [p[0] for p in people]
        users = db.session.scalars(select(User).where(User.username.in_(names))).all()
        return sum(1 for u in users if passwords.verify_password(u.password_hash,
                                                                f"my-own-password-{names.index(u.username)}"))

    assert _in_app(live, check) == N


def test_twenty_simultaneous_logins_and_token_creations_all_succeed(live):
    from app.auth.models import ApiToken, UserSession

    people = _students(live)
    clients = [live.test_client() for _ in range(N)]
    tokens = [c.csrf_token("/login") for c in clients]

    def login(i):
        return clients[i].post("/login", data={"csrf_token": tokens[i], "username": people[i][1],
                                               "password": PASSWORD}).status_code

    results = _together(login)
    assert results == [302] * N, results
    ids = [p[0] for p in people]
    assert _in_app(live, lambda: db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id.in_(ids)))) == N

    tokens = [c.csrf_token("/account") for c in clients]

    def create_token(i):
        response = clients[i].post("/account/tokens", data={"csrf_token": tokens[i], "name": f"脚本{i}"})
        return response.status_code

    results = _together(create_token)
    assert results == [200] * N, results
    assert _in_app(live, lambda: db.session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id.in_(ids)))) == N


def test_twenty_simultaneous_rubric_evaluations_all_succeed(live):
    from app.tasks import services
    from app.tasks.models import Evaluation
    from tests.tasks import builders

    def make():
        a, _course, teacher, learners = builders.assignment(students=N, peer_count=0)
        subs = [services.submission_of(a, s).id for s in learners]
        scores = {str(c.id): c.max_points * 0.8 for c in a.rubric.criteria}
        db.session.commit()
        return teacher.id, subs, scores

    teacher_id, subs, scores = _in_app(live, make)
    headers = _bearer(live, teacher_id)

    def evaluate(i):
        response = live.test_client().post(f"/api/tasks/submissions/{subs[i]}/evaluations", headers=headers,
                                           json={"party": "teacher", "scores": scores, "comment": "规范"})
        return response.status_code

    results = _together(evaluate)
    assert results == [201] * N, results
    assert _in_app(live, lambda: db.session.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.submission_id.in_(subs)))) == N


def test_twenty_simultaneous_hand_gradings_all_succeed(live):
    from app.exams import services
    from app.exams.models import AttemptItem
    from tests import factories
    from tests.exams import builders

    def make():
        teacher = factories.user("teacher")
        students = [factories.user("student", school_=teacher.school) for _ in range(N)]
        bank = builders.bank()
        essay = builders.question(bank, "essay")
        exam = builders.fixed_exam([essay], students=students, creator=teacher, points=5)
        for s in students:
            attempt, _ = services.start_attempt(exam, s)
            services.store_response(services.load_save_target(attempt.id, 1, s.id),
                                    {"text": f"先断电再检修{s.id}", "files": []}, 1)
            services.close_attempt(attempt.id, closed_by="student", user_id=s.id)
        db.session.commit()
        items = db.session.scalars(select(AttemptItem.id).where(AttemptItem.question_id == essay.id)).all()
        return teacher.id, list(items)

    teacher_id, items = _in_app(live, make)
    assert len(items) == N
    headers = _bearer(live, teacher_id)

    def grade(i):
        response = live.test_client().post(f"/exams/items/{items[i]}/grade", headers=headers,
                                           data={"score": "4", "comment": "步骤完整"})
        return response.status_code

    results = _together(grade)
    assert results == [302] * N, results
    graded = _in_app(live, lambda: db.session.scalars(select(AttemptItem.score).where(AttemptItem.id.in_(items))).all())
    assert graded == [4.0] * N


def _cli_child(overrides: dict, args: list[str], barrier, queue) -> None:
    """A separate process running one ``flask`` command, as two shells would."""
    app = create_app(overrides)
    runner = app.test_cli_runner()
    barrier.wait()
    with app.app_context():  # the fork inherited the test's own app context; the command must not use it
        result = runner.invoke(args=args)
    queue.put((result.exit_code, result.output[-300:], repr(result.exception) if result.exception else ""))


def test_twenty_simultaneous_cli_commands_in_separate_processes_all_succeed(live):
    from app.auth.models import ApiToken

    people = _students(live, 1)
    user_id, username = people[0]
    with live.app_context():
        db.session.remove()
        db.engine.dispose()  # no pooled connection crosses the fork
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(N), context.Queue()
    children = [context.Process(target=_cli_child,
                                args=(live.config["GX_TEST_OVERRIDES"], ["users", "token", username, "--name", f"任务{i}"],
                                      barrier, queue))
                for i in range(N)]
    for child in children:
        child.start()
    results = [queue.get(timeout=180) for _ in children]
    for child in children:
        child.join(30)
    assert [code for code, _out, _exc in results] == [0] * N, results
    assert _in_app(live, lambda: db.session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id))) == N


def _busy() -> Exception:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    return OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))


def test_a_request_that_finds_sqlite_busy_runs_again_within_a_bound(tmp_path):
    """The net under BEGIN IMMEDIATE: a busy answer re-runs the whole request (from a clean session), but not
    forever — after app.core.database.ATTEMPTS the caller gets the usual 500 page."""
    from app.core.database import ATTEMPTS

    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/busy.db",
                              "INSTANCE_PATH": str(tmp_path), "RATELIMIT_STORAGE_URI": "memory://",
                              "WTF_CSRF_ENABLED": False, "PROPAGATE_EXCEPTIONS": False})
    calls = {"flaky": 0, "stuck": 0}

    @application.post("/_flaky")
    def flaky():
        from flask import flash, session

        calls["flaky"] += 1
        flash("已保存。")
        if calls["flaky"] == 1:
            raise _busy()
        return {"calls": calls["flaky"], "flashes": len(session["_flashes"])}

    @application.post("/_stuck")
    def stuck():
        calls["stuck"] += 1
        raise _busy()

    client = application.test_client()
    response = client.post("/_flaky")
    assert response.status_code == 200
    assert response.get_json() == {"calls": 2, "flashes": 1}  # the failed attempt left no flash behind
    assert client.post("/_stuck").status_code == 500
    assert calls["stuck"] == ATTEMPTS


def test_a_cli_command_that_finds_sqlite_busy_runs_again(tmp_path):
    import click

    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/busy.db",
                              "INSTANCE_PATH": str(tmp_path), "RATELIMIT_STORAGE_URI": "memory://"})
    calls = []

    @application.cli.command("flaky-for-test")
    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise _busy()
        click.echo("done")

    from app.core.database import guard_commands

    guard_commands(application.cli)
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["flaky-for-test"])
    assert result.exit_code == 0 and "done" in result.output and len(calls) == 2
