"""Exam report: score distribution, pass rate and classical item analysis, aggregated in SQL.

Facility is the mean fraction of the points earned on a question. Discrimination is given two ways: the
upper-lower index D (mean fraction in the top 27 % of attempts by total score minus the bottom 27 %) and the
corrected point-biserial r (correlation of the item's fraction with the rest of the score). Questions are
flagged when they look wrong: negative discrimination, facility below 0.1 or above 0.95.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app.core import clock
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


def build_report(exam: Exam) -> ExamReport:
    """Everything the report page shows, for graded attempts (needs-grading attempts are left out).

    Two statements: the attempts' totals (for the distribution and the 27 % cut-offs), then one GROUP BY over
    the items that lets the database sum what facility, D and the point-biserial need.
    """
    attempts = db.session.execute(
        select(Attempt.score, Attempt.max_score, Attempt.passed)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.graded.value)).all()
    if not attempts:
        return ExamReport(0, None, None, _histogram([]), [])
    scores = sorted(a.score or 0.0 for a in attempts)
    percents = [100.0 * (a.score or 0.0) / a.max_score if a.max_score else 0.0 for a in attempts]
    k = max(1, int(round(len(scores) * GROUP_SHARE)))
    # Score cut-offs of the lower and upper 27 % (ties at a cut-off join its group).
    lower_cut, upper_cut = scores[k - 1], scores[-k]
    f = func.coalesce(AttemptItem.fraction, 0.0)
    rest = func.coalesce(Attempt.score, 0.0) - func.coalesce(AttemptItem.score, 0.0)
    upper = Attempt.score >= upper_cut
    lower = Attempt.score <= lower_cut
    rows = db.session.execute(
        select(AttemptItem.question_id, func.count(), func.sum(f), func.sum(f * f), func.sum(rest),
               func.sum(rest * rest), func.sum(f * rest),
               func.sum(case((upper, f), else_=0.0)), func.sum(case((upper, 1), else_=0)),
               func.sum(case((lower, f), else_=0.0)), func.sum(case((lower, 1), else_=0)),
               func.min(Question.name), func.min(Question.type))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).join(Question, Question.id == AttemptItem.question_id)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.graded.value, AttemptItem.points > 0)
        .group_by(AttemptItem.question_id).order_by(AttemptItem.question_id)).all()
    separable = upper_cut > lower_cut
    items = [_item(row, separable) for row in rows]
    passed = sum(1 for a in attempts if a.passed)
    return ExamReport(len(attempts), sum(percents) / len(percents), passed / len(attempts), _histogram(percents),
                      items)


def _item(row, separable: bool) -> ItemStats:
    (question_id, n, sf, sff, sx, sxx, sfx, up, nup, low, nlow, name, qtype) = row
    n, sf, sff, sx, sxx, sfx = n, float(sf or 0), float(sff or 0), float(sx or 0), float(sxx or 0), float(sfx or 0)
    stats = ItemStats(question_id=question_id, name=name or "", qtype=qtype or "", n=int(n))
    stats.facility = sf / n
    if separable and nup and nlow:
        stats.discrimination = float(up) / float(nup) - float(low) / float(nlow)
    var_f = n * sff - sf * sf
    var_x = n * sxx - sx * sx
    if var_f > 1e-9 and var_x > 1e-9:
        stats.point_biserial = (n * sfx - sf * sx) / math.sqrt(var_f * var_x)
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


def result_rows(exam: Exam, *, state_label=str, closed_label=str):
    """Rows of the results export: one per attempt (one statement). ``state_label`` and ``closed_label`` turn
    the stored codes (``graded``, ``timeout`` ...) into the words the teacher reads on the pages."""
    from app.auth.models import User

    rows = db.session.execute(
        select(User.username, User.full_name, Attempt.number, Attempt.state, Attempt.score, Attempt.max_score,
               Attempt.passed, Attempt.started_at, Attempt.submitted_at, Attempt.closed_by)
        .join(User, User.id == Attempt.user_id).where(Attempt.exam_id == exam.id)
        .order_by(User.username, Attempt.number))
    for r in rows:
        yield [r.username, r.full_name, r.number, state_label(r.state), r.score, r.max_score,
               "" if r.passed is None else (_("是") if r.passed else _("否")),
               clock.local_text(r.started_at), clock.local_text(r.submitted_at),
               closed_label(r.closed_by) if r.closed_by else ""]


def result_headers() -> list[str]:
    return [_("用户名"), _("姓名"), _("第几次"), _("状态"), _("得分"), _("满分"), _("是否及格"),
            clock.zone_header(_("开始时间")), clock.zone_header(_("交卷时间")), _("交卷方式")]
