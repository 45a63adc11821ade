"""``work_task`` grade source: the gradebook item of a work task takes the computed final task score
(0–100, scaled to the item's max points); pending scores stay empty. Registered in grading's registry from here."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.grading.sources import GradeSource, register


@register
class WorkTaskSource(GradeSource):
    name = "work_task"
    label = _l("学习任务（多元评价）")
    needs_target = True

    def targets(self, course):
        from app.tasks.models import TaskAssignment

        return [(row.id, row.title) for row in db.session.execute(
            select(TaskAssignment.id, TaskAssignment.title).where(TaskAssignment.course_id == course.id)
            .order_by(TaskAssignment.id))]

    def compute(self, items, user_ids):
        from app.tasks import scoring
        from app.tasks.models import TaskAssignment

        ids = list(user_ids)
        items = [i for i in items if i.target_id]
        if not ids or not items:
            return {}
        assignments = list(db.session.scalars(select(TaskAssignment).where(
            TaskAssignment.id.in_({i.target_id for i in items}))))
        scores = scoring.breakdowns(assignments, ids)
        out = {}
        for item in items:
            for uid in ids:
                b = scores.get((item.target_id, uid))
                out[(item.id, uid)] = None if b is None or b.final is None else round(b.final * item.max_points / 100, 2)
        return out
