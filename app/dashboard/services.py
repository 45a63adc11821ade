"""Figures for the home pages, each from a handful of aggregate queries."""
from __future__ import annotations

from sqlalchemy import and_, exists, func, select

from app.auth.services import count_users_by_role
from app.catalog.services import count_professions, professions_by_field
from app.certification.models import Phase
from app.extensions import db
from app.orgs.services import count_schools, partnerships_of_enterprise, partnerships_of_school

def national_progress() -> list[dict]:
    """Every national target with its current value: the 百千万 dashboard's national summary (the same cached
    numbers as /progress, so the two pages never disagree), ``[{"name", "value", "target", "percent"}, ...]``."""
    from app.certification import progress

    return [t for t in progress.summary_for(progress.Scope()).targets if t["target"]]


def phases() -> list[Phase]:
    return list(db.session.scalars(select(Phase).order_by(Phase.number)))


def today_figures() -> dict[str, int]:
    """What happened on the platform today (the Beijing calendar day): ``new_users``, ``attempts_submitted``,
    ``certificates_issued`` (one statement)."""
    from app.auth.models import User
    from app.certification.models import Certificate
    from app.core import clock
    from app.exams.models import Attempt

    start, end = clock.utc_range_of_local_days(clock.local_today(), clock.local_today())
    row = db.session.execute(select(
        select(func.count(User.id)).where(User.created_at >= start, User.created_at < end).scalar_subquery(),
        select(func.count(Attempt.id)).where(Attempt.submitted_at >= start, Attempt.submitted_at < end)
        .scalar_subquery(),
        # created_at, not issued_on: issued_on is the UTC date, which differs from Beijing's after 16:00 UTC.
        select(func.count(Certificate.id)).where(Certificate.created_at >= start, Certificate.created_at < end)
        .scalar_subquery(),
    )).one()
    return dict(zip(("new_users", "attempts_submitted", "certificates_issued"), row))


def school_figures(school_id: int) -> dict[str, int]:
    """The school's own figures (one statement): ``in_training`` (teachers enrolled in a training program who do
    not hold its certificate yet), ``certificates`` (valid, issued to the school's teachers), ``courses`` (its
    courses with at least one active learner)."""
    from app.certification.models import Certificate, ProgramEnrollment
    from app.courses.models import Course, Enrollment, EnrollmentRole, EnrollmentStatus

    certified = exists().where(Certificate.user_id == ProgramEnrollment.user_id,
                               Certificate.program_id == ProgramEnrollment.program_id,
                               Certificate.revoked_at.is_(None))
    running = exists().where(Enrollment.course_id == Course.id, Enrollment.role == EnrollmentRole.learner.value,
                             Enrollment.status == EnrollmentStatus.active.value)
    row = db.session.execute(select(
        select(func.count(func.distinct(ProgramEnrollment.user_id)))
        .where(ProgramEnrollment.school_id == school_id, ~certified).scalar_subquery(),
        select(func.count(Certificate.id)).where(Certificate.school_id == school_id, Certificate.revoked_at.is_(None))
        .scalar_subquery(),
        select(func.count(Course.id)).where(and_(Course.school_id == school_id, running)).scalar_subquery(),
    )).one()
    return dict(zip(("in_training", "certificates", "courses"), row))


def admin_home() -> dict:
    return {"today": today_figures(), "orgs": count_schools(), "roles": count_users_by_role(), "professions": count_professions(),
            "by_field": professions_by_field(), "progress": national_progress(), "phases": phases()}


def school_home(school) -> dict:
    return {"school": school, "roles": count_users_by_role(school.id), "figures": school_figures(school.id),
            "partnerships": partnerships_of_school(school), "professions": count_professions()}


def enterprise_home(enterprise) -> dict:
    return {"enterprise": enterprise, "partnerships": partnerships_of_enterprise(enterprise)}


def catalogue_home() -> dict:
    return {"professions": count_professions(), "by_field": professions_by_field()}
