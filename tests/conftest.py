"""Shared fixtures: one database per test session (migrated with Alembic, content/ loaded), and a rollback
after every test, so tests see a clean, realistic database without paying for its creation each time.

``TEST_DATABASE_URL`` selects the database (``make test-postgres`` sets it to a throw-away PostgreSQL);
without it the suite uses a SQLite file in a temporary folder.
"""
from __future__ import annotations

import os
import re
import tempfile

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from app import create_app
from app.core import clock
from app.extensions import db, limiter

ON_CI = os.environ.get("CI") == "true"
PASSWORD = "correct-horse-battery"


class Client(FlaskClient):
    """A test client that can fetch and send CSRF tokens like a browser does.

    Each request runs in its own application context (fresh ``g`` and database session), as in production;
    otherwise the test's own context would be reused and Flask-Login and CSRF would cache across requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, path: str = "/login") -> str:
        page = self.get(path).get_data(as_text=True)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def form(self, url: str, data: dict | None = None, *, token_from: str = "/login", **kwargs):
        """POST a form with a valid CSRF token, as a browser submitting a rendered form would."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(token_from))
        return self.post(url, data=data, **kwargs)


@pytest.fixture(scope="session")
def app():
    tmp = tempfile.mkdtemp(prefix="gx-test-")
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + os.path.join(tmp, "test.db")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url.startswith("postgresql") and worker:
        url = _worker_database(url, worker)
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": tmp,
        "RATELIMIT_STORAGE_URI": "memory://",
        "STORAGE_URL": "file://" + os.path.join(tmp, "storage"),
    })
    application.test_client_class = Client
    with application.app_context():
        from flask_migrate import upgrade

        if url.startswith("postgresql"):
            from sqlalchemy import text

            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        from app.core.content import default_content_root, load_content

        load_content(default_content_root())
        db.session.commit()
        db.session.remove()
    yield application


def _worker_database(url: str, worker: str) -> str:
    """Each xdist worker gets its own PostgreSQL database (they would otherwise drop each other's schema)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def _transaction(app):
    """Run each test inside a transaction that is rolled back; commits in views become savepoints."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        engines[None] = connection
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        limiter.reset()
        try:
            yield connection
        finally:
            db.session.remove()
            engines[None] = engine
            if outer.is_active:
                outer.rollback()
            connection.close()
            clock.set_now(None)


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(app, client):
    """``login_as("teacher")`` creates a user with that role (and a school where one fits) and logs in."""
    from tests import factories

    def _login(role: str = "platform_admin", *, user=None, client_=None, **kwargs):
        c = client_ or client
        if user is None:
            user = factories.user(role, **kwargs)
            db.session.commit()
        response = c.form("/login", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return user

    return _login


@pytest.fixture
def count_queries(app, _transaction):
    """Count SQL statements sent while the block runs: ``with count_queries() as q: ...; q.count``."""
    import contextlib

    class Counter:
        count = 0
        statements: list[str] = []

    @contextlib.contextmanager
    def _count():
        counter = Counter()
        counter.statements = []

        def _before(conn, cursor, statement, parameters, context, executemany):
            if statement.strip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                return
            counter.count += 1
            counter.statements.append(statement)

        event.listen(db.engines[None].engine, "before_cursor_execute", _before)
        try:
            yield counter
        finally:
            event.remove(db.engines[None].engine, "before_cursor_execute", _before)

    return _count


def require_or_skip(condition: bool, reason: str) -> None:
    """Skip locally when a tool is missing; on CI (CI=true) a missing tool is a failure."""
    if condition:
        return
    if ON_CI:
        pytest.fail(f"required on CI: {reason}")
    pytest.skip(reason)
