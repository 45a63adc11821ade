"""The final task score of 多元评价, computed for many students at once (a fixed number of queries).

Rule (shown to students and teachers on the score page):

1. Each party's score is the mean of its evaluations' percentages (peers: the mean over the peers who
   evaluated).
2. The final is **pending** while the teacher has not evaluated (when the teacher's weight is above 0), and
   while assigned peer reviews are missing before the peer deadline (without one: the last stage's due date). After the deadline nobody waits: a
   missing party (self, peer or mentor) follows the assignment's missing-party rule:
   ``renormalise`` — left out, the other weights are scaled up to 100; ``zero`` — counts as 0 points.
3. Group work: the peer, teacher and mentor evaluations are of the group's shared submission; the self score is
   the member's own self evaluation. The teacher may adjust one member's final by up to ±30 points with a
   reason (clamped to 0–100); the breakdown shows the group's score and the adjustment.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.core import clock
from app.extensions import db
from app.tasks.models import (Evaluation, MissingRule, Party, PeerReview, TaskAssignment, TaskGroupMember,
                              TaskSubmission)

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
    #: Group work: the teacher's adjustment for this member (points) and why; ``base`` is the score before it.
    adjustment: float = 0.0
    adjustment_reason: str = ""
    base: float | None = None


def peer_deadline(assignment: TaskAssignment):
    """The peer deadline; for a task set without one (scripts, the API) the last stage's due date, so that a
    missing peer review does not hold the final score back for ever once the work itself is due."""
    if assignment.peer_due_at is not None:
        return assignment.peer_due_at
    dues = [s.due_at for s in assignment.stages if s.due_at is not None]
    return max(dues) if dues else None


def _pending(assignment, student_id, parties, reason) -> Breakdown:
    return Breakdown(assignment.id, student_id, parties, None, reason, False, assignment.missing_rule)


def compute(assignment: TaskAssignment, student_id: int, sums: dict[str, tuple[float, int]],
            peers_assigned: int, now, adjustment: tuple[float, str] = (0.0, "")) -> Breakdown:
    """The breakdown of one student from already loaded sums ``{party: (total percent, count)}`` and the
    teacher's adjustment ``(points, reason)`` (group work)."""
    result = _compute(assignment, student_id, sums, peers_assigned, now)
    points, reason = adjustment
    if points and result.final is not None:
        result.base = result.final
        result.final = round(min(100.0, max(0.0, result.final + points)), 2)
        result.adjustment, result.adjustment_reason = points, reason
    return result


def _compute(assignment, student_id, sums, peers_assigned, now) -> Breakdown:
    from flask_babel import gettext as _

    raw = {p: (sums[p][0] / sums[p][1] if sums.get(p) and sums[p][1] else None) for p in PARTIES}
    parties = [PartyScore(p, assignment.weight(p), 0.0, raw[p], sums.get(p, (0, 0))[1]) for p in PARTIES]
    if assignment.weight_teacher > 0 and raw["teacher"] is None:
        return _pending(assignment, student_id, parties, _("等待教师评价"))
    peer_due = clock.as_utc(peer_deadline(assignment))
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


def submissions_of(assignments, user_ids) -> dict[tuple[int, int], tuple[int, float, str]]:
    """{(assignment id, student id): (submission id, adjustment points, reason)}: the student's own submission,
    or their group's (one query per work mode present)."""
    individual = [a.id for a in assignments if not a.is_group_work]
    group = [a.id for a in assignments if a.is_group_work]
    out = {}
    if individual:
        for aid, uid, sid in db.session.execute(
                select(TaskSubmission.assignment_id, TaskSubmission.student_id, TaskSubmission.id)
                .where(TaskSubmission.assignment_id.in_(individual), TaskSubmission.student_id.in_(user_ids))):
            out[(aid, uid)] = (sid, 0.0, "")
    if group:
        for aid, uid, sid, points, reason in db.session.execute(
                select(TaskGroupMember.assignment_id, TaskGroupMember.student_id, TaskSubmission.id,
                       TaskGroupMember.adjustment, TaskGroupMember.adjustment_reason)
                .join(TaskSubmission, TaskSubmission.group_id == TaskGroupMember.group_id)
                .where(TaskGroupMember.assignment_id.in_(group), TaskGroupMember.student_id.in_(user_ids))):
            out[(aid, uid)] = (sid, float(points or 0), reason or "")
    return out


def breakdowns(assignments, user_ids) -> dict[tuple[int, int], Breakdown]:
    """{(assignment id, student id): Breakdown} for every given assignment and student (three queries, four
    when individual and group work are mixed)."""
    assignments = list(assignments)
    ids = list(user_ids)
    if not assignments or not ids:
        return {}
    aids = [a.id for a in assignments]
    subs = submissions_of(assignments, ids)
    # Per submission and party; self evaluations also per evaluator (each group member scores themself).
    by_sub: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
    self_by: dict[tuple[int, int], tuple[float, int]] = {}
    rows = db.session.execute(
        select(Evaluation.submission_id, Evaluation.party, Evaluation.evaluator_id,
               func.sum(Evaluation.percent), func.count(Evaluation.id))
        .join(TaskSubmission, Evaluation.submission_id == TaskSubmission.id)
        .where(TaskSubmission.assignment_id.in_(aids))
        .group_by(Evaluation.submission_id, Evaluation.party, Evaluation.evaluator_id))
    for sid, party, evaluator, total, count in rows:
        if party == Party.self_.value:
            self_by[(sid, evaluator)] = (float(total or 0), int(count))
            continue
        old_total, old_count = by_sub[sid].get(party, (0.0, 0))
        by_sub[sid][party] = (old_total + float(total or 0), old_count + int(count))
    peers = dict(db.session.execute(
        select(PeerReview.submission_id, func.count(PeerReview.id)).where(PeerReview.assignment_id.in_(aids))
        .group_by(PeerReview.submission_id)).all())
    now = clock.now()
    out = {}
    for a in assignments:
        for uid in ids:
            sid, points, reason = subs.get((a.id, uid), (None, 0.0, ""))
            sums = dict(by_sub.get(sid, {}))
            if (sid, uid) in self_by:
                sums[Party.self_.value] = self_by[(sid, uid)]
            out[(a.id, uid)] = compute(a, uid, sums, peers.get(sid, 0), now, (points, reason))
    return out
