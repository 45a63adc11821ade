"""Demo data for ``flask demo seed``: a work task on the demo class course, the demo student part way through
(information and plan handed in, plan approved at 决策, now implementing with a draft saved)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.content import demo_step
from app.extensions import db

DEMO_TASK_CODE = "C3-T1"
DEMO_TITLE = "盘式制动器检修（示范学习任务）"


@demo_step(52, _l("演示工作任务"))
def seed_demo_task() -> str:
    from app.auth import services as auth
    from app.courses.content import demo_course
    from app.standards.models import LearningTask
    from app.tasks import services
    from app.tasks.models import TaskAssignment

    course, _school, _auth = demo_course()
    teacher, student = auth.find_user("teacher"), auth.find_user("student")
    if course is None or teacher is None or student is None:
        return _("跳过：缺少演示课程或账号")
    if db.session.scalar(select(TaskAssignment.id).where(TaskAssignment.course_id == course.id,
                                                         TaskAssignment.title == DEMO_TITLE)):
        return _("已存在")
    choices = dict(services.learning_task_choices(course))
    task = next((t for t in db.session.scalars(select(LearningTask).where(LearningTask.code == DEMO_TASK_CODE))
                 if t.id in choices), None)
    if task is None:
        return _("跳过：学习任务 %(code)s 未载入", code=DEMO_TASK_CODE)
    now = clock.now()
    due = {key: now + timedelta(days=3 * i) for i, key in enumerate(
        ["inform", "plan", "decide", "implement", "check", "evaluate"], start=1)}
    assignment = services.create_assignment(
        course, task, by=teacher, title=DEMO_TITLE, peer_due_at=now + timedelta(days=20), due_dates=due,
        instructions="客户反映低速制动时前轮有金属摩擦声。按六步法完成盘式制动器检修：计划经老师批准后才能动手实施。")
    submission = services.submission_of(assignment, student)
    stages = {s.key: s for s in assignment.stages}
    _fill(services, submission, stages.get("inform"), student, submit=True)
    _fill(services, submission, stages.get("plan"), student, submit=True)
    if "decide" in stages:
        _fill(services, submission, stages["decide"], student, submit=True)
        services.decide_stage(submission, stages["decide"], by=teacher, approve=True,
                              comment="计划可行，注意卡钳不要悬挂在制动软管上。")
    _fill(services, submission, stages.get("implement"), student, submit=False)
    # The course shows the task as an activity and the gradebook takes its computed score.
    from app.courses import services as courses
    from app.grading import services as grading

    courses.add_activity(course, kind="work_task", title=DEMO_TITLE, target_id=assignment.id,
                         body="在“学习任务”中按环节完成工作页；总评达到 60 分即完成。", rule={"min_score": 60})
    grading.save_item(course, None, name=DEMO_TITLE, kind="work_task", target_id=assignment.id)
    return _("工作任务 %(task)s（课程“%(course)s”）", task=assignment.id, course=course.title)


def _fill(services, submission, stage, student, *, submit: bool) -> None:
    """Answer every text/checklist/table field of the stage with plausible demo content."""
    if stage is None:
        return
    raw = {}
    for f in services.stage_fields(submission.assignment, stage):
        d = f.definition
        if f.type in ("text", "long_text"):
            raw[f.answer_key] = "见工作页记录：已按维修手册完成。"
        elif f.type == "checklist":
            raw[f.answer_key] = list(range(len(d["items"])))
        elif f.type == "table":
            rows = len(d.get("row_labels") or []) or d["rows"]
            raw[f.answer_key] = [{c["key"]: ("10" if c["type"] == "number" else "已记录") for c in d["columns"]}
                                 for _ in range(rows)]
    services.save_stage(submission, stage, raw, by=student, submit=False)
    if submit:
        services.save_stage(submission, stage, raw, by=student, submit=True)
