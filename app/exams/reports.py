"""Exam report: score distribution, pass rate and classical item analysis, in one pass over two SELECTs.

Facility is the mean fraction of the points earned on a question. Discrimination is given two ways: the
upper-lower index D (mean fraction in the top 27 % of attempts by total score minus the bottom 27 %) and the
corrected point-biserial r (correlation of the item's fraction with the rest of the score). Questions are
flagged when they look wrong: negative discrimination, facility below 0.1 or above 0.95.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app.exams.models import Attempt, AttemptItem, AttemptState, Exam
from app.extensions import db
from app.questions.models import Question

#: Share of attempts in each of the upper and lower groups.
GROUP_SHARE = 0.27
LOW_FACILITY, HIGH_FACILITY = 0.1, 0.95
#: Histogram buckets of the score percentage.
BUCKETS = 10


@dataclass
class ItemStats:
    question_id: int
    name: str = ""
    qtype: str = ""
    n: int = 0
    facility: float | None = None
    discrimination: float | None = None
    point_biserial: float | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class ExamReport:
    attempts: int
    mean_percent: float | None
    pass_rate: float | None
    histogram: list[dict]
    items: list[ItemStats]


class _Acc:
    __slots__ = ("n", "sf", "sff", "sx", "sxx", "sfx", "up", "nup", "low", "nlow")

    def __init__(self):
        self.n = self.sf = self.sff = self.sx = self.sxx = self.sfx = 0.0
        self.up = self.nup = self.low = self.nlow = 0.0


def build_report(exam: Exam) -> ExamReport:
    """Everything the report page shows, for graded attempts (needs-grading attempts are left out)."""
    attempts = db.session.execute(
        select(Attempt.id, Attempt.score, Attempt.max_score, Attempt.passed)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.graded.value)).all()
    if not attempts:
        return ExamReport(0, None, None, _histogram([]), [])
    totals = {a.id: a.score or 0.0 for a in attempts}
    percents = [100.0 * (a.score or 0.0) / a.max_score if a.max_score else 0.0 for a in attempts]
    ranked = sorted(totals, key=totals.get)
    k = max(1, int(round(len(ranked) * GROUP_SHARE)))
    lower, upper = set(ranked[:k]), set(ranked[-k:])
    accs: dict[int, _Acc] = {}
    rows = db.session.execute(
        select(AttemptItem.attempt_id, AttemptItem.question_id, AttemptItem.fraction, AttemptItem.score)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.graded.value, AttemptItem.points > 0))
    for attempt_id, question_id, fraction, score in rows:
        acc = accs.get(question_id)
        if acc is None:
            acc = accs[question_id] = _Acc()
        f = fraction or 0.0
        rest = totals[attempt_id] - (score or 0.0)
        acc.n += 1
        acc.sf += f
        acc.sff += f * f
        acc.sx += rest
        acc.sxx += rest * rest
        acc.sfx += f * rest
        if attempt_id in upper:
            acc.up += f
            acc.nup += 1
        elif attempt_id in lower:
            acc.low += f
            acc.nlow += 1
    names = dict((qid, (name, qtype)) for qid, name, qtype in db.session.execute(
        select(Question.id, Question.name, Question.type).where(Question.id.in_(list(accs)))))
    items = [_item(qid, acc, *names.get(qid, ("", ""))) for qid, acc in sorted(accs.items())]
    passed = sum(1 for a in attempts if a.passed)
    return ExamReport(len(attempts), sum(percents) / len(percents), passed / len(attempts), _histogram(percents),
                      items)


def _item(question_id: int, acc: _Acc, name: str, qtype: str) -> ItemStats:
    stats = ItemStats(question_id=question_id, name=name, qtype=qtype, n=int(acc.n))
    stats.facility = acc.sf / acc.n
    if acc.nup and acc.nlow:
        stats.discrimination = acc.up / acc.nup - acc.low / acc.nlow
    var_f = acc.n * acc.sff - acc.sf * acc.sf
    var_x = acc.n * acc.sxx - acc.sx * acc.sx
    if var_f > 1e-12 and var_x > 1e-12:
        stats.point_biserial = (acc.n * acc.sfx - acc.sf * acc.sx) / math.sqrt(var_f * var_x)
    if (stats.discrimination is not None and stats.discrimination < 0) or (
            stats.point_biserial is not None and stats.point_biserial < 0):
        stats.flags.append(_("区分度为负：高分组答得比低分组差，请检查答案是否有误"))
    if stats.facility < LOW_FACILITY:
        stats.flags.append(_("过难：得分率低于 10%，请检查题目或答案"))
    if stats.facility > HIGH_FACILITY:
        stats.flags.append(_("过易：得分率高于 95%"))
    return stats


def _histogram(percents: list[float]) -> list[dict]:
    counts = [0] * BUCKETS
    for p in percents:
        counts[min(BUCKETS - 1, max(0, int(p // (100 / BUCKETS))))] += 1
    top = max(counts) or 1
    width = 100 // BUCKETS
    return [{"label": f"{i * width}–{(i + 1) * width}", "count": c, "share": 100.0 * c / top}
            for i, c in enumerate(counts)]


def result_rows(exam: Exam):
    """Rows of the results export: one per attempt (one statement)."""
    from app.auth.models import User

    rows = db.session.execute(
        select(User.username, User.full_name, Attempt.number, Attempt.state, Attempt.score, Attempt.max_score,
               Attempt.passed, Attempt.started_at, Attempt.submitted_at, Attempt.closed_by)
        .join(User, User.id == Attempt.user_id).where(Attempt.exam_id == exam.id)
        .order_by(User.username, Attempt.number))
    for r in rows:
        yield [r.username, r.full_name, r.number, r.state, r.score, r.max_score,
               "" if r.passed is None else (_("是") if r.passed else _("否")),
               r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else "",
               r.submitted_at.strftime("%Y-%m-%d %H:%M:%S") if r.submitted_at else "", r.closed_by or ""]


def result_headers() -> list[str]:
    return [_("用户名"), _("姓名"), _("第几次"), _("状态"), _("得分"), _("满分"), _("是否及格"), _("开始时间"),
            _("交卷时间"), _("交卷方式")]
