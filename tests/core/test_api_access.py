"""Every JSON route under /api/ as an unauthenticated caller and as an outsider sees it (DESIGN.md: 401 when
unauthenticated, 403 when not allowed, 404 when the object is not visible; errors as ``{"error": {...}}``).

The routes are read from the app's url_map, so a new API route is covered without editing this test. Ids are
those of the demo world (``flask demo seed``), so each request reaches a real object."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth import services as auth
from app.extensions import db
from tests import factories

#: A body that passes every route's shape checks, so an outsider is stopped by authorisation, not by validation.
BODY = {"response": "A", "seq": 1, "party": "teacher", "scores": {}, "comment": "", "value": 50, "version": 0,
        "override": False, "reason": "", "watch_session_id": 1, "position": 1, "playing": True}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Public by design (no credentials, 200): the committee directory, published demonstration bases and the job
#: board (docs/alliances.md, docs/careers.md). Keep this list small; every other API route needs credentials.
PUBLIC = {("GET", "/api/v1/committees"), ("GET", "/api/v1/bases"), ("GET", "/api/v1/job-posts")}


def api_routes(app):
    """(rule, method) of every route under /api/, every method it answers."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            routes.extend((rule, m) for m in sorted(rule.methods) if m in METHODS)
    return routes


@pytest.fixture
def world(app, runner):
    """The demo world, with an attempt of the demo student: the id of an existing object per argument name."""
    from app.courses.models import Course
    from app.exams import services as exams
    from app.exams.models import Attempt, Exam
    from app.grading.models import GradeItem
    from app.tasks.models import TaskSubmission

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    student = auth.find_user("student")
    exam = db.session.scalar(select(Exam).order_by(Exam.id))
    attempt = db.session.scalar(select(Attempt).order_by(Attempt.id))
    if attempt is None:
        attempt, _created = exams.create_attempt(exams.plan_attempt(exam, student))
    course = db.session.scalar(select(Course).order_by(Course.id))
    video = _draft_video(auth.find_user("teacher"))
    from app.notifications.models import Notification

    notification = Notification(recipient_id=student.id, kind="exams.granted", title="考试已开放", body="", url="/")
    db.session.add(notification)
    db.session.commit()
    return {"exam_id": exam.id, "attempt_id": attempt.id, "slot": 1, "course_id": course.id,
            "student_id": student.id, "user_id": student.id,
            "item_id": db.session.scalar(select(GradeItem.id).where(GradeItem.course_id == course.id)),
            "submission_id": db.session.scalar(select(TaskSubmission.id).order_by(TaskSubmission.id)),
            "video_id": video.id, "notification_id": notification.id}


def _draft_video(teacher):
    """A video still in review: only its author (and reviewers, admins) may see it; approved ones are public."""
    from app.catalog.models import Profession
    from app.core import uploads
    from app.media import services as media
    from app.media.content import demo_video_bytes

    stored = uploads.read_bytes(demo_video_bytes(seconds=2), "草稿.mp4", ["video"], prefix=media.PREFIX)
    profession = db.session.scalar(select(Profession.id).order_by(Profession.id))
    return media.add_resource(teacher, stored, profession_id=profession, title="未审核的视频")


def url_for_rule(rule, ids) -> str:
    def fill(match):
        name = match.group(1).split(":")[-1]
        assert ids.get(name), f"no demo object for <{name}> in {rule.rule}: add it to the world fixture"
        return str(ids[name])
    return re.sub(r"<([^>]+)>", fill, rule.rule)


def call(client, method, url, headers=None):
    return client.open(url, method=method, json=BODY if method in ("POST", "PUT", "PATCH") else None,
                       headers=headers or {})


def test_the_api_has_routes_to_check(app):
    assert len(api_routes(app)) >= 10


def test_every_api_route_answers_401_json_without_credentials(app, client, world):
    """No token, no cookie: 401 ``{"error": {...}}`` saying 需要登录 — not the CSRF 400, not HTML, not a 500."""
    failures = []
    for rule, method in api_routes(app):
        url = url_for_rule(rule, world)
        if (method, rule.rule) in PUBLIC:
            continue
        for headers in ({}, {"Accept": "text/html"}, {"Authorization": "Bearer gx_not_a_token"}):
            r = call(client, method, url, headers)
            body = r.get_json(silent=True) or {}
            error = body.get("error") or {}
            if r.status_code != 401 or r.mimetype != "application/json" or error.get("status") != 401:
                failures.append(f"{method} {url} {headers}: {r.status_code} {r.get_data(as_text=True)[:120]}")
            elif not headers and error.get("message") != "需要登录":
                failures.append(f"{method} {url}: message {error.get('message')!r}")
    assert not failures, "\n".join(failures)


def test_every_api_route_refuses_an_outsider_with_403_or_404_json(app, client, world):
    """A valid token of a student, teacher or mentor of another school or enterprise: 403 or 404 JSON on every
    object of the demo world. Routes without an object in their address (the CSRF token) are left out."""
    failures, checked = [], 0
    for role in ("student", "teacher", "mentor"):
        outsider = factories.user(role)
        _record, plain = auth.issue_api_token(outsider, "test")
        db.session.commit()
        headers = {"Authorization": f"Bearer {plain}"}
        for rule, method in api_routes(app):
            if not rule.arguments:
                continue
            url = url_for_rule(rule, world)
            r = call(client, method, url, headers)
            checked += 1
            error = (r.get_json(silent=True) or {}).get("error") or {}
            if r.status_code not in (403, 404) or r.mimetype != "application/json" or not error.get("message"):
                failures.append(f"{role} {method} {url}: {r.status_code} {r.get_data(as_text=True)[:160]}")
    assert checked >= 30
    assert not failures, "\n".join(failures)


def test_the_public_api_routes_answer_json_without_credentials(app, client, world):
    for method, url in sorted(PUBLIC):
        r = call(client, method, url)
        assert r.status_code == 200 and r.mimetype == "application/json", (url, r.status_code)
        assert isinstance(r.get_json()["items"], list)


def test_a_browser_session_without_csrf_token_is_still_refused(app, client, world, login_as):
    """Logged in by cookie, the API still needs the CSRF header (the 401 above does not open a hole)."""
    login_as("student")
    r = client.post(f"/api/v1/exams/{world['exam_id']}/attempts")
    assert r.status_code == 400 and r.get_json()["error"]["status"] == 400
