"""``exam``: the best graded attempt of each learner, scaled to the item's max points (one query).

Loaded only when the exams domain is installed (see ADAPTERS).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.grading.sources import GradeSource, register


@register
class ExamSource(GradeSource):
    name = "exam"
    label = _l("考试")
    needs_target = True

    def targets(self, course):
        from app.exams.models import Exam

        stmt = select(Exam.id, Exam.title).order_by(Exam.id.desc())
        if course.school_id is not None:
            stmt = stmt.where((Exam.school_id == course.school_id) | Exam.school_id.is_(None))
        return [(row.id, row.title) for row in db.session.execute(stmt)]

    def compute(self, items, user_ids):
        from app.exams.models import Attempt

        ids = list(user_ids)
        by_exam = {}
        for item in items:
            by_exam.setdefault(item.target_id, []).append(item)
        if not ids or not by_exam:
            return {}
        rows = db.session.execute(select(Attempt.exam_id, Attempt.user_id, Attempt.score, Attempt.max_score).where(
            Attempt.exam_id.in_(list(by_exam)), Attempt.user_id.in_(ids), Attempt.state == "graded"))
        best: dict[tuple[int, int], float] = {}
        for exam_id, user_id, score, max_score in rows:
            if score is None or not max_score:
                continue
            fraction = score / max_score
            if fraction > best.get((exam_id, user_id), -1):
                best[(exam_id, user_id)] = fraction
        out = {}
        for exam_id, exam_items in by_exam.items():
            for item in exam_items:
                for uid in ids:
                    fraction = best.get((exam_id, uid))
                    out[(item.id, uid)] = None if fraction is None else round(fraction * item.max_points, 2)
        return out
