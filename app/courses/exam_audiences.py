"""Courses and cohorts (班级) as audiences an exam can be granted to (app/exams/access.py's registry).

Imported with the exam activity adapter, i.e. only when the exams domain is installed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import Role
from app.courses import services
from app.courses.models import Cohort, Course, Enrollment, EnrollmentRole
from app.exams import access
from app.extensions import db


def _school_of(user, exam):
    return exam.school_id if exam.school_id is not None else user.school_id


class CourseAudience(access.AudienceSource):
    """The active learners of a course the granting teacher teaches (school admins: their school's courses)."""

    kind = "course"
    label = _l("课程")

    def choices(self, user, exam):
        stmt = select(Course.id, Course.title).order_by(Course.id.desc())
        if user.has_role(Role.platform_admin):
            pass
        elif user.has_role(Role.school_admin) and user.school_id is not None:
            stmt = stmt.where(Course.school_id == user.school_id)
        else:
            stmt = stmt.join(Enrollment, Enrollment.course_id == Course.id).where(
                Enrollment.user_id == user.id, Enrollment.role == EnrollmentRole.instructor.value,
                Enrollment.status == services.ACTIVE)
        return [(row.id, row.title) for row in db.session.execute(stmt)]

    def members(self, target_id):
        return services.learners(db.session.get(Course, target_id))


class CohortAudience(access.AudienceSource):
    """The members of a cohort of the exam's school."""

    kind = "cohort"
    label = _l("班级")

    def choices(self, user, exam):
        school_id = None if user.has_role(Role.platform_admin) else _school_of(user, exam)
        if school_id is None and not user.has_role(Role.platform_admin):
            return []
        return [(c.id, c.name) for c in db.session.scalars(services.cohorts_of_school(school_id))]

    def members(self, target_id):
        return services.cohort_members(db.session.get(Cohort, target_id))


access.register(CourseAudience())
access.register(CohortAudience())
