"""Plans, tasks, quarterly milestones and progress reports (形象进度). Writes flush; the caller commits."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.alliances.models import Milestone, Plan, PlanTask, ProgressReport
from app.auth.models import Role
from app.errors import ValidationError, get_or_raise
from app.extensions import db

QUARTERS = (1, 2, 3, 4)


def get_plan(plan_id: int) -> Plan:
    """The plan or NotFound."""
    return get_or_raise(Plan, plan_id, _("计划不存在。"))


def plans() -> list[Plan]:
    return list(db.session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.title)))


def get_task(plan: Plan, task_id: int) -> PlanTask:
    """A task of this plan or NotFound."""
    return get_or_raise(PlanTask, task_id, _("任务不存在。"), belongs_to={"plan_id": plan.id})


def can_manage_plan(user, plan: Plan) -> bool:
    """Platform admins; school admins of the plan's owner school."""
    if not (user and user.is_authenticated):
        return False
    return user.has_role(Role.platform_admin) or (
        plan.owner_school_id is not None and user.has_role(Role.school_admin) and user.school_id == plan.owner_school_id)


def can_report(user, plan: Plan, task: PlanTask) -> bool:
    """The task's responsible user, or whoever manages the plan."""
    return bool(user and user.is_authenticated) and (task.responsible_user_id == user.id or can_manage_plan(user, plan))


def report_progress(plan: Plan, task: PlanTask, reporter, *, quarter, percent, text: str = "") -> ProgressReport:
    """Append a progress report. Refused: a quarter outside 1–4, a closed quarter, a percentage that is not a
    whole number from 0 to 100."""
    if quarter not in QUARTERS:
        raise ValidationError(_("请选择季度。"))
    if quarter <= plan.closed_through:
        raise ValidationError(_("第%(q)s季度已关闭，不能再上报进度。", q=quarter))
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
        raise ValidationError(_("完成比例须为 0 到 100 的整数。"))
    report = ProgressReport(task_id=task.id, quarter=quarter, percent=percent, text=text.strip(),
                            reporter_id=getattr(reporter, "id", None))
    db.session.add(report)
    db.session.flush()
    return report


def close_quarter(plan: Plan, quarter: int) -> None:
    """Close reporting for quarters up to ``quarter`` (never reopens)."""
    if quarter not in QUARTERS:
        raise ValidationError(_("请选择季度。"))
    plan.closed_through = max(plan.closed_through, quarter)
    db.session.flush()


def progress_table(plan: Plan) -> list[dict]:
    """The 形象进度表: per task ``{"task", "quarters": {q: {"planned", "report"}}}`` (newest report per
    quarter), in three statements whatever the number of tasks."""
    tasks = list(db.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan.id)
                                    .order_by(PlanTask.position, PlanTask.id)))
    ids = [t.id for t in tasks]
    planned, reports = {}, {}
    if ids:
        for m in db.session.scalars(select(Milestone).where(Milestone.task_id.in_(ids))):
            planned[(m.task_id, m.quarter)] = m.planned
        for r in db.session.scalars(select(ProgressReport).where(ProgressReport.task_id.in_(ids))
                                    .order_by(ProgressReport.created_at, ProgressReport.id)):
            reports[(r.task_id, r.quarter)] = r
    return [{"task": t, "quarters": {q: {"planned": planned.get((t.id, q), ""), "report": reports.get((t.id, q))}
                                     for q in QUARTERS}} for t in tasks]
