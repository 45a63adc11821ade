"""What the workbench shows: the user's to-dos (from the provider registry), courses and role figures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.auth.models import Role
from app.core import clock
from app.courses import services as courses
from app.courses.models import Course, Enrollment, EnrollmentRole, EnrollmentStatus, MentorAssignment
from app.dashboard import services as dashboard
from app.extensions import db
from app.workbench import providers  # noqa: F401  (registers the providers)
from app.workbench.registry import TodoItem, label_of, todos_for

#: Template of each role's home page, by priority (the first role the user has wins).
PAGES = [("platform_admin", "admin"), ("school_admin", "school_admin"), ("mentor", "mentor"),
         ("reviewer", "reviewer"), ("teacher", "teacher")]


def todo_items(user, now: datetime | None = None) -> list[TodoItem]:
    """Every to-do of ``user``, soonest due first. Computed, never stored."""
    return todos_for(user, now)


def todo_rows(items: list[TodoItem], now: datetime) -> list[dict]:
    """Items as the page shows them: with the label of their kind and whether they are overdue."""
    return [{"item": i, "label": label_of(i.kind), "overdue": i.is_overdue(now)} for i in items]


def page_of(user) -> str:
    """Which home page the user gets (``student`` when no other role matches)."""
    roles = user.role_names
    for role, page in PAGES:
        if role not in roles:
            continue
        if (role == "school_admin" and not user.school) or (role == "mentor" and not user.enterprise):
            continue
        return page
    return "student"


def my_courses(user) -> list[dict]:
    """The user's active courses (newest first) with their role, the learner count of the courses they teach and
    their progress in the courses they learn in: two statements, plus the progress batches of learned courses."""
    learners = (select(func.count(Enrollment.id)).where(
        Enrollment.course_id == Course.id, Enrollment.role == EnrollmentRole.learner.value,
        Enrollment.status == EnrollmentStatus.active.value).correlate(Course).scalar_subquery())
    mine = aliased(Enrollment)
    rows = db.session.execute(
        select(Course.id, Course.title, mine.role, learners).join(mine, mine.course_id == Course.id)
        .where(mine.user_id == user.id, mine.status == EnrollmentStatus.active.value)
        .order_by(Course.id.desc())).all()
    learning = [cid for cid, _title, role, _n in rows if role == EnrollmentRole.learner.value]
    progress = courses.progress_of_user(user, learning) if learning else {}
    return [{"id": cid, "title": title, "role": role, "progress": progress.get(cid),
             "learners": n if role == EnrollmentRole.instructor.value else None}
            for cid, title, role, n in rows]


def apprentices(mentor) -> list[dict]:
    """A mentor's apprentices across courses (one statement)."""
    from app.auth.models import User

    rows = db.session.execute(
        select(User, Course).join(MentorAssignment, MentorAssignment.student_id == User.id)
        .join(Course, Course.id == MentorAssignment.course_id)
        .where(MentorAssignment.mentor_id == mentor.id).order_by(Course.id.desc(), User.full_name))
    return [{"student": u, "course": c} for u, c in rows]


def home(user) -> tuple[str, dict]:
    """The template and context of ``user``'s workbench."""
    now = clock.now()
    page = page_of(user)
    context = {"todos": todo_rows(todo_items(user, now), now), "now": now}
    if page == "admin":
        context.update(dashboard.admin_home())
    elif page == "school_admin":
        context.update(dashboard.school_home(user.school))
    elif page == "mentor":
        context.update(dashboard.enterprise_home(user.enterprise), apprentices=apprentices(user))
    elif page == "reviewer":
        context.update(dashboard.catalogue_home())
    if page in ("student", "teacher", "mentor") or user.has_role(Role.teacher, Role.student):
        context["courses"] = my_courses(user)
    return f"dashboard/{page}.html", context
