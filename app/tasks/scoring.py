"""The final task score of 多元评价, computed for many students at once (a fixed number of queries).

Rule (shown to students and teachers on the score page):

1. Each party's score is the mean of its evaluations' percentages (peers: the mean over the peers who
   evaluated).
2. The final is **pending** while the teacher has not evaluated (when the teacher's weight is above 0), and
   while assigned peer reviews are missing before the peer deadline. After the deadline nobody waits: a
   missing party (self, peer or mentor) follows the assignment's missing-party rule:
   ``renormalise`` — left out, the other weights are scaled up to 100; ``zero`` — counts as 0 points.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.core import clock
from app.extensions import db
from app.tasks.models import Evaluation, MissingRule, Party, PeerReview, TaskAssignment, TaskSubmission

PARTIES = [p.value for p in Party]


@dataclass
class PartyScore:
    party: str
    #: Weight set on the assignment (percent).
    weight: int
    #: Weight actually used after re-normalisation (percent, may be fractional).
    effective_weight: float
    #: Mean percentage of the party's evaluations; None when missing.
    score: float | None
    evaluations: int

    @property
    def missing(self) -> bool:
        return self.score is None


@dataclass
class Breakdown:
    """How a final task score came about."""

    assignment_id: int
    student_id: int
    parties: list[PartyScore] = field(default_factory=list)
    #: 0–100, or None while pending.
    final: float | None = None
    pending_reason: str = ""
    renormalised: bool = False
    missing_rule: str = MissingRule.renormalise.value


def _pending(assignment, student_id, parties, reason) -> Breakdown:
    return Breakdown(assignment.id, student_id, parties, None, reason, False, assignment.missing_rule)


def compute(assignment: TaskAssignment, student_id: int, sums: dict[str, tuple[float, int]],
            peers_assigned: int, now) -> Breakdown:
    """The breakdown of one student from already loaded sums ``{party: (total percent, count)}``."""
    from flask_babel import gettext as _

    raw = {p: (sums[p][0] / sums[p][1] if sums.get(p) and sums[p][1] else None) for p in PARTIES}
    parties = [PartyScore(p, assignment.weight(p), 0.0, raw[p], sums.get(p, (0, 0))[1]) for p in PARTIES]
    if assignment.weight_teacher > 0 and raw["teacher"] is None:
        return _pending(assignment, student_id, parties, _("等待教师评价"))
    peer_due = clock.as_utc(assignment.peer_due_at)
    peers_done = sums.get("peer", (0, 0))[1]
    if assignment.weight_peer > 0 and peers_done < peers_assigned and (peer_due is None or now < peer_due):
        return _pending(assignment, student_id, parties, _("等待同学互评（截止后按缺评规则计算）"))
    present = [ps for ps in parties if ps.weight > 0 and not ps.missing]
    if not present:
        return _pending(assignment, student_id, parties, _("还没有任何评价"))
    renormalise = assignment.missing_rule == MissingRule.renormalise.value
    total_weight = sum(ps.weight for ps in present) if renormalise else 100
    for ps in parties:
        ps.effective_weight = round(ps.weight * 100 / total_weight, 2) if (ps in present or not renormalise) else 0.0
    final = sum(ps.weight * ps.score for ps in present) / total_weight
    missing = any(ps.weight > 0 and ps.missing for ps in parties)
    return Breakdown(assignment.id, student_id, parties, round(final, 2), "", renormalise and missing,
                     assignment.missing_rule)


def breakdowns(assignments, user_ids) -> dict[tuple[int, int], Breakdown]:
    """{(assignment id, student id): Breakdown} for every given assignment and student (two queries)."""
    assignments = list(assignments)
    ids = list(user_ids)
    if not assignments or not ids:
        return {}
    by_id = {a.id: a for a in assignments}
    sums: dict[tuple[int, int], dict[str, tuple[float, int]]] = defaultdict(dict)
    rows = db.session.execute(
        select(TaskSubmission.assignment_id, TaskSubmission.student_id, Evaluation.party,
               func.sum(Evaluation.percent), func.count(Evaluation.id))
        .join(Evaluation, Evaluation.submission_id == TaskSubmission.id)
        .where(TaskSubmission.assignment_id.in_(list(by_id)), TaskSubmission.student_id.in_(ids))
        .group_by(TaskSubmission.assignment_id, TaskSubmission.student_id, Evaluation.party))
    for aid, uid, party, total, count in rows:
        sums[(aid, uid)][party] = (float(total or 0), int(count))
    peers = dict(((aid, uid), n) for aid, uid, n in db.session.execute(
        select(TaskSubmission.assignment_id, TaskSubmission.student_id, func.count(PeerReview.id))
        .join(PeerReview, PeerReview.submission_id == TaskSubmission.id)
        .where(TaskSubmission.assignment_id.in_(list(by_id)), TaskSubmission.student_id.in_(ids))
        .group_by(TaskSubmission.assignment_id, TaskSubmission.student_id)))
    now = clock.now()
    return {(a.id, uid): compute(a, uid, sums.get((a.id, uid), {}), peers.get((a.id, uid), 0), now)
            for a in assignments for uid in ids}
