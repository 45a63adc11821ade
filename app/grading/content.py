"""Demo gradebook for ``flask demo seed``: categories, items (one with a minimum) and some grades."""
from __future__ import annotations

from sqlalchemy import select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.content import demo_step
from app.extensions import db


@demo_step(51, _l("演示成绩册"))
def seed_demo_gradebook() -> str:
    from app.courses.content import demo_course
    from app.grading import services
    from app.grading.models import GradeItem

    course, _school, auth = demo_course()
    if course is None:
        return _("跳过：没有演示课程")
    if db.session.scalar(select(GradeItem.id).where(GradeItem.course_id == course.id)):
        return _("已存在")
    teacher, student = auth.find_user("teacher"), auth.find_user("student")
    process = services.save_category(course, None, name="过程性评价", weight=40, drop_lowest=1)
    final = services.save_category(course, None, name="终结性考核", weight=60)
    worksheets = [services.save_item(course, None, name=f"工作页{n}", max_points=10, category_id=process.id)
                  for n in (1, 2, 3)]
    practical = services.save_item(course, None, name="实操考核", max_points=100, category_id=final.id,
                                   weight=2, min_score=60)
    services.save_item(course, None, name="理论考试", max_points=100, category_id=final.id)
    for item, value in zip(worksheets + [practical], (8, 9, 6, 78)):
        services.set_manual_grade(course, item, student.id, value, by=teacher, expected_version=0)
    services.recompute_finals(course)
    return _("2 个成绩类别、5 个成绩项、4 条成绩")
