"""Channels other than in-app: e-mail through SMTP, webhooks (address guard, timeout, retry with back-off),
digests, sending outside the request and once only."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.notifications import delivery, services
from app.notifications.models import Delivery, Webhook
from app.notifications.netguard import UnsafeAddress, check_url
from tests import factories


def _subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def _text(message) -> str:
    return message.get_payload(decode=True).decode("utf-8")


@pytest.fixture
def smtp_server(app):
    """A local SMTP server (aiosmtpd) collecting messages; GX_SMTP_URL points at it for the test."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd checks readiness by connecting to the given port)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    old = app.config.get("SMTP_URL")
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        yield received
    finally:
        app.config["SMTP_URL"] = old
        controller.stop()


@pytest.fixture
def http_server():
    """A local HTTP server recording JSON posts; ``state["delay"]`` makes it hang that many seconds."""
    state = {"posts": [], "delay": 0.0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state["delay"]:
                time.sleep(state["delay"])
            state["posts"].append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode":0}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/robot"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_email_is_sent_after_the_commit_and_respects_the_preference(app, smtp_server):
    wants = factories.user("student", email="wants@example.cn")
    declines = factories.user("student", email="no@example.cn")
    services.save_preferences(declines.id, set())
    services.notify("exams.granted", [wants.id, declines.id], title="您可以参加考试：安全测验", url="/my/exams")
    db.session.commit()
    assert smtp_server == []  # nothing went out inside the request's transaction
    assert delivery.deliver_pending() == {"sent": 1, "retry": 0, "failed": 0}
    [message] = smtp_server
    assert message["To"] == "wants@example.cn" and "安全测验" in _subject(message)
    assert delivery.deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}  # sent once


def test_many_events_for_one_person_become_one_digest_email(app, smtp_server):
    user = factories.user("student", email="busy@example.cn")
    for n in range(40):
        services.notify("imports.finished", [user.id], title=f"导入 {n} 完成")
        services.notify("exams.granted", [user.id], title=f"考试 {n}")
    db.session.commit()
    counts = delivery.deliver_pending()
    assert counts["sent"] == 40  # exams.granted goes by e-mail by default; imports.finished does not
    [digest] = smtp_server
    assert "40 条新消息" in _subject(digest) and "另有 20 条" in _text(digest)


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest",
                                 "http://[::1]/hook", "http://localhost:8080/x", "ftp://example.cn/x"])
def test_webhooks_to_loopback_private_or_link_local_addresses_are_refused(client, login_as, url):
    login_as("platform_admin")
    response = client.form("/notifications/webhooks", {"name": "机器人", "url": url},
                           token_from="/notifications/webhooks")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "已拒绝" in page or "http://" in page
    assert url.replace("&", "&amp;") in page  # what was typed is kept
    assert db.session.scalar(select(Webhook.id)) is None
    with pytest.raises(UnsafeAddress):
        check_url(url)


def test_only_platform_admins_set_webhooks(client, login_as):
    login_as("school_admin")
    assert client.get("/notifications/webhooks").status_code == 403


def test_a_webhook_posts_json_and_a_hanging_one_times_out_and_is_retried_later(app, client, login_as, http_server):
    admin = login_as("platform_admin")
    response = client.form("/notifications/webhooks", {"name": "实训群", "url": http_server["url"],
                                                       "allow_private": "y", "kinds": ["exams.granted"]},
                           token_from="/notifications/webhooks")
    assert response.status_code == 302
    student = factories.user("student")
    services.notify("exams.granted", [student.id], title="您可以参加考试：焊接", url="/my/exams")
    services.notify("imports.finished", [admin.id], title="不推送的类型")
    db.session.commit()
    assert delivery.deliver_pending()["sent"] == 1
    [post] = http_server["posts"]
    assert post["msgtype"] == "text" and "焊接" in post["text"]["content"]

    app.config["WEBHOOK_TIMEOUT"] = 0.3
    http_server["delay"] = 1.0
    try:
        services.notify("exams.granted", [student.id], title="第二场")
        db.session.commit()
        started = time.monotonic()
        assert delivery.deliver_pending()["retry"] == 1
        assert time.monotonic() - started < 1.0  # the timeout, not the hang
        row = db.session.scalar(select(Delivery).where(Delivery.state == "pending"))
        assert row.attempts == 1 and "timed out" in row.last_error.lower()
        assert clock.as_utc(row.next_attempt_at) >= clock.now() + timedelta(seconds=50)  # backed off
        assert delivery.deliver_pending()["retry"] == 0  # not yet due
        http_server["delay"] = 0
        assert delivery.deliver_pending(now=clock.now() + timedelta(minutes=2))["sent"] == 1
    finally:
        app.config["WEBHOOK_TIMEOUT"] = 5


def test_a_delivery_that_keeps_failing_is_given_up(app, smtp_server):
    user = factories.user("student", email="x@example.cn")
    services.notify("exams.granted", [user.id], title="t")
    db.session.commit()
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"  # nothing listens there
    moment = clock.now()
    for _ in range(len(delivery.BACKOFF) + 1):
        delivery.deliver_pending(now=moment)
        moment += timedelta(days=1)
    row = db.session.scalar(select(Delivery))
    assert row.state == "failed" and row.attempts == len(delivery.BACKOFF) + 1


def test_the_request_that_causes_notifications_is_not_slowed_by_a_hanging_webhook(app, client, login_as,
                                                                                  http_server):
    """Granting an exam with a webhook that hangs: the page answers at once; the post waits for the sender."""
    db.session.add(Webhook(name="慢", url=http_server["url"], allow_private=True, kinds=[]))
    http_server["delay"] = 2.0
    teacher = login_as("teacher")
    student = factories.user("student", school_=teacher.school)
    from tests.workbench import builders

    exam = builders.open_exam([], creator=teacher)
    db.session.commit()
    token = client.csrf_token(f"/exams/{exam.id}")
    started = time.monotonic()
    client.post(f"/exams/{exam.id}/grants", data={"csrf_token": token, "usernames": student.username,
                                                   "extra_minutes": "0"})
    assert time.monotonic() - started < 1.0
    assert http_server["posts"] == []
    assert db.session.scalar(select(Delivery.state)) == "pending"
