"""Links from workbooks and pages to the course standard: which courses and tasks an author may pick, and checks
that a link stays within the workbook's profession."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.standards.models import CourseStandard, IntegratedCourse, LearningTask, StandardVersion


@dataclass
class Choice:
    course: IntegratedCourse
    tasks: list[LearningTask]


def course_choices(profession_id: int) -> list[Choice]:
    """Courses and their tasks from the profession's approved (current) standard versions, two statements."""
    courses = list(db.session.scalars(
        select(IntegratedCourse).join(StandardVersion, IntegratedCourse.version_id == StandardVersion.id)
        .join(CourseStandard, CourseStandard.current_version_id == StandardVersion.id)
        .where(CourseStandard.profession_id == profession_id)
        .order_by(CourseStandard.training_level_id, IntegratedCourse.position, IntegratedCourse.id)))
    by_course = {c.id: Choice(c, []) for c in courses}
    if by_course:
        for task in db.session.scalars(select(LearningTask).where(LearningTask.course_id.in_(list(by_course)))
                                       .order_by(LearningTask.position, LearningTask.id)):
            by_course[task.course_id].tasks.append(task)
    return list(by_course.values())


def profession_of_course(course: IntegratedCourse) -> int:
    return db.session.scalar(select(CourseStandard.profession_id)
                             .join(StandardVersion, StandardVersion.standard_id == CourseStandard.id)
                             .where(StandardVersion.id == course.version_id))


def get_course(course_id: int | None) -> IntegratedCourse | None:
    if not course_id:
        return None
    course = db.session.get(IntegratedCourse, course_id)
    if course is None:
        raise ValidationError(_("所选一体化课程不存在。"))
    return course


def get_task(task_id: int | None) -> LearningTask | None:
    if not task_id:
        return None
    task = db.session.get(LearningTask, task_id)
    if task is None:
        raise ValidationError(_("所选学习任务不存在。"))
    return task


def check(profession_id: int, course: IntegratedCourse | None, task: LearningTask | None) -> None:
    """A linked course must belong to the profession; a linked task to that course (or the profession)."""
    if course is not None and profession_of_course(course) != profession_id:
        raise ValidationError(_("所选一体化课程不属于本专业。"))
    if task is not None:
        if course is not None and task.course_id != course.id:
            raise ValidationError(_("所选学习任务不属于所选一体化课程。"))
        if course is None and profession_of_course(task.course) != profession_id:
            raise ValidationError(_("所选学习任务不属于本专业。"))
