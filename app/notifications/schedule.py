"""Reminders before deadlines (due tasks of app/core/schedule.py), and sending queued deliveries after each
scheduler round.

A reminder goes ``LEADS`` before a stage is due (to the learners whose stage is still open or returned) and before
an exam closes (to the learners granted it who have not handed in an attempt). Each is keyed
(``stage:<submission stage>:<user>:24h``) and inserted into :class:`Reminder` with "insert or skip": only the run
that inserted a key sends that reminder, so two runs — one after the other, or on two servers at the same moment
— send it once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, exists, func, literal, or_, select

from app.auth.models import User
from app.core import clock
from app.core.i18n import fmt_datetime
from app.core.jobs import follow_up
from app.core.schedule import due_task
from app.courses.models import Enrollment, EnrollmentRole, EnrollmentStatus
from app.extensions import db
from app.notifications import delivery, services
from app.notifications.models import Reminder
from app.notifications.receivers import _platform_language, url_for

#: (how long before the deadline, label in the key). A deadline closer than the smaller lead gets only that one.
LEADS = ((timedelta(hours=24), "24h"), (timedelta(hours=2), "2h"))
#: Keys inserted per statement.
CHUNK = 2000


def _window(now: datetime, index: int) -> tuple[datetime, datetime]:
    """Deadlines that fall in (now + next smaller lead, now + this lead] get this lead's reminder."""
    lead = LEADS[index][0]
    smaller = LEADS[index + 1][0] if index + 1 < len(LEADS) else timedelta(0)
    return now + smaller, now + lead


def claim_keys(keys: list[str]) -> set[str]:
    """Insert the keys not yet in :class:`Reminder`; return those this call inserted (insert or skip)."""
    if not keys:
        return set()
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = clock.now()
    won: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        stmt = (insert(Reminder).values([{"key": k, "created_at": now} for k in chunk])
                .on_conflict_do_nothing(index_elements=["key"]).returning(Reminder.key))
        won.update(db.session.scalars(stmt))
    return won


def _formatter():
    """fmt_datetime memoised for one round: thousands of reminders share a handful of deadlines, and Babel's
    formatting is the slow part of writing them."""
    cache: dict = {}

    def fmt(value):
        if value not in cache:
            cache[value] = fmt_datetime(value)
        return cache[value]

    return fmt


def _learner(course_id_column, user_column):
    return exists().where(Enrollment.course_id == course_id_column, Enrollment.user_id == user_column,
                          Enrollment.role == EnrollmentRole.learner.value,
                          Enrollment.status == EnrollmentStatus.active.value)


@due_task("notifications.stage_reminders")
def remind_stages(now: datetime) -> int:
    """Remind learners of open (or returned) stages falling due within 24 h and within 2 h."""
    from app.tasks.models import (AssignmentStage, StageState, SubmissionStage, TaskAssignment, TaskGroupMember,
                                  TaskSubmission)

    user_id = func.coalesce(TaskSubmission.student_id, TaskGroupMember.student_id)
    sent = 0
    for index, (_lead, label) in enumerate(LEADS):
        start, end = _window(now, index)
        rows = db.session.execute(
            select(SubmissionStage.id, user_id, TaskSubmission.id, AssignmentStage.id, AssignmentStage.name,
                   AssignmentStage.due_at, TaskAssignment.title)
            .select_from(SubmissionStage)
            .join(TaskSubmission, TaskSubmission.id == SubmissionStage.submission_id)
            .outerjoin(TaskGroupMember, TaskGroupMember.group_id == TaskSubmission.group_id)
            .join(AssignmentStage, AssignmentStage.id == SubmissionStage.stage_id)
            .join(TaskAssignment, TaskAssignment.id == TaskSubmission.assignment_id)
            .join(User, User.id == user_id)
            .where(SubmissionStage.state.in_([StageState.open.value, StageState.returned.value]),
                   AssignmentStage.due_at > start, AssignmentStage.due_at <= end, User.is_active.is_(True),
                   _learner(TaskAssignment.course_id, user_id))).all()
        keyed = {f"stage:{row[0]}:{row[1]}:{label}": row for row in rows}
        won = claim_keys(sorted(keyed))
        if not won:
            continue
        with _platform_language():
            fmt = _formatter()
            pattern = url_for("tasks.stage", submission_id=2147483646, stage_id=2147483647)
            entries = [(uid, _("提醒：%(task)s · %(stage)s 将于 %(time)s 截止", task=title, stage=stage_name,
                               time=fmt(due_at)), "",
                        pattern.replace("2147483646", str(submission_id)).replace("2147483647", str(stage_id)))
                       for key, (_ss, uid, submission_id, stage_id, stage_name, due_at, title) in keyed.items()
                       if key in won]
        sent += _send(entries)
    return sent


@due_task("notifications.exam_reminders")
def remind_exams(now: datetime) -> int:
    """Remind learners granted an exam closing within 24 h / 2 h who have not handed in an attempt."""
    from app.exams.models import Attempt, AttemptState, Exam, ExamGrant

    sent = 0
    for index, (_lead, label) in enumerate(LEADS):
        start, end = _window(now, index)
        rows = db.session.execute(
            select(Exam.id, ExamGrant.user_id, Exam.title, Exam.closes_at)
            .join(ExamGrant, ExamGrant.exam_id == Exam.id).join(User, User.id == ExamGrant.user_id)
            .where(Exam.closes_at > start, Exam.closes_at <= end, User.is_active.is_(True),
                   or_(Exam.opens_at.is_(None), Exam.opens_at <= now),
                   ~exists().where(and_(Attempt.exam_id == Exam.id, Attempt.user_id == ExamGrant.user_id,
                                        Attempt.state != AttemptState.in_progress.value)))).all()
        keyed = {f"exam:{exam_id}:{uid}:{label}": (uid, title, closes_at) for exam_id, uid, title, closes_at in rows}
        won = claim_keys(sorted(keyed))
        if not won:
            continue
        with _platform_language():
            fmt = _formatter()
            url = url_for("exams.mine")
            entries = [(uid, _("提醒：考试“%(exam)s”将于 %(time)s 结束，您还没有交卷", exam=title,
                               time=fmt(closes_at)), "", url)
                       for key, (uid, title, closes_at) in keyed.items() if key in won]
        sent += _send(entries)
    return sent


#: An exam that opened longer ago than this is not announced any more (a scheduler that was off for days).
OPENED_WITHIN = timedelta(hours=12)


@due_task("notifications.exams_opened")
def announce_opened_exams(now: datetime) -> int:
    """Tell the learners granted an exam that it is open now (once, keyed like the reminders), when it opened
    after they were granted it (a grant to an open exam was announced by the grant itself)."""
    from app.exams.models import Exam, ExamGrant

    rows = db.session.execute(
        select(Exam.id, ExamGrant.user_id, Exam.title, Exam.closes_at)
        .join(ExamGrant, ExamGrant.exam_id == Exam.id).join(User, User.id == ExamGrant.user_id)
        .where(Exam.opens_at.is_not(None), Exam.opens_at <= now, Exam.opens_at > now - OPENED_WITHIN,
               ExamGrant.created_at < Exam.opens_at, User.is_active.is_(True),
               or_(Exam.closes_at.is_(None), Exam.closes_at > now))).all()
    keyed = {f"exam-open:{exam_id}:{uid}": (uid, title, closes_at) for exam_id, uid, title, closes_at in rows}
    won = claim_keys(sorted(keyed))
    if not won:
        return 0
    with _platform_language():
        fmt = _formatter()
        url = url_for("exams.mine")
        entries = [(uid, _("考试已开始：%(exam)s", exam=title),
                    _("截止：%(t)s", t=fmt(closes_at)) if closes_at else "", url)
                   for key, (uid, title, closes_at) in keyed.items() if key in won]
    return _send(entries, kind="exams.granted")


#: Exams that closed longer ago than this are not looked at any more (their results were announced or are old).
CLOSED_WITHIN = timedelta(days=7)


@due_task("notifications.exam_results_after_close")
def announce_results_after_close(now: datetime) -> int:
    """Tell students the result of a graded attempt once the exam's review policy shows its score — for policies
    that show scores only after the exam closes, that is when the window ends, not when grading finished. Keyed
    ``results:<attempt>`` like the immediate notice (app/notifications/receivers.py), so each attempt is
    announced once whichever comes first."""
    from app.exams import review
    from app.exams.models import Attempt, AttemptState, Exam, ExamGrant

    attempts = db.session.scalars(
        select(Attempt).join(Exam, Exam.id == Attempt.exam_id)
        .join(ExamGrant, and_(ExamGrant.exam_id == Attempt.exam_id, ExamGrant.user_id == Attempt.user_id))
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.state == AttemptState.graded.value, Exam.closes_at.is_not(None), Exam.closes_at <= now,
               Exam.closes_at > now - CLOSED_WITHIN, User.is_active.is_(True),
               ~exists().where(Reminder.key == literal("results:", String) + cast(Attempt.id, String)))).all()
    due = {f"results:{a.id}": a for a in attempts if "points" in review.visible_aspects(a, a.exam, now)}
    won = claim_keys(sorted(due))
    if not won:
        return 0
    with _platform_language():
        url = url_for("exams.mine")
        entries = [(a.user_id, _("考试成绩已出：%(exam)s", exam=a.exam.title), "", url)
                   for key, a in due.items() if key in won]
    return _send(entries, kind="exams.results")


def _send(entries: list[tuple], kind: str = "reminders.due") -> int:
    """Write reminders; a user with several at once gets each (they are separate deadlines)."""
    by_user: dict[int, list[tuple]] = {}
    for entry in entries:
        by_user.setdefault(entry[0], []).append(entry)
    total = 0
    # notify_each keeps one notification per user per call: call it once per "layer" of each user's reminders.
    while by_user:
        layer = [items.pop() for items in by_user.values()]
        by_user = {uid: items for uid, items in by_user.items() if items}
        total += services.notify_each(kind, layer)
    return total


@follow_up("notifications.send")
def send_queued(now: datetime):
    """Send queued e-mails and webhook calls, retrying failed ones whose back-off has passed."""
    return delivery.deliver_pending(now)
