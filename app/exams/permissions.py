"""Who may do what with papers, exams and attempts."""
from __future__ import annotations

from sqlalchemy import or_

from app.auth.models import Role

STAFF = (Role.platform_admin, Role.school_admin, Role.teacher)


def _authenticated(user) -> bool:
    return bool(user and user.is_authenticated)


def can_create_exam(user) -> bool:
    """Teachers and admins build papers and exams."""
    return _authenticated(user) and user.has_role(*STAFF)


def can_manage_exam(user, exam) -> bool:
    """Platform admins manage every exam; its creator and the teachers/admins of its school manage it."""
    if not _authenticated(user):
        return False
    if user.has_role(Role.platform_admin):
        return True
    if not user.has_role(Role.school_admin, Role.teacher):
        return False
    if exam.created_by_id == user.id:
        return True
    return exam.school_id is not None and exam.school_id == user.school_id


def can_grant_exam_to(user, exam, student) -> bool:
    """Who may be given an exam: platform admins grant anyone; a school's staff grant only people of the
    exam's school (so another school's students are neither added nor probed by username)."""
    return bool(grantable_students(user, exam, [student]))


def grantable_students(user, exam, students) -> list:
    """``can_grant_exam_to`` over many students at once (a whole course or cohort): the granting user's side is
    decided once, not once per student."""
    if not can_manage_exam(user, exam):
        return []
    students = [s for s in students if s is not None]
    if user.has_role(Role.platform_admin):
        return students
    school_id = exam.school_id if exam.school_id is not None else user.school_id
    return [s for s in students if school_id is not None and s.school_id == school_id]


def can_take_exam(user, exam, grant) -> bool:
    """A student takes an exam they were granted (courses will add enrolment later)."""
    return _authenticated(user) and grant is not None and grant.user_id == user.id and grant.exam_id == exam.id


def can_answer_attempt(user, attempt) -> bool:
    """Only the student who owns an attempt answers, submits or reads it through the attempt API."""
    return _authenticated(user) and attempt.user_id == user.id


def can_view_attempt(user, attempt) -> bool:
    """The owner (as the review policy allows) and the exam's managers (everything)."""
    return can_answer_attempt(user, attempt) or can_manage_exam(user, attempt.exam)


def scope_exams(user, stmt):
    """Restrict an Exam SELECT to the exams ``user`` manages."""
    from app.exams.models import Exam

    if user.has_role(Role.platform_admin):
        return stmt
    conditions = [Exam.created_by_id == user.id]
    if user.school_id is not None and user.has_role(Role.school_admin, Role.teacher):
        conditions.append(Exam.school_id == user.school_id)
    return stmt.where(or_(*conditions))


def can_see_question_file(user, record) -> bool:
    """A student sees a picture or sound of a question shown in one of their own attempts (the question banks
    themselves stay closed to students). Registered in the questions domain's ``FILE_VIEWERS``."""
    from sqlalchemy import String, cast, exists, select

    from app.exams.models import Attempt, AttemptItem
    from app.extensions import db
    from app.questions.models import QuestionVersion

    if not _authenticated(user):
        return False
    # The closing quote keeps /questions/files/1 from matching /questions/files/12 (in the JSON of the data the
    # quote is escaped).
    url = f"/questions/files/{record.id}"
    quoted, escaped = f'{url}"', f'{url}\\"'
    used = or_(QuestionVersion.text.contains(quoted, autoescape=True),
               QuestionVersion.explanation.contains(quoted, autoescape=True),
               QuestionVersion.general_feedback.contains(quoted, autoescape=True),
               cast(QuestionVersion.data, String).contains(escaped, autoescape=True))
    stmt = select(exists().where(Attempt.user_id == user.id, AttemptItem.attempt_id == Attempt.id,
                                 QuestionVersion.id == AttemptItem.question_version_id, used))
    return bool(db.session.scalar(stmt))


def _register_file_rule() -> None:
    from app.questions import permissions as question_permissions

    if can_see_question_file not in question_permissions.FILE_VIEWERS:
        question_permissions.FILE_VIEWERS.append(can_see_question_file)


_register_file_rule()
