"""Demo data for ``flask demo seed``: a class course of the demo school with a cohort, a mentor and activities."""
from __future__ import annotations

from sqlalchemy import select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.content import demo_step
from app.extensions import db

DEMO_COURSE_TITLE = "汽车底盘系统检修（一体化课程）"
DEMO_COHORT = "2025级汽车维修1班"
DEMO_ACTIVITIES = [
    ("page", "学习任务书：盘式制动器检修", "阅读学习任务书，明确客户委托（制动异响）、作业要求和安全注意事项。\n完成后点击“我已阅读”。"),
    ("manual", "实操：拆装制动卡钳并更换制动片", "在实训车间按工作页完成制动片更换和制动盘测量，由老师现场确认。"),
    ("manual", "实操：轮胎检查与换位", "按六步法完成轮胎检查、换位和记录，由老师现场确认。"),
]


def demo_course():
    from app.auth import services as auth
    from app.auth.content import DEMO_SCHOOL
    from app.courses.models import Course
    from app.orgs import services as orgs

    school = orgs.school_by_key(DEMO_SCHOOL)
    return db.session.scalar(select(Course).where(Course.school_id == school.id, Course.title == DEMO_COURSE_TITLE)), \
        school, auth


@demo_step(50, _l("演示班级课程"))
def seed_demo_course() -> str:
    from app.catalog import services as catalog
    from app.catalog.models import TrainingLevel
    from app.courses import services
    from app.courses.models import Cohort, MentorAssignment

    course, school, auth = demo_course()
    if course is not None:
        return _("已存在")
    teacher, student, mentor = (auth.find_user(n) for n in ("teacher", "student", "mentor"))
    if not (teacher and student and mentor):
        return _("跳过：缺少演示账号")
    profession = catalog.profession_by_key("auto-repair")
    level = db.session.scalar(select(TrainingLevel).where(TrainingLevel.key == "intermediate"))
    cohort = db.session.scalar(select(Cohort).where(Cohort.school_id == school.id, Cohort.name == DEMO_COHORT)) \
        or services.create_cohort(school=school, name=DEMO_COHORT, entry_year=2025, profession=profession,
                                  training_level=level)
    services.add_cohort_members(cohort, [student])
    # Taught from the demo standard's 汽车底盘系统检修 (C3), whose task C3-T1 has the demo workbook and work task.
    integrated = next((cid for cid, label in services.integrated_course_choices() if "汽车底盘系统检修" in label), None)
    course = services.create_course(title=DEMO_COURSE_TITLE, kind="class_course", school=school,
                                    profession=profession, training_level=level, term="2026-2027-1",
                                    integrated_course_id=integrated,
                                    teachers=[teacher], enrol_key="qiche2026",
                                    description="以企业典型工作任务“底盘异响与制动故障检修”为载体的工学一体化课程。")
    services.enrol_cohort(course, cohort)
    services.assign_mentor(course, student, mentor)
    for kind, title, body in DEMO_ACTIVITIES:
        services.add_activity(course, kind=kind, title=title, body=body)
    first = services.activities(course)[0]
    services.set_marks(first, [student.id], done=True, by=student)
    assert db.session.scalar(select(MentorAssignment.id).where(MentorAssignment.course_id == course.id))
    return _("课程“%(course)s”，班级 %(cohort)s", course=course.title, cohort=cohort.name)
