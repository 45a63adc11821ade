"""The calendar feed: a secret iCalendar address with the learner's deadlines and exam windows in Beijing time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from app.core import clock
from app.extensions import db
from tests.workbench import builders


def test_feed_parses_back_with_deadlines_and_exam_window_in_beijing_time(client, login_as):
    a, _course, _teacher, (student, _other) = builders.work_task()
    closes = datetime(2030, 6, 1, 8, 0, tzinfo=timezone.utc)  # 16:00 in Beijing
    builders.open_exam([student], opens_at=closes - timedelta(hours=2), closes_at=closes)
    db.session.commit()
    login_as(user=student)
    url = client.get("/api/v1/me/calendar").get_json()["url"]
    assert url == client.get("/api/v1/me/calendar").get_json()["url"]  # the same address each time
    path = url.split("://", 1)[1].split("/", 1)[1]
    client.form("/logout", token_from="/home")
    response = client.get("/" + path)  # a calendar app: no login
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert len(events) == len(a.stages) + 1
    exam = next(e for name, e in events.items() if "考试" in name)
    start, end = exam.decoded("dtstart"), exam.decoded("dtend")
    assert str(end.tzinfo) == "Asia/Shanghai" and end.hour == 16 and end == closes
    assert (end - start) == timedelta(hours=2)
    stage = next(e for name, e in events.items() if "信息" in name)
    due = next(s.due_at for s in a.stages if s.key == "inform")
    assert stage.decoded("dtstart") == clock.as_utc(due).replace(microsecond=0)
    assert any(c.name == "VTIMEZONE" for c in cal.walk())


def test_account_page_shows_the_address_and_reset_revokes_the_old_one(client, login_as):
    login_as("student")
    page = client.get("/account").get_data(as_text=True)
    assert 'data-testid="calendar-url"' in page and "/calendar/" in page
    old = client.get("/api/v1/me/calendar").get_json()["url"]
    old_path = "/calendar/" + old.rsplit("/calendar/", 1)[1]
    assert client.get(old_path).status_code == 200
    client.form("/notifications/calendar/reset", token_from="/account")
    assert client.get(old_path).status_code == 404
    new = client.get("/api/v1/me/calendar").get_json()["url"]
    assert new != old and client.get("/calendar/" + new.rsplit("/calendar/", 1)[1]).status_code == 200


def test_revoked_or_unknown_secret_is_404(client, login_as):
    login_as("student")
    url = client.get("/api/v1/me/calendar").get_json()["url"]
    path = "/calendar/" + url.rsplit("/calendar/", 1)[1]
    token = client.csrf_token("/account")
    assert client.delete("/api/v1/me/calendar", headers={"X-CSRFToken": token}).get_json() == {"url": None}
    assert client.get(path).status_code == 404
    assert client.get("/calendar/not-a-secret.ics").status_code == 404
    assert client.get("/api/v1/me/calendar", headers={"Accept": "application/json"}).status_code == 200


def test_calendar_api_needs_login(client):
    assert client.get("/api/v1/me/calendar").status_code == 401
