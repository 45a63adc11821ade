"""Managing training programs, 学时 for completed training courses, and offline training sessions.

Kept apart from ``services.py`` (watching, the ledger primitives and certificates) so each module stays small.
Functions flush, never commit.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from app.certification import services
from app.certification.models import (CourseCredit, CreditHourEntry, OfflineSession, ProgramEnrollment,
                                      TeacherLevel, TrainingProgram)
from app.core.pagination import Page
from app.core.signals import results_changed
from app.errors import ValidationError, get_or_raise
from app.extensions import db

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
TRAINING_COURSE = "training_course"
#: Most 学时 a course can be worth on completion: it is credited as ONE ledger line, and the ledger refuses a
#: line over 24 学时 (``services.record_credit``).
MAX_COURSE_CREDIT_HOURS = 24.0


# ---- programs ------------------------------------------------------------------------------------------------
def levels() -> list[TeacherLevel]:
    """The teacher levels (data from content/teacher_levels.yaml), lowest first."""
    return list(db.session.scalars(select(TeacherLevel).order_by(TeacherLevel.position)))


def search_programs(q: str = "", level_id: int | None = None, state: str = "") -> Select:
    """Programs matching a title/key search, a level and ``open``/``closed`` (a select to paginate)."""
    stmt = (select(TrainingProgram).join(TeacherLevel, TeacherLevel.id == TrainingProgram.level_id)
            .order_by(TeacherLevel.position, TrainingProgram.title, TrainingProgram.id))
    q = (q or "").strip()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(TrainingProgram.title.ilike(like), TrainingProgram.key.ilike(like)))
    if level_id:
        stmt = stmt.where(TrainingProgram.level_id == level_id)
    if state in PROGRAM_STATES:
        stmt = stmt.where(TrainingProgram.is_open.is_(PROGRAM_STATES[state]))
    return stmt


#: Filter values of the admin list: published (teachers may enroll) or unpublished.
PROGRAM_STATES = {"open": True, "closed": False}


def visible_programs(user) -> list[TrainingProgram]:
    """What the training page lists: platform admins see every program, others the published ones plus any
    they are already enrolled in (an unpublished program does not vanish from a learner's list)."""
    stmt = search_programs()
    if not user.has_role("platform_admin"):
        mine = select(ProgramEnrollment.program_id).where(ProgramEnrollment.user_id == user.id)
        stmt = stmt.where(or_(TrainingProgram.is_open.is_(True), TrainingProgram.id.in_(mine)))
    return list(db.session.scalars(stmt).unique())


def training_courses() -> list:
    """Training courses (kind ``training_course``) a program may require, by title."""
    from app.courses.models import Course

    return list(db.session.scalars(select(Course).where(Course.kind == TRAINING_COURSE).order_by(Course.title)))


@dataclass
class CourseRequirement:
    """One row of the program form: a training course, its minimum 学时 in the program, and the 学时 earned by
    completing it (``None`` = leave the course's completion credit as it is)."""

    course_id: int
    min_hours: float
    credit_hours: float | None = None


def save_program(*, program: TrainingProgram | None, key: str, title: str, level_id: int,
                 requirements: Sequence[CourseRequirement], prerequisite_level_id: int | None = None,
                 min_total_hours: float = 0.0, exam_id: int | None = None, exam_pass_percent: float = 60.0,
                 practical_title: str = "", practical_pass_score: float = 60.0, validity_years: int | None = None,
                 description: str = "", is_open: bool = True) -> TrainingProgram:
    """Create (``program`` None) or edit a program from the admin form, checking every reference first.

    The key is fixed once created (certificates and CLI scripts refer to it). Completion credits given in
    ``requirements`` are stored per course (:class:`CourseCredit`)."""
    from app.courses.models import Course
    from app.exams.models import Exam

    key = program.key if program is not None else (key or "").strip().lower()
    if not KEY_PATTERN.match(key):
        raise ValidationError(_("项目代码只能包含小写字母、数字和连字符（2–64 个字符）。"))
    if program is None and db.session.scalar(select(TrainingProgram.id).where(TrainingProgram.key == key)):
        raise ValidationError(_("项目代码“%(k)s”已被使用。", k=key))
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("请填写项目名称。"))
    level = db.session.get(TeacherLevel, level_id) if level_id else None
    if level is None:
        raise ValidationError(_("请选择层级。"))
    prerequisite = db.session.get(TeacherLevel, prerequisite_level_id) if prerequisite_level_id else None
    if exam_id and db.session.get(Exam, exam_id) is None:
        raise ValidationError(_("所选考试不存在。"))
    if not 0 <= exam_pass_percent <= 100 or not 0 <= practical_pass_score <= 100:
        raise ValidationError(_("及格线必须在 0 到 100 之间。"))
    if validity_years is not None and not 1 <= validity_years <= 50:
        raise ValidationError(_("有效期必须在 1 到 50 年之间。"))
    ids = [r.course_id for r in requirements]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("同一门培训课程只能列一次。"))
    found = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(ids)))} if ids else {}
    for req in requirements:
        course = found.get(req.course_id)
        if course is None or course.kind != TRAINING_COURSE:
            raise ValidationError(_("只能选择培训课程。"))
        if req.credit_hours is not None:
            _check_credit_hours(req.credit_hours)
    before = {pc.course_id for pc in program.courses} if program is not None else set()
    saved = services.save_program(key=key, title=title, level=level, min_total_hours=min_total_hours,
                                  courses=[(found[r.course_id], r.min_hours) for r in requirements],
                                  exam_id=exam_id or None, exam_pass_percent=exam_pass_percent,
                                  practical_title=(practical_title or "").strip(),
                                  practical_pass_score=practical_pass_score, prerequisite_level=prerequisite,
                                  validity_years=validity_years, description=(description or "").strip())
    saved.is_open = is_open
    for req in requirements:
        if req.credit_hours is not None:
            set_course_credit(req.course_id, req.credit_hours)
    _enroll_participants_in(saved, [i for i in ids if i not in before])
    db.session.flush()
    return saved


def _enroll_participants_in(program: TrainingProgram, course_ids: list[int]) -> int:
    """Teachers already in the program become learners of courses added to it later (as enrolling in the
    program does for the courses it had then). Two statements whatever the number of teachers."""
    from app.courses.models import Enrollment

    if not course_ids or program.id is None:
        return 0
    teachers = list(db.session.scalars(select(ProgramEnrollment.user_id)
                                       .where(ProgramEnrollment.program_id == program.id)))
    if not teachers:
        return 0
    have = set(db.session.execute(select(Enrollment.course_id, Enrollment.user_id).where(
        Enrollment.course_id.in_(course_ids), Enrollment.user_id.in_(teachers))).all())
    missing = [(c, u) for c in course_ids for u in teachers if (c, u) not in have]
    db.session.add_all(Enrollment(course_id=c, user_id=u, method="program") for c, u in missing)
    return len(missing)


def set_program_open(program: TrainingProgram, is_open: bool) -> TrainingProgram:
    """Publish (teachers may see and enroll) or unpublish a program; enrollments already made stay."""
    program.is_open = is_open
    db.session.flush()
    return program


def enroll_many(program: TrainingProgram, teachers: Iterable, *, actor) -> int:
    """Enroll several teachers (the caller checked each may be enrolled by ``actor``); returns how many are new."""
    have = set(db.session.scalars(select(ProgramEnrollment.user_id).where(ProgramEnrollment.program_id == program.id)))
    added = 0
    for teacher in teachers:
        if teacher.id not in have:
            services.enroll(program, teacher, actor=actor)
            have.add(teacher.id)
            added += 1
    return added


def enrollment_counts(program_ids: Sequence[int]) -> dict[int, int]:
    """{program_id: enrolled teachers} for a page of programs (one grouped query)."""
    from sqlalchemy import func

    if not program_ids:
        return {}
    return dict(db.session.execute(select(ProgramEnrollment.program_id, func.count(ProgramEnrollment.id))
                                   .where(ProgramEnrollment.program_id.in_(list(program_ids)))
                                   .group_by(ProgramEnrollment.program_id)).all())


def school_teachers(school_id: int) -> list:
    """Active teachers of one school, by name."""
    from app.auth.models import User, UserRole

    return list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.school_id == school_id, UserRole.role == "teacher", User.is_active.is_(True))
        .order_by(User.full_name, User.id)))


# ---- 学时 for completed training courses ---------------------------------------------------------------------
def course_credits(course_ids: Iterable[int]) -> dict[int, float]:
    """{course_id: 学时 earned by completing it} for the courses that have a value."""
    ids = list(course_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(CourseCredit.course_id, CourseCredit.hours)
                                   .where(CourseCredit.course_id.in_(ids))).all())


def _check_credit_hours(hours: float) -> None:
    if not 0 <= hours <= MAX_COURSE_CREDIT_HOURS:
        raise ValidationError(_("完成课程所得学时必须在 0 到 24 之间。"))


def set_course_credit(course_id: int, hours: float) -> None:
    """Set the 学时 a training course is worth on completion (0 = none). Lines already written stay."""
    _check_credit_hours(hours)
    row = db.session.get(CourseCredit, course_id)
    if row is None:
        db.session.add(CourseCredit(course_id=course_id, hours=hours))
    else:
        row.hours = hours


def credit_completed_courses(user_ids: Iterable[int]) -> int:
    """Write one ``course_completion`` ledger line for each training course these learners have now completed
    (every activity complete) and that is worth 学时. Idempotent: a course already credited to a learner is
    never credited again. Returns how many lines were written."""
    from app.auth.models import User
    from app.courses import services as courses
    from app.courses.models import Enrollment

    ids = sorted(set(user_ids))
    if not ids:
        return 0
    candidates = db.session.execute(
        select(Enrollment.user_id, CourseCredit.course_id, CourseCredit.hours)
        .join(CourseCredit, CourseCredit.course_id == Enrollment.course_id)
        .where(Enrollment.user_id.in_(ids), Enrollment.status == "active", Enrollment.role == "learner",
               CourseCredit.hours > 0)).all()
    if not candidates:
        return 0
    credited = _credited_pairs(ids)
    pending: dict[int, dict[int, float]] = {}
    for user_id, course_id, hours in candidates:
        if (user_id, course_id) not in credited:
            pending.setdefault(user_id, {})[course_id] = hours
    written = 0
    for user_id, hours_by_course in pending.items():
        user = db.session.get(User, user_id)
        progress = courses.progress_of_user(user, list(hours_by_course))
        for course_id, hours in hours_by_course.items():
            done, total, _percent = progress.get(course_id, (0, 0, 0))
            if total and done == total and _credit_course_once(user, course_id, hours):
                written += 1
    return written


def _credited_pairs(user_ids: list[int]) -> set[tuple[int, int]]:
    """{(user_id, course_id)} already credited on completion (read before writing; see _credit_course_once)."""
    return set(db.session.execute(select(CreditHourEntry.user_id, CreditHourEntry.course_id).where(
        CreditHourEntry.user_id.in_(user_ids), CreditHourEntry.source == "course_completion")).all())


def _credit_course_once(user, course_id: int, hours: float) -> bool:
    """Write the ``course_completion`` line of ``course_id`` for ``user``; ``False`` when it is already there.

    The check above reads before it writes, so two requests completing the same course at once both find no
    line; the partial unique index (models: ``uq_credit_hour_entry_course_completion``) refuses the second
    insert. The insert runs in a SAVEPOINT so that the refusal undoes only this line: the rest of the request
    (the mark or heartbeat that completed the course) still commits."""
    try:
        with db.session.begin_nested():
            services.record_credit(user, seconds=hours * services.SECONDS_PER_HOUR, source="course_completion",
                                   evidence=f"course:{course_id}", course_id=course_id)
    except IntegrityError:
        if not _course_credited(user.id, course_id):
            raise  # some other constraint: not ours to swallow
        return False
    return True


def _course_credited(user_id: int, course_id: int) -> bool:
    return db.session.scalar(select(CreditHourEntry.id).where(
        CreditHourEntry.user_id == user_id, CreditHourEntry.course_id == course_id,
        CreditHourEntry.source == "course_completion").limit(1)) is not None


@results_changed.connect
def _on_results_changed(kind, *, user_ids: Sequence[int] = (), **_extra) -> None:
    """A result that may complete a course changed (an exam graded, an activity marked done): credit the
    training courses these learners have now completed, then issue the certificates they now qualify for."""
    credit_completed_courses(user_ids)
    services.issue_completed(user_ids)


# ---- the teacher's ledger ------------------------------------------------------------------------------------
def ledger_page(user_id: int, page: int = 1, per_page: int = 50) -> Page:
    """One page of the teacher's 学时, newest first, as the 学时 page shows it: a heartbeat writes a ledger line
    every ~15 s (0.004 学时), so lines are summed per evidence — one row per watch session, offline session or
    completed course — with their course and video. Two statements (count and rows), like ``paginate``."""
    from sqlalchemy import func

    entry = CreditHourEntry
    grouped = (select(entry.source, entry.evidence, entry.video_id, entry.course_id, entry.note,
                      func.max(entry.created_at).label("created_at"), func.sum(entry.seconds).label("seconds"),
                      func.count(entry.id).label("lines"))
               .where(entry.user_id == user_id)
               .group_by(entry.source, entry.evidence, entry.video_id, entry.course_id, entry.note))
    number = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    rows = db.session.execute(grouped.order_by(func.max(entry.created_at).desc(), func.max(entry.id).desc())
                              .limit(per_page).offset((number - 1) * per_page)).all()
    return Page(rows, number, per_page, total)


def video_titles(video_ids: Iterable[int]) -> dict[int, str]:
    from app.media.models import Video

    ids = {i for i in video_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(Video.id, Video.title).where(Video.id.in_(ids))).all())


def hours_by_source(user_id: int) -> dict[str, float]:
    """{source key: 学时} of one teacher (one grouped query)."""
    from sqlalchemy import func

    rows = db.session.execute(select(CreditHourEntry.source, func.sum(CreditHourEntry.seconds))
                              .where(CreditHourEntry.user_id == user_id).group_by(CreditHourEntry.source))
    return {source: (seconds or 0.0) / services.SECONDS_PER_HOUR for source, seconds in rows}


def course_titles(course_ids: Iterable[int]) -> dict[int, str]:
    from app.courses.models import Course

    ids = {i for i in course_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(Course.id, Course.title).where(Course.id.in_(ids))).all())


# ---- offline training sessions (线下培训) ----------------------------------------------------------------------
#: What an attendance file (签到表) may be: a PDF/Office document or a photo of the signed sheet.
ATTENDANCE_KINDS = ("document", "image")
#: Columns of an attendee import: the teacher's username, and an optional note per person.
ATTENDEE_COLUMNS = {"username": ("用户名", "username", "账号"), "note": ("备注", "note")}
#: Largest attendee sheet accepted (bytes).
MAX_ATTENDEE_SHEET = 5 * 1024 * 1024


def create_offline_session(*, title: str, held_on: date, hours: float, course_id: int, program_id: int | None,
                           attendance_file, actor) -> OfflineSession:
    """Record an offline session; the attendance file is sniffed and stored under a generated name."""
    from app.core.uploads import store_upload
    from app.courses.models import Course

    title = (title or "").strip()
    if not title:
        raise ValidationError(_("请填写培训名称。"))
    if not 0 < hours <= 24:
        raise ValidationError(_("学时必须大于 0 且不超过 24。"))
    course = db.session.get(Course, course_id) if course_id else None
    if course is None or course.kind != TRAINING_COURSE:
        raise ValidationError(_("只能选择培训课程。"))
    if program_id and db.session.get(TrainingProgram, program_id) is None:
        raise ValidationError(_("培训项目不存在。"))
    stored = store_upload(attendance_file, ATTENDANCE_KINDS, prefix="attendance")
    row = OfflineSession(title=title[:200], held_on=held_on, hours=hours, course_id=course.id,
                         program_id=program_id or None,
                         school_id=None if actor.has_role("platform_admin") else actor.school_id,
                         attendance_key=stored.key, attendance_name=stored.original_name,
                         attendance_mime=stored.mime, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def get_offline_session(session_id: int) -> OfflineSession:
    return get_or_raise(OfflineSession, session_id, _("线下培训记录不存在。"))


def offline_sessions_for(user) -> Select:
    """Sessions an administrator may see: all for a platform admin, their school's for a school admin."""
    stmt = select(OfflineSession).order_by(OfflineSession.held_on.desc(), OfflineSession.id.desc())
    if not user.has_role("platform_admin"):
        stmt = stmt.where(OfflineSession.school_id == user.school_id)
    return stmt


def attendees(session: OfflineSession) -> list[tuple]:
    """[(User, CreditHourEntry)] of the session, by name (one query)."""
    from app.auth.models import User

    return [tuple(r) for r in db.session.execute(
        select(User, CreditHourEntry).join(CreditHourEntry, CreditHourEntry.user_id == User.id)
        .where(CreditHourEntry.source == "offline_training", CreditHourEntry.evidence == session.evidence)
        .order_by(User.full_name, User.id))]


def attendee_counts(session_ids: Sequence[int]) -> dict[int, int]:
    """{session_id: attendees recorded} for a page of sessions (one grouped query)."""
    from sqlalchemy import func

    if not session_ids:
        return {}
    evidence = {f"offline_session:{i}": i for i in session_ids}
    rows = db.session.execute(select(CreditHourEntry.evidence, func.count(CreditHourEntry.id))
                              .where(CreditHourEntry.source == "offline_training",
                                     CreditHourEntry.evidence.in_(list(evidence)))
                              .group_by(CreditHourEntry.evidence))
    return {evidence[e]: n for e, n in rows}


def _recorded_ids(session: OfflineSession) -> set[int]:
    return set(db.session.scalars(select(CreditHourEntry.user_id).where(
        CreditHourEntry.source == "offline_training", CreditHourEntry.evidence == session.evidence)))


def _may_attend(actor, teacher) -> bool:
    """A school admin records only their own school's teachers; a platform admin any teacher."""
    if not teacher.has_role("teacher"):
        return False
    return actor.has_role("platform_admin") or (actor.school_id is not None and teacher.school_id == actor.school_id)


def record_attendance(session: OfflineSession, teachers: Iterable, *, actor, notes: dict | None = None) -> int:
    """Credit the session's 学时 to each teacher not yet recorded for it; returns how many lines were added."""
    recorded = _recorded_ids(session)
    added = 0
    for teacher in teachers:
        if not _may_attend(actor, teacher):
            raise ValidationError(_("不能为教师“%(u)s”登记学时。", u=teacher.username))
        if teacher.id in recorded:
            continue
        services.record_credit(teacher, seconds=session.hours * services.SECONDS_PER_HOUR,
                               source="offline_training", evidence=session.evidence, course_id=session.course_id,
                               actor=actor, note=((notes or {}).get(teacher.id) or session.title))
        recorded.add(teacher.id)
        added += 1
    services.issue_completed(recorded)  # these hours may be the last requirement
    return added


def import_attendees(session: OfflineSession, filename: str, data: bytes, *, actor) -> tuple[int, int]:
    """Add the teachers listed in a CSV/XLSX sheet (用户名, 备注) as attendees. All or nothing: unknown
    teachers, teachers the actor may not record and repeated rows are reported with their row numbers and
    nothing is written. Teachers already recorded for the session are skipped, so importing the same sheet
    again adds nothing. Returns (added, already recorded)."""
    from app.auth.models import User
    from app.core.tabular import missing_columns, pick, read_table

    if len(data) > MAX_ATTENDEE_SHEET:
        raise ValidationError(_("名单文件过大（上限 5 MB）。"))
    table = read_table(filename, data)
    if missing_columns(table.headers, ATTENDEE_COLUMNS, ("username",)):
        raise ValidationError(_("缺少列：%(c)s", c=ATTENDEE_COLUMNS["username"][0]))
    names = {pick(row, ATTENDEE_COLUMNS, "username").strip() for _n, row in table.rows} - {""}
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))} if names else {}
    errors, chosen, notes, seen = [], [], {}, {}
    for number, row in table.rows:
        username = pick(row, ATTENDEE_COLUMNS, "username").strip()
        if not username:
            continue
        user = users.get(username)
        if user is None:
            errors.append(_("第 %(n)s 行：找不到教师“%(u)s”", n=number, u=username))
        elif not _may_attend(actor, user):
            errors.append(_("第 %(n)s 行：不能为“%(u)s”登记（不是本校教师）", n=number, u=username))
        elif username in seen:
            errors.append(_("第 %(n)s 行：与第 %(m)s 行重复", n=number, m=seen[username]))
        else:
            seen[username] = number
            chosen.append(user)
            notes[user.id] = pick(row, ATTENDEE_COLUMNS, "note").strip()
    if errors:
        raise ValidationError(_("名单有 %(n)s 行错误，未登记任何教师。", n=len(errors)), details=errors)
    if not chosen:
        raise ValidationError(_("文件中没有数据行。"))
    added = record_attendance(session, chosen, actor=actor, notes=notes)
    return added, len(chosen) - added
