"""The calendar feed: a secret, revocable iCalendar address per user with their deadlines (work-task stages) and
exam windows, in Beijing time (``BABEL_DEFAULT_TIMEZONE``), for phone and desktop calendar apps."""
from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import delete, or_, select

from app.core import clock
from app.courses.models import Enrollment, EnrollmentRole, EnrollmentStatus
from app.extensions import db
from app.notifications.models import CalendarFeed


def feed_of(user_id: int) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))


def ensure_feed(user_id: int) -> CalendarFeed:
    """The user's feed, created on first use (idempotent: the same secret until it is reset or revoked)."""
    feed = feed_of(user_id)
    if feed is None:
        feed = CalendarFeed(user_id=user_id, secret=secrets.token_urlsafe(32))
        db.session.add(feed)
        db.session.flush()
    return feed


def reset_feed(user_id: int) -> CalendarFeed:
    """A new secret: the old address stops working at once."""
    revoke_feed(user_id)
    return ensure_feed(user_id)


def revoke_feed(user_id: int) -> None:
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    db.session.flush()


def owner_of(secret: str):
    """The user whose feed has this secret, or None (unknown, revoked, or inactive account)."""
    from app.auth.models import User

    if not secret or len(secret) > 64:
        return None
    return db.session.scalar(select(User).join(CalendarFeed, CalendarFeed.user_id == User.id)
                             .where(CalendarFeed.secret == secret, User.is_active.is_(True)))


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    return clock.as_utc(value).astimezone(zone)


def events(user) -> list[dict]:
    """``[{"uid", "summary", "start", "end", "url"}]`` (UTC datetimes): the due time of every stage of the user's
    own work in courses they still take part in, and the window of every exam granted to them."""
    from app.exams.models import Exam, ExamGrant
    from app.tasks.models import AssignmentStage, TaskAssignment, TaskGroupMember, TaskSubmission

    out = []
    groups = select(TaskGroupMember.group_id).where(TaskGroupMember.student_id == user.id)
    learning = select(Enrollment.course_id).where(Enrollment.user_id == user.id,
                                                  Enrollment.status == EnrollmentStatus.active.value,
                                                  Enrollment.role == EnrollmentRole.learner.value)
    rows = db.session.execute(
        select(TaskSubmission.id, AssignmentStage.id, AssignmentStage.name, AssignmentStage.due_at, TaskAssignment.title)
        .join(TaskAssignment, TaskAssignment.id == TaskSubmission.assignment_id)
        .join(AssignmentStage, AssignmentStage.assignment_id == TaskAssignment.id)
        .where(or_(TaskSubmission.student_id == user.id, TaskSubmission.group_id.in_(groups)),
               TaskAssignment.course_id.in_(learning), AssignmentStage.due_at.is_not(None)))
    for submission_id, stage_id, stage_name, due_at, title in rows:
        out.append({"uid": f"stage-{submission_id}-{stage_id}", "summary": f"{title} · {stage_name}",
                    "start": due_at, "end": due_at, "url": f"/tasks/submissions/{submission_id}/stages/{stage_id}"})
    for exam_id, title, opens_at, closes_at in db.session.execute(
            select(Exam.id, Exam.title, Exam.opens_at, Exam.closes_at).join(ExamGrant, ExamGrant.exam_id == Exam.id)
            .where(ExamGrant.user_id == user.id, Exam.closes_at.is_not(None))):
        out.append({"uid": f"exam-{exam_id}", "summary": title, "start": opens_at or closes_at, "end": closes_at,
                    "url": "/my/exams"})
    return out


def ics(user, base_url: str = "") -> bytes:
    """The user's feed as iCalendar text (times with the Beijing TZID and its VTIMEZONE)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    host = (base_url or "gongxue").split("//")[-1].strip("/") or "gongxue"
    cal = Calendar()
    cal.add("prodid", "-//Gongxue//workbench//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "工学一体化平台")
    cal.add("x-wr-timezone", str(zone))
    stamp = clock.now()
    for item in events(user):
        event = Event()
        event.add("uid", f"{item['uid']}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", item["summary"])
        start, end = _local(item["start"], zone), _local(item["end"], zone)
        event.add("dtstart", start)
        event.add("dtend", end)
        if base_url:
            event.add("url", base_url.rstrip("/") + item["url"])
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
