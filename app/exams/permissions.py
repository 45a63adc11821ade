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
    if not can_manage_exam(user, exam) or student is None:
        return False
    if user.has_role(Role.platform_admin):
        return True
    school_id = exam.school_id if exam.school_id is not None else user.school_id
    return school_id is not None and student.school_id == school_id


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
