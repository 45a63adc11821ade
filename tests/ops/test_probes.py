"""Operations endpoints as a load balancer, Prometheus and a log collector see them."""
from __future__ import annotations

import io
import json
import logging
import os
import re
import tempfile

import pytest

from app import create_app
from app.extensions import db
from app.ops.logs import JsonFormatter
from tests.conftest import Client


def _app(**overrides):
    tmp = tempfile.mkdtemp(prefix="gx-ops-")
    config = {"TESTING": True, "INSTANCE_PATH": tmp, "RATELIMIT_STORAGE_URI": "memory://",
              "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(tmp, "ops.db"),
              "STORAGE_URL": "file://" + os.path.join(tmp, "storage")}
    config.update(overrides)
    application = create_app(config)
    application.test_client_class = Client
    return application


def _metrics_text(client, token="s3cret-token") -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_healthz_and_readyz_answer_on_a_working_node(client):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_data(as_text=True)
    body = ready.get_json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "ratelimit": "ok", "storage": "ok"}


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://nobody:pw@127.0.0.1:1/nothing",
    "sqlite:////nonexistent-folder-gx/none/db.sqlite",
])
def test_broken_database_fails_readyz_but_not_healthz(url):
    application = _app(SQLALCHEMY_DATABASE_URI=url)
    client = application.test_client()
    assert client.get("/healthz").status_code == 200  # a database restart must not take every node out
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database"]
    assert body["checks"]["storage"] == "ok"
    # The reason goes to the log, not to the anonymous caller (it names hosts and accounts).
    assert "nobody" not in ready.get_data(as_text=True) and "127.0.0.1" not in ready.get_data(as_text=True)


@pytest.mark.parametrize("storage_url", [
    "file:///dev/null/storage",                                   # cannot be created
    "s3://bucket?endpoint=http://127.0.0.1:1&region=us-east-1",   # object store not reachable
])
def test_unreachable_storage_fails_readyz(storage_url, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    application = _app(STORAGE_URL=storage_url)
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    ready = application.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["failing"] == ["storage"]
    assert ready.get_json()["checks"]["database"] == "ok"


def test_readonly_storage_folder_fails_readyz(tmp_path):
    folder = tmp_path / "storage"
    if os.geteuid() == 0:  # root writes past permission bits (as CI does): a file where the folder should be
        folder.write_text("not a folder")
    else:
        folder.mkdir()
        folder.chmod(0o500)
    application = _app(STORAGE_URL=f"file://{folder}")
    try:
        assert application.test_client().get("/readyz").get_json()["failing"] == ["storage"]
    finally:
        if folder.is_dir():
            folder.chmod(0o700)


def test_metrics_off_without_token_and_refused_with_a_wrong_one(app, client):
    app.config["METRICS_TOKEN"] = None
    off = client.get("/metrics")
    assert off.status_code == 404
    unknown = client.get("/no-such-page")
    assert off.get_data(as_text=True) == unknown.get_data(as_text=True).replace("/no-such-page", "/metrics")
    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics?token=s3cret-token").status_code == 401
        assert "gongxue_request_duration_seconds" in _metrics_text(client)
    finally:
        app.config["METRICS_TOKEN"] = None


def test_request_latency_is_labelled_by_url_rule_not_raw_path(app, client):
    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        client.get("/exams/987654")
        client.get("/login")
        text = _metrics_text(client)
    finally:
        app.config["METRICS_TOKEN"] = None
    assert re.search(r'gongxue_request_duration_seconds_count\{method="GET",route="/exams/<int:exam_id>",'
                     r'status="3xx"\} [1-9]', text), text
    assert 'route="/login"' in text
    assert "987654" not in text
    assert 'route="/healthz"' not in text  # probes are not timed


def test_exam_autosave_latency_is_measured(app, client):
    from tests import factories
    from tests.exams import builders
    from app.auth import services as auth

    teacher = factories.user("teacher")
    student = factories.user("student", school_=teacher.school)
    question = builders.question(builders.bank(), "single_choice")
    exam = builders.fixed_exam([question], students=[student], creator=teacher, time_limit_minutes=30)
    db.session.commit()
    headers = {"Authorization": "Bearer " + auth.issue_api_token(student, "test")[1]}
    attempt = client.post(f"/api/v1/exams/{exam.id}/attempts", headers=headers).get_json()["attempt_id"]

    def count(outcome: str, text: str) -> float:
        found = re.search(rf'gongxue_exam_autosave_duration_seconds_count\{{outcome="{outcome}"\}} ([0-9.e+]+)', text)
        return float(found.group(1)) if found else 0.0

    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        before = _metrics_text(client)
        url = f"/api/v1/attempts/{attempt}/items/1"
        assert client.put(url, json={"response": "A", "seq": 1}, headers=headers).status_code == 200
        assert client.put(url, json={"response": "A", "seq": 1}, headers=headers).status_code == 409
        after = _metrics_text(client)
    finally:
        app.config["METRICS_TOKEN"] = None
    assert count("saved", after) == count("saved", before) + 1
    assert count("refused", after) == count("refused", before) + 1


def test_request_id_is_taken_from_the_header_or_generated_and_echoed(client):
    given = client.get("/login", headers={"X-Request-ID": "nginx-4f1c2a9b7d"})
    assert given.headers["X-Request-ID"] == "nginx-4f1c2a9b7d"
    fresh = client.get("/login")
    other = client.get("/login")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"])
    assert fresh.headers["X-Request-ID"] != other.headers["X-Request-ID"]
    forged = client.get("/login", headers={"X-Request-ID": 'x" injected=1 level=ERROR'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    assert client.get("/no-such-page").headers["X-Request-ID"]  # error answers carry it too


@pytest.fixture
def json_log():
    application = _app(LOG_JSON=True)
    root = logging.getLogger()
    handlers = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    assert handlers, "LOG_JSON installs a JSON handler on the root logger"
    stream = io.StringIO()
    old = [h.setStream(stream) for h in handlers]
    try:
        yield application, stream
    finally:
        for handler, previous in zip(handlers, old):
            handler.setStream(previous)
            root.removeHandler(handler)


def test_json_logs_one_line_per_request(json_log):
    application, stream = json_log
    client = application.test_client()
    response = client.get("/login?next=/x", headers={"X-Request-ID": "abc123-request"})
    client.get("/exams/42")
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    access = [entry for entry in lines if entry["logger"] == "gongxue.access"]
    assert len(access) == 2, lines
    first, second = access
    assert first["request_id"] == "abc123-request" == response.headers["X-Request-ID"]
    assert (first["method"], first["route"], first["status"]) == ("GET", "/login", response.status_code)
    assert isinstance(first["duration_ms"], (int, float)) and first["duration_ms"] >= 0
    assert first["time"].endswith("+00:00")
    assert second["route"] == "/exams/<int:exam_id>" and second["status"] == 302
    assert second["request_id"] != first["request_id"]


_WORKER = """
import os, sys, tempfile
from app import create_app
tmp = tempfile.mkdtemp()
app = create_app({"TESTING": True, "INSTANCE_PATH": tmp, "RATELIMIT_STORAGE_URI": "memory://",
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///" + tmp + "/x.db", "METRICS_TOKEN": "tok-123456"})
client = app.test_client()
if sys.argv[1] == "serve":
    client.get("/login")
    client.get("/login")
else:
    sys.stdout.write(client.get("/metrics", headers={"Authorization": "Bearer tok-123456"}).get_data(as_text=True))
"""


def test_metrics_add_up_across_worker_processes(tmp_path):
    """Under gunicorn each worker is a process: with PROMETHEUS_MULTIPROC_DIR the one scraped reports the
    requests another served."""
    import subprocess
    import sys

    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, "-c", _WORKER, "serve"], env=env, cwd=root, check=True, timeout=120)
    text = subprocess.run([sys.executable, "-c", _WORKER, "scrape"], env=env, cwd=root, check=True, timeout=120,
                          capture_output=True, text=True).stdout
    found = re.search(r'gongxue_request_duration_seconds_count\{method="GET",route="/login",status="[23]xx"\} '
                      r'([0-9.]+)', text)
    assert found and float(found.group(1)) == 2.0, text[:3000]
