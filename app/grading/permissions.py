"""Who may see and change grades. Course-level rules come from the courses domain."""
from __future__ import annotations

from app.auth.models import Role
from app.courses import permissions as course_permissions


def can_manage_gradebook(user, course) -> bool:
    return course_permissions.can_manage_course(user, course)


def can_view_own_grades(user, course) -> bool:
    return course_permissions.is_learner(user, course)


def can_view_learner_grades(user, course, student_id: int) -> bool:
    """Managers, the learner themself, and a mentor for their assigned learners."""
    return course_permissions.can_view_student(user, course, student_id)


def can_view_transcript(user, student) -> bool:
    if not (user and user.is_authenticated):
        return False
    if user.id == student.id or user.has_role(Role.platform_admin):
        return True
    return user.has_role(Role.school_admin) and user.school_id is not None and user.school_id == student.school_id


def can_view_eligibility(user, cohort) -> bool:
    """School admins and teachers of the cohort's school (the report is school-scoped)."""
    return course_permissions.can_view_cohort(user, cohort)


def can_view_grade_file(user, course, grade_file) -> bool:
    """Teachers always; the learner and their mentors once the item is released to learners."""
    if can_manage_gradebook(user, course):
        return True
    return not grade_file.item.hidden and can_view_learner_grades(user, course, grade_file.user_id)
