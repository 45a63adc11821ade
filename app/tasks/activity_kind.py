"""``work_task`` activity kind: complete when the final task score (多元评价) reaches the activity's mark.

Registered in the courses activity registry from here (tasks comes after courses); ``target_id`` is a
TaskAssignment id and ``rule = {"min_score": 60}``. One batched score computation per activity.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.i18n import fmt_score
from app.courses.activities import NOT_STARTED, ActivityKind, Completion, State, register
from app.errors import ValidationError
from app.extensions import db


@register
class WorkTaskKind(ActivityKind):
    name = "work_task"
    label = _l("学习任务（工作任务）")
    needs_target = True

    def targets(self, course):
        from app.tasks.models import TaskAssignment

        return [(row.id, row.title) for row in db.session.execute(
            select(TaskAssignment.id, TaskAssignment.title).where(TaskAssignment.course_id == course.id)
            .order_by(TaskAssignment.id))]

    def target_url(self, activity):
        from flask import url_for

        return url_for("tasks.assignment", assignment_id=activity.target_id) if activity.target_id else None

    def validate(self, *, target_id, rule, body, url):
        if not target_id:
            raise ValidationError(_("请选择学习任务。"))
        try:
            mark = float((rule or {}).get("min_score", 60))
        except (TypeError, ValueError):
            mark = -1
        if not 0 <= mark <= 100:
            raise ValidationError(_("学习任务的完成分数线须在 0 到 100 之间。"))
        return {"min_score": mark}

    def completion_for(self, activity, user_ids):
        return self.completion_for_many([activity], user_ids)[activity.id]

    def completion_for_many(self, activities, user_ids):
        from app.tasks import scoring
        from app.tasks.models import StageEntry, TaskAssignment, TaskSubmission

        ids = list(user_ids)
        acts = list(activities)
        targets = {a.target_id for a in acts if a.target_id}
        if not ids or not targets:
            return {a.id: {uid: NOT_STARTED for uid in ids} for a in acts}
        assignments = list(db.session.scalars(select(TaskAssignment).where(TaskAssignment.id.in_(targets))))
        scores = scoring.breakdowns(assignments, ids)
        # Started = the student's submission (or their group's) has any entry.
        subs = scoring.submissions_of(assignments, ids)
        with_entries = set(db.session.scalars(select(StageEntry.submission_id).join(
            TaskSubmission, StageEntry.submission_id == TaskSubmission.id)
            .where(TaskSubmission.assignment_id.in_(targets)).distinct()))
        started = {key for key, (sid, _points, _reason) in subs.items() if sid in with_entries}
        out = {}
        for act in acts:
            mark = float((act.rule or {}).get("min_score", 60))
            out[act.id] = {uid: _completion(scores.get((act.target_id, uid)), (act.target_id, uid) in started, mark)
                           for uid in ids}
        return out


def _completion(breakdown, started: bool, mark: float) -> Completion:
    if breakdown is not None and breakdown.final is not None:
        if breakdown.final >= mark:
            return Completion(State.complete, _("得分 %(score)s", score=fmt_score(breakdown.final)), 100)
        return Completion(State.in_progress, _("得分 %(score)s，未达 %(mark)s", score=fmt_score(breakdown.final),
                                               mark=fmt_score(mark)), 50)
    if started:
        return Completion(State.in_progress, _("进行中"), 30)
    return NOT_STARTED
