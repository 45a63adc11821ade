"""The application shell: factory, headers, errors, CLI."""
from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db


def test_create_app_accepts_a_name_a_class_or_overrides(tmp_path):
    from config import TestingConfig

    for config in ("testing", TestingConfig, {"TESTING": True, "PAGE_SIZE": 7}):
        app = create_app(config if not isinstance(config, dict) else dict(config, INSTANCE_PATH=str(tmp_path)))
        assert app.config["TESTING"]
    assert create_app({"TESTING": True, "PAGE_SIZE": 7, "INSTANCE_PATH": str(tmp_path)}).config["PAGE_SIZE"] == 7


def test_production_refuses_to_start_without_a_real_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError):
        create_app({"CONFIG": "production", "INSTANCE_PATH": str(tmp_path)})


def test_production_refuses_the_demo_password(tmp_path):
    from app.auth import services
    from app.errors import ValidationError
    from config import DEMO_PASSWORD

    app = create_app({"CONFIG": "production", "SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        with pytest.raises(ValidationError):
            services.check_password_policy(DEMO_PASSWORD)
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "生产环境" in result.output


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "cdn" not in html.lower()
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_error_pages_speak_chinese_and_json_by_accept(client, login_as):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "页面不存在" in page.get_data(as_text=True)
    api = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json["error"]["status"] == 404
    login_as("student")
    forbidden = client.get("/users")
    assert forbidden.status_code == 403 and "没有权限" in forbidden.get_data(as_text=True)


def test_anonymous_users_are_sent_to_login_with_next(client):
    response = client.get("/schools?q=x")
    assert response.status_code == 302 and "/login?next=" in response.location


def test_oversized_request_is_refused(app, client, login_as):
    login_as("platform_admin")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/users/import", data={"file": (__import__("io").BytesIO(b"x" * 4096), "a.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024


def test_dates_are_written_the_chinese_way(app):
    import datetime

    from app.core.i18n import fmt_date, fmt_number

    with app.test_request_context("/"):
        assert fmt_date(datetime.date(2026, 11, 22)) == "2026年11月22日"
        assert fmt_number(1234567) == "1,234,567"


def test_users_create_from_a_script_with_password_on_stdin(runner, client):
    result = runner.invoke(args=["users", "create", "--username", "scripted", "--role", "teacher",
                                 "--school", "demo-technician-college", "--password-stdin"],
                           input="scripted-password\n")
    assert result.exit_code == 0, result.output
    assert client.form("/login", {"username": "scripted", "password": "scripted-password"}).status_code == 302
    bad = runner.invoke(args=["users", "create", "--username", "x2", "--role", "wizard"])
    assert bad.exit_code != 0 and "wizard" in bad.output


def test_demo_seed_is_idempotent_and_every_role_can_log_in(app, runner):
    from config import DEMO_PASSWORD

    first = runner.invoke(args=["demo", "seed"])
    second = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "新建 0 个，已有 6 个" in second.output
    for username in ("admin", "schooladmin", "reviewer", "teacher", "student", "mentor"):
        c = app.test_client()
        assert c.form("/login", {"username": username, "password": DEMO_PASSWORD}).status_code == 302, username
        assert c.get("/home").status_code == 200


def test_rate_limit_store_is_shared_between_processes(tmp_path):
    """Counters in the SQLite file store hold across worker processes (gunicorn forks several)."""
    import multiprocessing

    from app.core.ratelimit import SQLiteFileStorage

    uri = "sqlitefile://" + str(tmp_path / "rl.db")
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        pool.starmap(_hit, [(uri, 25)] * 4)
    assert SQLiteFileStorage(uri).get("shared-key") == 100


def _hit(uri, times):
    from app.core.ratelimit import SQLiteFileStorage

    store = SQLiteFileStorage(uri)
    for _ in range(times):
        store.incr("shared-key", 60)


def test_fresh_sqlite_file_switches_to_wal_under_concurrent_openers(tmp_path):
    """Workers starting together on a fresh file all get a WAL connection (SQLite answers "locked" at once
    to concurrent journal-mode switches; this failed CI once as a flaky rate-limit test)."""
    import multiprocessing
    import sqlite3

    ctx = multiprocessing.get_context("fork")
    for round_ in range(5):
        path = str(tmp_path / f"fresh{round_}.db")
        with ctx.Pool(8) as pool:
            modes = pool.map(_open_wal, [path] * 8)
        assert modes == ["wal"] * 8
        assert sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone() == (400,)


def _open_wal(path):
    import sqlite3

    from app.core.database import enable_wal

    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    enable_wal(conn)
    conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    for i in range(50):
        conn.execute("INSERT INTO t VALUES (?)", (i,))
    return conn.execute("PRAGMA journal_mode").fetchone()[0]


def test_migrations_match_the_models(app):
    """Alembic's autogenerate finds nothing to do: the migrations create exactly what the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engines[None].engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
