"""Demo data for ``flask demo seed``: a classmate of the demo student whose work gives the demo teacher real
to-dos — a plan (决策) waiting for approval and an exam essay to mark. (The demo student's own to-dos — an open
work-task stage and an open exam — come from the tasks and exams demo steps.)"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.content import demo_step
from app.extensions import db

CLASSMATE = ("classmate", "赵同学")


@demo_step(90, _l("演示教师的工作台待办"))
def seed_teacher_todos() -> str:
    from config import DEMO_PASSWORD

    from app.auth import services as auth
    from app.courses import services as courses
    from app.courses.content import DEMO_COHORT, demo_course
    from app.courses.models import Cohort
    from app.exams import services as exams
    from app.exams.content import DEMO_EXAM
    from app.exams.models import Attempt, AttemptItem, Exam
    from app.tasks import services as tasks
    from app.tasks.content import DEMO_TITLE, _fill
    from app.tasks.models import TaskAssignment

    course, school, _auth = demo_course()
    teacher = auth.find_user("teacher")
    if course is None or teacher is None:
        return _("跳过：缺少演示课程或演示教师")
    classmate = auth.find_user(CLASSMATE[0])
    if classmate is not None:
        return _("已存在")
    classmate = auth.create_user(username=CLASSMATE[0], roles=["student"], full_name=CLASSMATE[1],
                                 password=DEMO_PASSWORD, school=school)
    cohort = db.session.scalar(select(Cohort).where(Cohort.school_id == school.id, Cohort.name == DEMO_COHORT))
    if cohort is not None:
        courses.add_cohort_members(cohort, [classmate])
    courses.enrol_users(course, [classmate])
    done = []
    assignment = db.session.scalar(select(TaskAssignment).where(TaskAssignment.course_id == course.id,
                                                                TaskAssignment.title == DEMO_TITLE))
    if assignment is not None:
        submission = tasks.submission_of(assignment, classmate, create=True)
        stages = {s.key: s for s in assignment.stages}
        for key in ("inform", "plan", "decide"):
            _fill(tasks, submission, stages.get(key), classmate, submit=True)
        done.append(_("一份计划待审批"))
    exam = db.session.scalar(select(Exam).where(Exam.title == DEMO_EXAM))
    if exam is not None:
        exams.grant_access(exam, classmate)
        attempt, _created = exams.start_attempt(exam, classmate)
        slot = db.session.scalar(select(AttemptItem.slot).where(AttemptItem.attempt_id == attempt.id,
                                                                AttemptItem.qtype == "essay"))
        if slot is not None:
            exams.store_response(exams.load_save_target(attempt.id, slot, classmate.id),
                                 {"text": "举升前确认支撑点，检查举升机锁止，车辆离地后再次确认稳定。", "files": []}, 1)
        exams.close_attempt(attempt.id, closed_by="student", user_id=classmate.id)
        if db.session.get(Attempt, attempt.id).state == "needs_grading":
            done.append(_("一份答卷待批改"))
    return "、".join(str(d) for d in done) or _("已添加演示同学")
