"""Who may do what in courses and cohorts. Predicates take the acting user first.

Instructors are users with an active ``instructor`` enrollment; school admins manage the courses of their
school; a mentor sees only the learners assigned to them (MentorAssignment).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.auth.models import Role
from app.courses.models import Enrollment, EnrollmentRole, EnrollmentStatus, MentorAssignment
from app.extensions import db


def _authed(user) -> bool:
    return bool(user and user.is_authenticated)


def is_platform_admin(user) -> bool:
    return _authed(user) and user.has_role(Role.platform_admin)


def is_school_admin_of(user, school_id) -> bool:
    return _authed(user) and school_id is not None and user.has_role(Role.school_admin) and user.school_id == school_id


def enrollment_of(user, course) -> Enrollment | None:
    """The user's ACTIVE enrollment in the course (cached on the request's user object)."""
    if not _authed(user):
        return None
    cache = user.__dict__.setdefault("_gx_enrollments", {})
    if course.id not in cache:
        cache[course.id] = db.session.scalar(select(Enrollment).options(
            lazyload(Enrollment.course), lazyload(Enrollment.user)).where(
            Enrollment.course_id == course.id, Enrollment.user_id == user.id,
            Enrollment.status == EnrollmentStatus.active.value))
    return cache[course.id]


def _has_role_in(user, course, role: EnrollmentRole) -> bool:
    enrollment = enrollment_of(user, course)
    return enrollment is not None and enrollment.role == role.value


def can_create_course(user) -> bool:
    return _authed(user) and user.has_role(Role.platform_admin, Role.school_admin, Role.teacher)


def can_manage_course(user, course) -> bool:
    """Edit the course, its participants, activities and gradebook."""
    return (is_platform_admin(user) or is_school_admin_of(user, course.school_id)
            or _has_role_in(user, course, EnrollmentRole.instructor))


def can_view_course(user, course) -> bool:
    return can_manage_course(user, course) or enrollment_of(user, course) is not None


def is_learner(user, course) -> bool:
    return _has_role_in(user, course, EnrollmentRole.learner)


def is_mentor(user, course) -> bool:
    return _has_role_in(user, course, EnrollmentRole.mentor)


def can_view_student(user, course, student_id: int) -> bool:
    """Managers see every learner (current or unenrolled, whose record stays) — not any user of the platform by
    id; a learner sees themself; a mentor only the learners assigned to them."""
    if can_manage_course(user, course):
        return db.session.scalar(select(Enrollment.id).where(
            Enrollment.course_id == course.id, Enrollment.user_id == student_id,
            Enrollment.role == EnrollmentRole.learner.value).limit(1)) is not None
    if _authed(user) and user.id == student_id and is_learner(user, course):
        return True
    if is_mentor(user, course):
        return db.session.scalar(select(MentorAssignment.id).where(
            MentorAssignment.course_id == course.id, MentorAssignment.mentor_id == user.id,
            MentorAssignment.student_id == student_id)) is not None
    return False


def can_self_enrol(user, course) -> bool:
    return _authed(user) and bool(course.enrol_key)


def can_manage_cohorts(user, school_id=None) -> bool:
    """Create cohorts and change their members: school admins (own school), teachers (own school), platform admins."""
    if is_platform_admin(user):
        return True
    if not _authed(user) or user.school_id is None or not user.has_role(Role.school_admin, Role.teacher):
        return False
    return school_id is None or school_id == user.school_id


def can_view_cohort(user, cohort) -> bool:
    return can_manage_cohorts(user, cohort.school_id)
