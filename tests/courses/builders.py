"""Test data for courses and grading, built through the real services."""
from __future__ import annotations

from sqlalchemy import select

from app.catalog.models import Profession, TrainingLevel
from app.courses import services
from app.extensions import db
from tests import factories


def profession(key: str = "auto-repair") -> Profession:
    return db.session.scalar(select(Profession).where(Profession.key == key))


def level(key: str = "intermediate") -> TrainingLevel:
    return db.session.scalar(select(TrainingLevel).where(TrainingLevel.key == key))


def course(teacher=None, *, school=None, students: int = 0, title: str = "汽车维护与保养", **fields):
    """A class course of the teacher's school with ``students`` new learners. Returns (course, learners)."""
    school = school or (teacher.school if teacher else factories.school())
    fields.setdefault("profession", profession())
    fields.setdefault("training_level", level())
    c = services.create_course(title=title, kind="class_course", school=school, teachers=[teacher] if teacher else [],
                               **fields)
    learners = [factories.user("student", school_=school) for _ in range(students)]
    if learners:
        services.enrol_users(c, learners)
    return c, learners
