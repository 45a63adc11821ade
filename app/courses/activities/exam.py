"""``exam``: completion = the learner submitted the exam, or passed it (``rule.require``: submitted | passed).

An attempt whose result is not known yet (submitted, or waiting for hand marking) is 待评分, never 未通过: whether it
passes is decided by the grader.

Imported only when the exams domain is installed (see ADAPTERS). One query for all learners.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.courses.activities import NOT_STARTED, ActivityKind, Completion, State, register
from app.errors import ValidationError
from app.extensions import db

REQUIREMENTS = ("submitted", "passed")


@register
class ExamKind(ActivityKind):
    name = "exam"
    label = _l("考试")
    needs_target = True

    def targets(self, course):
        from app.exams.models import Exam

        stmt = select(Exam.id, Exam.title).order_by(Exam.id.desc())
        if course.school_id is not None:
            stmt = stmt.where((Exam.school_id == course.school_id) | Exam.school_id.is_(None))
        return [(row.id, row.title) for row in db.session.execute(stmt)]

    def target_url(self, activity):
        from flask import url_for

        return url_for("exams.detail", exam_id=activity.target_id) if activity.target_id else None

    def on_learners(self, activity, user_ids):
        """Course learners may take the course's exams: each gets an exam grant (kept if they leave)."""
        from app.exams.models import ExamGrant

        if not activity.target_id:
            return
        have = set(db.session.scalars(select(ExamGrant.user_id).where(
            ExamGrant.exam_id == activity.target_id, ExamGrant.user_id.in_(list(user_ids)))))
        for user_id in dict.fromkeys(user_ids):
            if user_id not in have:
                db.session.add(ExamGrant(exam_id=activity.target_id, user_id=user_id))
        db.session.flush()

    def validate(self, *, target_id, rule, body, url):
        require = (rule or {}).get("require", "submitted")
        if require not in REQUIREMENTS:
            raise ValidationError(_("考试的完成条件只能是“已提交”或“已通过”。"))
        if not target_id:
            raise ValidationError(_("请选择考试。"))
        return {"require": require}

    def completion_for(self, activity, user_ids):
        from app.exams.models import Attempt

        ids = list(user_ids)
        rows = db.session.execute(select(Attempt.user_id, Attempt.state, Attempt.passed).where(
            Attempt.exam_id == activity.target_id, Attempt.user_id.in_(ids))).all() if ids else []
        best: dict[int, Completion] = {}
        want_pass = (activity.rule or {}).get("require") == "passed"
        for user_id, state, passed in rows:
            if state == "in_progress":
                candidate = Completion(State.in_progress, _("作答中"), 50)
            elif want_pass and state in ("submitted", "needs_grading"):
                candidate = Completion(State.in_progress, _("待评分"), 75)
            elif want_pass and not passed:
                candidate = Completion(State.in_progress, _("考试未通过"), 50)
            else:
                candidate = Completion(State.complete, _("已通过") if passed else _("已提交"), 100)
            current = best.get(user_id)
            if current is None or candidate.percent > current.percent:
                best[user_id] = candidate
        return {uid: best.get(uid, NOT_STARTED) for uid in ids}


from app.courses import exam_audiences  # noqa: E402,F401  (registers courses and cohorts as exam audiences)
