"""Exams: papers and their rules, exams and access, the attempt engine, grading and reports.

Services flush, never commit. The attempt engine is written for many concurrent students: the autosave path is
one read (item + attempt owner/state/deadline) and one conditional UPDATE guarded by ``seq``, state and
deadline; closing an attempt is a conditional UPDATE ``... WHERE state = 'in_progress'`` so that exactly one
caller (student, deadline sweeper or lazy close) grades it.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import bindparam, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, lazyload, load_only

from app.core import clock, signals
from app.core.i18n import fmt_score
from app.core.signals import exam_graded, results_changed
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError, get_or_raise
from app.exams import access, draw, review
from app.exams.models import (Attempt, AttemptEvent, AttemptFile, AttemptItem, AttemptState, Exam, ExamGrant,
                              ExamRubric,
                              ItemGrade, MultiScoring, Paper, PaperQuestion, PaperRule)
from app.extensions import db
from app.questions import types as qtypes
from app.questions.sanitize import clean_html
from app.questions.models import KnowledgePoint, Question, QuestionBank, QuestionVersion

#: Seconds after the deadline during which an autosave sent just before it is still accepted.
DEFAULT_SAVE_GRACE_SECONDS = 30

S = AttemptState


def save_grace() -> timedelta:
    return timedelta(seconds=current_app.config.get("EXAM_SAVE_GRACE_SECONDS", DEFAULT_SAVE_GRACE_SECONDS))


# -- papers -----------------------------------------------------------------------------------------------------

def create_paper(*, title: str, school_id: int | None = None, creator=None) -> Paper:
    """An empty paper; add fixed questions with add_paper_question and draw rules with add_paper_rule."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("请填写试卷名称。"))
    paper = Paper(title=title[:200], school_id=school_id, created_by_id=getattr(creator, "id", None))
    db.session.add(paper)
    db.session.flush()
    return paper


def _question_label(question: Question) -> str:
    """How a message names a question to a teacher: its name, else the start of its text (never its id)."""
    if question.name:
        return question.name
    version = question.current_version
    return _short(version.text if version is not None else "")


def add_paper_question(paper: Paper, question: Question, points: float | None = None) -> PaperQuestion:
    """Put a fixed question on the paper (its newest approved version is shown when an attempt starts)."""
    if not question.is_active:
        raise ValidationError(_("试题“%(name)s”不可用。", name=_question_label(question)))
    if question.approved_version_id is None:
        raise ValidationError(_("试题“%(name)s”还没有通过审核的版本，审核通过后才能加入学生作答的试卷。",
                                name=_question_label(question)))
    if any(pq.question_id == question.id for pq in paper.questions):
        raise Conflict(_("试题“%(name)s”已在试卷中。", name=_question_label(question)))
    entry = PaperQuestion(question_id=question.id, position=len(paper.questions) + 1,
                          points=question.approved_version.points if points is None else _points(points))
    paper.questions.append(entry)
    db.session.flush()
    return entry


def _points(value) -> float:
    try:
        points = float(value)
    except (TypeError, ValueError):
        raise ValidationError(_("分值必须是数字。")) from None
    if not 0 <= points <= 1000:
        raise ValidationError(_("分值必须在 0 到 1000 之间。"))
    return points


def _rule_candidates(rule: PaperRule, *, approved: bool = True):
    """SELECT of the ids of questions a rule may draw, in a stable order (so a seed reproduces a draw).

    Only questions with an approved version are drawn (凡编必审), filtered on that version's difficulty (a
    pending edit may change it). ``approved=False``: the questions that would match once their newest
    version is approved, to tell the teacher how many are still waiting for review.
    """
    stmt = select(Question.id).where(Question.bank_id == rule.bank_id, Question.is_active.is_(True))
    if rule.qtype:
        stmt = stmt.where(Question.type == rule.qtype)
    else:
        stmt = stmt.where(Question.type.in_([k for k, t in qtypes.TYPES.items() if t.has_points]))
    if approved:
        stmt = stmt.join(QuestionVersion, QuestionVersion.id == Question.approved_version_id)
        if rule.difficulty:
            stmt = stmt.where(QuestionVersion.difficulty == rule.difficulty)
    else:
        stmt = stmt.where(Question.approved_version_id.is_(None))
        if rule.difficulty:
            stmt = stmt.where(Question.difficulty == rule.difficulty)
    if rule.knowledge_point_id:
        stmt = stmt.where(Question.knowledge_point_id == rule.knowledge_point_id)
    return stmt.order_by(Question.id)


def describe_rule(rule: PaperRule) -> str:
    """The rule in words: 从题库 X 抽取 10 道单选题（难度 3，知识点 Y），每题 2 分."""
    bank = db.session.get(QuestionBank, rule.bank_id)
    parts = []
    if rule.difficulty:
        parts.append(_("难度 %(d)s", d=rule.difficulty))
    if rule.knowledge_point_id:
        point = db.session.get(KnowledgePoint, rule.knowledge_point_id)
        parts.append(_("知识点“%(k)s”", k=point.path if point else rule.knowledge_point_id))
    kind = str(qtypes.TYPES[rule.qtype].label) if rule.qtype in qtypes.TYPES else _("题目")
    filters = "（" + "，".join(parts) + "）" if parts else ""
    return _("从题库“%(bank)s”抽取 %(n)s 道%(kind)s%(filters)s，每题 %(p)s 分", bank=bank.name if bank else "?",
             n=rule.count, kind=kind, filters=filters, p=fmt_score(rule.points))


def rule_shortfall(rule: PaperRule) -> str | None:
    """None when enough questions exist for the rule, else exactly what is missing."""
    available = db.session.scalar(select(func.count()).select_from(_rule_candidates(rule).subquery()))
    if available >= rule.count:
        return None
    message = _("%(rule)s：需要 %(n)s 道，题库中只有 %(have)s 道符合条件并已通过审核，还缺 %(missing)s 道。",
                rule=describe_rule(rule), n=rule.count, have=available, missing=rule.count - available)
    waiting = db.session.scalar(select(func.count()).select_from(
        _rule_candidates(rule, approved=False).subquery()))
    if waiting:
        message += _("另有 %(n)s 道符合条件的新题正在等待审核，审核通过后即可抽取。", n=waiting)
    return message


def add_paper_rule(paper: Paper, *, bank: QuestionBank, count: int, points: float, qtype: str | None = None,
                   difficulty: int | None = None, knowledge_point: KnowledgePoint | None = None) -> PaperRule:
    """Add a draw rule; refused (with what is missing) when the bank cannot fill it."""
    if qtype:
        qtypes.get_type(qtype)
        if not qtypes.TYPES[qtype].has_points:
            raise ValidationError(_("该题型没有分值，不能按规则抽取。"))
    if difficulty is not None and not 1 <= int(difficulty) <= 5:
        raise ValidationError(_("难度必须在 1 到 5 之间。"))
    if not isinstance(count, int) or count < 1 or count > 500:
        raise ValidationError(_("抽题数量必须在 1 到 500 之间。"))
    if knowledge_point is not None and knowledge_point.bank_id != bank.id:
        raise ValidationError(_("知识点不属于该题库。"))
    rule = PaperRule(bank_id=bank.id, qtype=qtype or None, difficulty=difficulty or None,
                     knowledge_point_id=getattr(knowledge_point, "id", None), count=count, points=_points(points),
                     position=len(paper.rules) + 1)
    missing = rule_shortfall(rule)
    if missing:
        raise ValidationError(missing)
    paper.rules.append(rule)
    db.session.flush()
    return rule


def paper_problems(paper: Paper) -> list[str]:
    """What stops the paper from producing an attempt (empty list when it is ready)."""
    problems = [m for m in (rule_shortfall(r) for r in paper.rules) if m]
    fixed = [pq.question_id for pq in paper.questions]
    if fixed:
        unapproved = list(db.session.scalars(select(Question).where(
            Question.id.in_(fixed), Question.approved_version_id.is_(None)).order_by(Question.id)))
        if unapproved:
            problems.append(_("试卷中的试题%(names)s没有通过审核的版本（已撤回发布），请等待审核或从试卷中移除。",
                              names="、".join(f"“{_question_label(q)}”" for q in unapproved)))
    if not paper.rules and not paper.questions:
        problems.append(_("试卷中还没有题目或抽题规则。"))
    if not problems and paper.rules:
        # Each rule can be filled alone; together they need distinct questions (pools may overlap, and fixed
        # questions are never drawn again).
        _picks, missing = draw.assign(_rule_pools(paper), [r.count for r in paper.rules], random.Random(0))
        if missing:
            problems.append(_("各抽题规则合计需要 %(n)s 道不同的题（规则之间有重叠，固定题目不会重复抽取），"
                              "题库中还缺 %(missing)s 道。", n=sum(r.count for r in paper.rules), missing=missing))
    return problems


def simple_draw(paper: Paper) -> dict | None:
    """The paper's draw rules in the shape the exam form edits: ``{"bank_id", "difficulty", "points",
    "draws": {type: count}}`` — one bank, one difficulty and one point value, one rule per type, no fixed
    questions and no knowledge points. None for other papers (built with the CLI or the API)."""
    rules = list(paper.rules)
    if paper.questions or not rules:
        return None
    first = rules[0]
    if any(r.bank_id != first.bank_id or r.difficulty != first.difficulty or r.points != first.points
           or r.knowledge_point_id is not None or r.qtype is None for r in rules):
        return None
    draws = {r.qtype: r.count for r in rules}
    if len(draws) != len(rules):
        return None
    return {"bank_id": first.bank_id, "difficulty": first.difficulty, "points": first.points, "draws": draws}


def replace_draw_rules(exam: Exam, *, bank: QuestionBank, draws: list[tuple[str, int]], points: float,
                       difficulty: int | None = None) -> None:
    """Replace the draw rules of the exam's paper (the form's 组卷规则). Refused once anyone started (Conflict,
    ``details={"field": "rules"}``) and when the bank cannot fill the new rules (ValidationError)."""
    if exam_started(exam):
        raise Conflict(_("已有考生开始作答，组卷规则不能再修改（已作答的试卷按原规则抽题）。"),
                       details={"field": "rules"})
    if not draws:
        raise ValidationError(_("请至少为一种题型填写抽题数量。"), details={"field": "rules"})
    paper = exam.paper
    paper.rules.clear()
    db.session.flush()
    try:
        for qtype, count in draws:
            add_paper_rule(paper, bank=bank, qtype=qtype, count=count, points=points, difficulty=difficulty)
        problems = paper_problems(paper)
    except ValidationError as exc:
        raise ValidationError(exc.message, details={"field": "rules"}) from None
    if problems:
        raise ValidationError(" ".join(problems), details={"field": "rules"})


def paper_max_score(paper: Paper) -> float:
    return sum(pq.points for pq in paper.questions) + sum(r.points * r.count for r in paper.rules)


def draw_questions(paper: Paper, seed: int) -> list[tuple[int, float]]:
    """``[(question_id, points)]`` of a paper for ``seed``: fixed questions first, then each rule's draw.

    The same seed and the same bank give the same draw, so an attempt's paper can be rebuilt and audited.
    A question drawn by an earlier rule is not drawn again.
    """
    rng = random.Random(seed)
    chosen: list[tuple[int, float]] = [(pq.question_id, pq.points) for pq in paper.questions]
    if not paper.rules:
        return chosen
    picks, _missing = draw.assign(_rule_pools(paper), [r.count for r in paper.rules], rng)
    if picks is None:
        raise Conflict(" ".join(paper_problems(paper)) or _("题库中的题目不足，无法组卷。"))
    for rule, picked in zip(paper.rules, picks):
        chosen.extend((qid, rule.points) for qid in picked)
    return chosen


def _rule_pools(paper: Paper) -> list[list[int]]:
    """Each rule's candidate ids (stable order), without the paper's fixed questions."""
    fixed = {pq.question_id for pq in paper.questions}
    return [[qid for qid in db.session.scalars(_rule_candidates(rule)) if qid not in fixed] for rule in paper.rules]


def parse_draw(spec: str) -> list[tuple[str, int]]:
    """``single_choice:10,true_false:5`` -> ``[("single_choice", 10), ("true_false", 5)]``."""
    out = []
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, count = part.partition(":")
        if not sep or not count.strip().isdigit() or int(count) < 1:
            raise ValidationError(_("抽题规则“%(part)s”格式应为 题型:数量。", part=part))
        qtypes.get_type(name.strip())
        out.append((name.strip(), int(count)))
    if not out:
        raise ValidationError(_("至少需要一条抽题规则。"))
    return out


# -- exams ------------------------------------------------------------------------------------------------------

EXAM_FIELDS = {"title", "description", "opens_at", "closes_at", "time_limit_minutes", "max_attempts",
               "shuffle_questions", "shuffle_options", "pass_percent", "multi_scoring", "review_policy",
               "one_at_a_time", "allow_back"}


def _check_exam(exam: Exam) -> None:
    if not (exam.title or "").strip():
        raise ValidationError(_("请填写考试名称。"))
    if exam.opens_at and exam.closes_at and clock.as_utc(exam.closes_at) <= clock.as_utc(exam.opens_at):
        raise ValidationError(_("结束时间必须晚于开始时间。"))
    if exam.time_limit_minutes is not None and not 1 <= exam.time_limit_minutes <= 24 * 60:
        raise ValidationError(_("限时必须在 1 到 1440 分钟之间。"))
    if not 1 <= (exam.max_attempts or 0) <= 100:
        raise ValidationError(_("允许作答次数必须在 1 到 100 之间。"))
    if not 0 <= (exam.pass_percent or 0) <= 100:
        raise ValidationError(_("及格线必须在 0 到 100 之间。"))
    if exam.multi_scoring not in {m.value for m in MultiScoring}:
        raise ValidationError(_("未知的多选题计分方式。"))


def create_exam(*, paper: Paper, title: str, creator=None, school_id: int | None = None, **fields) -> Exam:
    """Create an exam on a paper; refused when the paper cannot produce an attempt."""
    problems = paper_problems(paper)
    if problems:
        raise ValidationError(" ".join(problems))
    unknown = set(fields) - EXAM_FIELDS
    if unknown:
        raise TypeError(f"unknown exam fields: {sorted(unknown)}")
    fields.setdefault("multi_scoring", MultiScoring.per_question.value)
    fields["review_policy"] = review.normalize(fields.get("review_policy"))
    exam = Exam(paper=paper, title=(title or "").strip()[:200], created_by_id=getattr(creator, "id", None),
                school_id=school_id, max_attempts=fields.pop("max_attempts", 1) or 1, **fields)
    _check_exam(exam)
    db.session.add(exam)
    db.session.flush()
    return exam


def exam_started(exam: Exam) -> bool:
    """Whether anyone has started an attempt on the exam's paper. From then on its review options and draw rules
    are fixed: students took it under them, and their attempts must stay comparable."""
    return db.session.scalar(select(Attempt.id).join(Exam, Exam.id == Attempt.exam_id)
                             .where(Exam.paper_id == exam.paper_id).limit(1)) is not None


def update_exam(exam: Exam, **fields) -> Exam:
    """Change settings. The window and limits apply to attempts started afterwards (deadlines are stored).

    Review options may change only until the first attempt (Conflict, ``details={"field": "review"}``)."""
    unknown = set(fields) - EXAM_FIELDS
    if unknown:
        raise TypeError(f"unknown exam fields: {sorted(unknown)}")
    if "review_policy" in fields:
        fields["review_policy"] = review.normalize(fields["review_policy"])
        if fields["review_policy"] != review.normalize(exam.review_policy) and exam_started(exam):
            raise Conflict(_("已有考生开始作答，回顾设置不能再修改（考生是按原设置参加考试的）。"),
                           details={"field": "review"})
    one = bool(fields.get("one_at_a_time", exam.one_at_a_time))
    back = bool(fields.get("allow_back", exam.allow_back))
    # allow_back only matters with one question at a time (an unticked box elsewhere changes nothing).
    changed = one != bool(exam.one_at_a_time) or (one and back != bool(exam.allow_back))
    if changed and exam_started(exam):
        raise Conflict(_("已有考生开始作答，逐题作答的设置不能再修改。"), details={"field": "form"})
    for name, value in fields.items():
        setattr(exam, name, value)
    _check_exam(exam)
    db.session.flush()
    return exam


def get_exam(exam_id: int) -> Exam:
    return get_or_raise(Exam, exam_id, _("考试不存在。"))


def grant_access(exam: Exam, user, *, extra_minutes: int = 0) -> ExamGrant:
    """Let ``user`` take ``exam`` (idempotent; updates the extra time)."""
    if not 0 <= int(extra_minutes) <= 24 * 60:
        raise ValidationError(_("延长时间必须在 0 到 1440 分钟之间。"))
    grant = db.session.scalar(select(ExamGrant).where(ExamGrant.exam_id == exam.id, ExamGrant.user_id == user.id))
    new = grant is None
    if new:
        grant = ExamGrant(exam_id=exam.id, user_id=user.id)
        db.session.add(grant)
    grant.extra_minutes = int(extra_minutes)
    db.session.flush()
    if new:
        signals.exam_granted.send("exams", exam_id=exam.id, user_ids=[user.id])
    return grant


def revoke_access(exam: Exam, user_id: int, *, by=None) -> int:
    """Withdraw a student's access to the exam. An attempt still in progress is collected at once (教师收卷: closed
    and graded with the answers saved so far), so someone removed mid-exam cannot go on answering or submit
    later. Returns how many attempts were collected."""
    grant = db.session.scalar(select(ExamGrant).where(ExamGrant.exam_id == exam.id, ExamGrant.user_id == user_id))
    if grant is not None:
        db.session.delete(grant)
        db.session.flush()
    running = list(db.session.scalars(select(Attempt.id).where(Attempt.exam_id == exam.id, Attempt.user_id == user_id,
                                                               Attempt.state == S.in_progress.value)))
    return sum(1 for attempt_id in running
               if close_attempt(attempt_id, closed_by="teacher", actor_id=by.id if by is not None else None))


def grant_of(exam_id: int, user_id: int) -> ExamGrant | None:
    return db.session.scalar(select(ExamGrant).where(ExamGrant.exam_id == exam_id, ExamGrant.user_id == user_id))


def list_grants(exam: Exam) -> list[ExamGrant]:
    return list(db.session.scalars(select(ExamGrant).where(ExamGrant.exam_id == exam.id).order_by(ExamGrant.id)))


def exams_for_student(user_id: int) -> list[tuple[Exam, list[Attempt]]]:
    """Exams granted to a student with their attempts, in two statements."""
    exams = list(db.session.scalars(select(Exam).join(ExamGrant, ExamGrant.exam_id == Exam.id)
                                    .where(ExamGrant.user_id == user_id).order_by(Exam.id.desc())))
    attempts: dict[int, list[Attempt]] = {e.id: [] for e in exams}
    if exams:
        for attempt in db.session.scalars(select(Attempt).where(Attempt.user_id == user_id,
                                                                Attempt.exam_id.in_(list(attempts)))
                                          .options(lazyload(Attempt.user), lazyload(Attempt.exam))
                                          .order_by(Attempt.number)):
            attempts[attempt.exam_id].append(attempt)
    return [(e, attempts[e.id]) for e in exams]


def exam_window_state(exam: Exam, now: datetime | None = None) -> str:
    """``not_open``, ``open`` or ``closed``."""
    now = now or clock.now()
    if exam.opens_at and now < clock.as_utc(exam.opens_at):
        return "not_open"
    if exam.closes_at and now >= clock.as_utc(exam.closes_at):
        return "closed"
    return "open"


# -- attempts: start and resume ---------------------------------------------------------------------------------

def _deadline(exam: Exam, started: datetime, extra_minutes: int, closes_at=False) -> datetime | None:
    candidates = []
    closes_at = exam.closes_at if closes_at is False else closes_at
    if exam.time_limit_minutes:
        candidates.append(started + timedelta(minutes=exam.time_limit_minutes + (extra_minutes or 0)))
    if closes_at:
        candidates.append(clock.as_utc(closes_at))
    return min(candidates) if candidates else None


def is_overdue(attempt: Attempt, now: datetime | None = None) -> bool:
    """In progress but past its deadline and the save grace: it must be closed with its saved answers."""
    if attempt.state != S.in_progress.value:
        return False
    return is_overdue_deadline(attempt.deadline, now)


def is_overdue_deadline(deadline: datetime | None, now: datetime | None = None) -> bool:
    """Whether an in-progress attempt with this deadline is past it and the save grace."""
    return deadline is not None and (now or clock.now()) > clock.as_utc(deadline) + save_grace()


def open_attempt(exam_id: int, user_id: int) -> Attempt | None:
    # The student is the caller: their User row (and its roles) need not be loaded again with the attempt.
    return db.session.scalar(select(Attempt).options(lazyload(Attempt.user))
                             .where(Attempt.exam_id == exam_id, Attempt.user_id == user_id,
                                    Attempt.state == S.in_progress.value))


def open_attempt_brief(exam_id: int, user_id: int):
    """``(id, deadline)`` of the student's open attempt, or None: the start path's cheap first check."""
    row = db.session.execute(select(Attempt.id, Attempt.deadline)
                             .where(Attempt.exam_id == exam_id, Attempt.user_id == user_id,
                                    Attempt.state == S.in_progress.value)).first()
    return (row.id, clock.as_utc(row.deadline)) if row else None


def start_attempt(exam: Exam, user, *, code: str | None = None, ip: str | None = None) -> tuple[Attempt, bool]:
    """Resume the student's open attempt or start a new one; returns ``(attempt, created)``.

    An open attempt past its deadline is closed first (with its saved answers) and never reopened. A new attempt
    needs access, an open window and an attempt left; its questions are drawn from a fresh random seed that is
    recorded on the attempt. (The API view runs the same two phases with the write lock taken only for
    :func:`create_attempt`.)
    """
    now = clock.now()
    current = open_attempt(exam.id, user.id)
    if current is not None and is_overdue(current, now):
        close_attempt(current.id, closed_by="timeout", now=now)
        current = None
    if current is not None:
        return current, False
    return create_attempt(plan_attempt(exam, user, now, code=code, ip=ip), now)


@dataclass
class AttemptPlan:
    """Everything a new attempt needs, prepared by reads only (so the write transaction stays short).

    Plain values only: the write phase starts with a commit that expires every loaded object, and must not
    spend its time holding the write lock reloading them."""

    exam_id: int
    user_id: int
    max_attempts: int
    seed: int
    deadline: datetime | None
    items: list[dict]
    max_score: float


def plan_attempt(exam: Exam, user, now: datetime | None = None, *, code: str | None = None,
                 ip: str | None = None) -> AttemptPlan:
    """Check access, window (the learner's course/cohort window when granted that way), the access code and
    network (app/exams/access.py) and attempts left, then draw and shuffle the paper for a fresh seed (reads
    only)."""
    now = now or clock.now()
    grant = grant_of(exam.id, user.id)
    if grant is None:
        raise PermissionDenied(_("您没有参加这场考试的权限。"))
    extra_minutes = grant.extra_minutes
    span = access.window_for(exam, grant)
    window = access.window_state(span, now)
    if window == "not_open":
        raise Conflict(_("考试尚未开始。"))
    if window == "closed":
        raise Conflict(_("考试已结束，不能再开始作答。"))
    if _attempts_used(exam.id, user.id)[0] >= exam.max_attempts:
        raise Conflict(_("您的作答次数已用完。"))
    access.check_entry(exam, user, code=code, ip=ip)
    seed = secrets.randbits(62)
    items, max_score = _plan_items(exam, seed)
    return AttemptPlan(exam_id=exam.id, user_id=user.id, max_attempts=exam.max_attempts, seed=seed,
                       deadline=_deadline(exam, now, extra_minutes, span.closes_at), items=items,
                       max_score=max_score)


def _attempts_used(exam_id: int, user_id: int) -> tuple[int, int | None]:
    """``(attempts made, id of the open one or None)`` in one statement."""
    row = db.session.execute(
        select(func.count(), func.max(case((Attempt.state == S.in_progress.value, Attempt.id))))
        .where(Attempt.exam_id == exam_id, Attempt.user_id == user_id)).one()
    return row[0] or 0, row[1]


def create_attempt(plan: AttemptPlan, now: datetime | None = None) -> tuple[Attempt, bool]:
    """Write a planned attempt: re-checks (inside the write transaction, in one statement) that no other request
    started one meanwhile. Uses only the plan's plain values, so nothing is reloaded under the write lock."""
    now = now or clock.now()
    used, open_id = _attempts_used(plan.exam_id, plan.user_id)
    if open_id is not None:
        return db.session.get(Attempt, open_id, options=[lazyload(Attempt.user)]), False
    if used >= plan.max_attempts:
        raise Conflict(_("您的作答次数已用完。"))
    attempt = Attempt(exam_id=plan.exam_id, user_id=plan.user_id, number=used + 1, seed=plan.seed, started_at=now,
                      state=S.in_progress.value, deadline=plan.deadline, max_score=plan.max_score)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        # A second tab started the same attempt number at the same moment: resume that one.
        current = open_attempt(plan.exam_id, plan.user_id)
        if current is None:
            raise Conflict(_("答卷正在创建，请稍后重试。")) from None
        return current, False
    db.session.execute(insert(AttemptItem), [dict(row, attempt_id=attempt.id, seq=0) for row in plan.items])
    db.session.add(AttemptEvent(attempt_id=attempt.id, from_state=None, to_state=S.in_progress.value,
                                reason="start", actor_id=plan.user_id, at=now))
    db.session.flush()
    db.session.expire(attempt, ["items"])
    return attempt, True


def _plan_items(exam: Exam, seed: int) -> tuple[list[dict], float]:
    drawn = draw_questions(exam.paper, seed)
    rng = random.Random(seed ^ 0x5EED)
    if exam.shuffle_questions:
        rng.shuffle(drawn)
    ids = [qid for qid, _p in drawn]
    # Only what the draw and the public-view cache key need: the texts are loaded (once per process and
    # version) only when public_view misses its cache.
    versions = {v.question_id: v for v in db.session.scalars(
        select(QuestionVersion).join(Question, Question.approved_version_id == QuestionVersion.id)
        .options(load_only(QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.type,
                           QuestionVersion.data, QuestionVersion.created_at))
        .where(Question.id.in_(ids)))}
    rows, max_score = [], 0.0
    for slot, (qid, points) in enumerate(drawn, start=1):
        version = versions.get(qid)
        if version is None:  # a fixed question whose approval was withdrawn after the paper was built
            raise Conflict(_("试卷中有试题没有通过审核的版本，暂时不能开始考试，请联系老师。"))
        qtype = qtypes.TYPES[version.type]
        points = points if qtype.has_points else 0.0
        max_score += points
        order = None
        options = public_view(version).get("options") or []
        if exam.shuffle_options and len(options) > 1 and version.data.get("shuffle", True):
            order = [o["key"] for o in options]
            rng.shuffle(order)
        rows.append({"slot": slot, "question_version_id": version.id, "question_id": qid, "qtype": version.type,
                     "points": points, "option_order": order})
    return rows, max_score


def _record(attempt: Attempt, from_state, to_state: str, reason: str, actor_id, now=None) -> None:
    db.session.add(AttemptEvent(attempt_id=attempt.id, from_state=from_state, to_state=to_state, reason=reason,
                                actor_id=actor_id, at=now or clock.now()))


def get_attempt(attempt_id: int, *, lean: bool = False) -> Attempt:
    """The attempt (404 when missing). ``lean`` leaves its student unloaded (the API: the student is the caller,
    and the User row would bring its roles along in a second statement)."""
    options = [lazyload(Attempt.user)] if lean else []
    return get_or_raise(Attempt, attempt_id, _("答卷不存在。"), options=options)


def attempt_history(attempt: Attempt) -> list[AttemptEvent]:
    return list(db.session.scalars(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)
                                   .order_by(AttemptEvent.id)))


# -- attempts: autosave -------------------------------------------------------------------------------------------

@dataclass
class SaveTarget:
    """What the autosave path reads in its one query."""

    item_id: int
    attempt_id: int
    slot: int
    qtype: str
    data: dict
    seq: int
    user_id: int
    state: str
    deadline: datetime | None
    #: One question at a time without going back: saves before this slot are refused (None: no such rule).
    locked_before: int | None = None


def _statement(build):
    """Build a statement once, on first use: the autosave path runs hundreds of times a second, and building a
    SELECT/UPDATE (coercing every clause) costs more than SQLAlchemy's compiled-statement cache saves."""
    cache = {}

    def get():
        if "stmt" not in cache:
            cache["stmt"] = build()
        return cache["stmt"]
    return get


@_statement
def _save_target_stmt():
    return (select(AttemptItem.id, AttemptItem.qtype, AttemptItem.seq, QuestionVersion.data, Attempt.user_id,
                   Attempt.state, Attempt.deadline, Attempt.furthest_slot, Exam.one_at_a_time, Exam.allow_back)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .join(Exam, Exam.id == Attempt.exam_id)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(AttemptItem.attempt_id == bindparam("attempt_id"), AttemptItem.slot == bindparam("slot")))


def load_save_target(attempt_id: int, slot: int, user_id: int) -> SaveTarget:
    """The item at ``slot`` with its attempt's owner, state and deadline, in one statement.

    Someone else's attempt is reported exactly like a missing one (404), so ids cannot be probed.
    """
    row = db.session.execute(_save_target_stmt(), {"attempt_id": attempt_id, "slot": slot}).first()
    if row is None:
        owner = db.session.scalar(select(Attempt.user_id).where(Attempt.id == attempt_id))
        if owner != user_id:
            raise NotFound(_("答卷不存在。"))
        raise NotFound(_("第 %(slot)s 题不存在。", slot=slot))
    if row.user_id != user_id:
        raise NotFound(_("答卷不存在。"))
    return SaveTarget(item_id=row.id, attempt_id=attempt_id, slot=slot, qtype=row.qtype, data=row.data,
                      seq=row.seq, user_id=row.user_id, state=row.state, deadline=clock.as_utc(row.deadline),
                      locked_before=row.furthest_slot if row.one_at_a_time and not row.allow_back else None)


def check_save(target: SaveTarget, response, seq, now: datetime | None = None):
    """Validate a save before writing: state, deadline, seq and the response's shape (type registry).

    Returns the normalised response. Raises Conflict (closed, past deadline, stale seq) or ValidationError.
    """
    now = now or clock.now()
    if target.state != S.in_progress.value:
        raise Conflict(_("答卷已提交，不能再修改答案。"), details={"state": target.state})
    if target.deadline is not None and now > target.deadline + save_grace():
        raise Conflict(_("作答时间已到，答案未保存。"), details={"state": "overdue"})
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise ValidationError(_("seq 必须是正整数。"))
    if target.locked_before is not None and target.slot != target.locked_before:
        raise Conflict(_("这场考试逐题作答且不能返回，只能回答当前这道题。"), details={"slot": target.locked_before})
    if seq <= target.seq:
        raise Conflict(_("该答案已被更新的保存覆盖。"), details={"seq": target.seq})
    response = qtypes.TYPES[target.qtype].validate_response(target.data, response)
    _check_files(target.item_id, response)
    return response


#: Largest autosave sequence number: the column is a 32-bit integer (a bigger one failed in the database, 500).
MAX_SEQ = 2**31 - 1


def _check_files(item_id: int, response) -> None:
    """A response may reference uploaded files by id (essays: ``{"files": [...]}``); they must be this item's."""
    files = response.get("files") if isinstance(response, dict) else None
    if not files:
        return
    try:
        wanted = {int(f) for f in files}
    except (TypeError, ValueError):
        raise ValidationError(_("附件编号无效。")) from None
    owned = set(db.session.scalars(select(AttemptFile.id).where(AttemptFile.attempt_item_id == item_id,
                                                                  AttemptFile.id.in_(wanted))))
    if owned != wanted:
        raise ValidationError(_("附件不属于这道题。"))
    response["files"] = sorted(wanted)


#: Kinds of upload an essay answer may carry (photos of practical work, PDFs and Office documents).
ATTACHMENT_KINDS = ("image", "document")


def attach_file(target: SaveTarget, file_storage, now: datetime | None = None) -> AttemptFile:
    """Store a file for an essay answer (sniffed, re-encoded when an image, generated name) and record it.

    The student then lists its id in the answer's ``files`` with an autosave. Refused after the deadline, for
    a closed attempt, or when the question takes no attachments.
    """
    from app.core import uploads

    now = now or clock.now()
    if target.state != S.in_progress.value:
        raise Conflict(_("答卷已提交，不能再修改答案。"), details={"state": target.state})
    if target.deadline is not None and now > target.deadline + save_grace():
        raise Conflict(_("作答时间已到，答案未保存。"), details={"state": "overdue"})
    allowed = int(target.data.get("attachments") or 0) if isinstance(target.data, dict) else 0
    if allowed <= 0:
        raise ValidationError(_("这道题不需要上传附件。"))
    stored_count = db.session.scalar(select(func.count()).select_from(AttemptFile)
                                     .where(AttemptFile.attempt_item_id == target.item_id)) or 0
    if stored_count >= allowed * 3:  # replacing a photo a few times is fine; an endless stream is not
        raise Conflict(_("这道题上传的附件过多。"))
    stored = uploads.store_upload(file_storage, ATTACHMENT_KINDS, prefix="attempts")
    try:
        record = AttemptFile(attempt_item_id=target.item_id, storage_key=stored.key, mime=stored.mime,
                             size=stored.size, sha256=stored.sha256, original_name=stored.original_name[:255],
                             uploaded_at=now)
        db.session.add(record)
        db.session.flush()
    except Exception:
        stored.discard()
        raise
    return record


def get_file(file_id: int) -> AttemptFile:
    return get_or_raise(AttemptFile, file_id, _("文件不存在。"))


def files_by_item(item_ids) -> dict[int, dict[int, AttemptFile]]:
    """``{item_id: {file_id: AttemptFile}}`` in one statement."""
    out: dict[int, dict[int, AttemptFile]] = {}
    if item_ids:
        for record in db.session.scalars(select(AttemptFile).where(AttemptFile.attempt_item_id.in_(list(item_ids)))):
            out.setdefault(record.attempt_item_id, {})[record.id] = record
    return out


def file_view(record: AttemptFile) -> dict:
    from flask import url_for

    return {"id": record.id, "name": record.original_name, "size": record.size, "mime": record.mime,
            "url": url_for("exams.attempt_file", file_id=record.id)}


@_statement
def _store_stmt():
    still_open = (select(Attempt.id)
                  .where(Attempt.id == bindparam("b_attempt_id"), Attempt.state == S.in_progress.value,
                         or_(Attempt.deadline.is_(None), Attempt.deadline >= bindparam("b_cutoff")))
                  .with_for_update(read=True))
    return (update(AttemptItem)
            .where(AttemptItem.id == bindparam("b_item_id"), AttemptItem.seq < bindparam("new_seq"),
                   AttemptItem.attempt_id.in_(still_open))
            .values(response=bindparam("new_response", type_=AttemptItem.__table__.c.response.type),
                    seq=bindparam("new_seq"),
                    saved_at=bindparam("new_saved_at", type_=AttemptItem.__table__.c.saved_at.type))
            .execution_options(synchronize_session=False))


def store_response(target: SaveTarget, response, seq: int, now: datetime | None = None) -> datetime:
    """Write the response with one conditional UPDATE; returns ``saved_at``.

    The WHERE clause repeats every check (seq, state, deadline) so that a racing submit, deadline or newer save
    wins; on PostgreSQL the attempt row is share-locked so a concurrent close waits for this save (and then
    grades it) or this save sees the closed state. Raises Conflict when the guard refused the write.
    """
    now = now or clock.now()
    result = db.session.execute(_store_stmt(), {
        "b_attempt_id": target.attempt_id, "b_cutoff": now - save_grace(), "b_item_id": target.item_id,
        "new_seq": seq, "new_response": response, "new_saved_at": now})
    if result.rowcount == 1:
        return now
    fresh = load_save_target(target.attempt_id, target.slot, target.user_id)
    check_save(fresh, response, seq, now)  # raises the precise Conflict
    raise Conflict(_("答案未保存，请重试。"))


# -- attempts: closing and grading ------------------------------------------------------------------------------

def close_attempt(attempt_id: int, *, closed_by: str, actor_id: int | None = None, user_id: int | None = None,
                  now: datetime | None = None) -> bool:
    """Close an in-progress attempt exactly once and grade it; returns whether this call closed it.

    A conditional UPDATE (``WHERE state = 'in_progress'``) decides the single winner among concurrent callers;
    the others get False and read the winner's result after it commits (PostgreSQL makes them wait on the row
    lock; SQLite serialises writers). ``user_id`` restricts the update to the owner's attempt.
    """
    now = now or clock.now()
    stmt = (update(Attempt).where(Attempt.id == attempt_id, Attempt.state == S.in_progress.value)
            .values(state=S.submitted.value, submitted_at=now, closed_by=closed_by)
            .execution_options(synchronize_session=False))
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    if db.session.execute(stmt).rowcount != 1:
        return False
    attempt = db.session.get(Attempt, attempt_id, populate_existing=True)
    _record(attempt, S.in_progress.value, S.submitted.value, "submit" if closed_by == "student" else closed_by,
            actor_id if actor_id is not None else user_id, now)
    grade_attempt(attempt, now=now)
    return True


def close_overdue(now: datetime | None = None, *, limit: int = 500) -> int:
    """Close (and grade) every in-progress attempt past its deadline plus grace; returns how many."""
    now = now or clock.now()
    cutoff = now - save_grace()
    ids = list(db.session.scalars(select(Attempt.id).where(Attempt.state == S.in_progress.value,
                                                           Attempt.deadline.is_not(None),
                                                           Attempt.deadline < cutoff).limit(limit)))
    return sum(1 for attempt_id in ids if close_attempt(attempt_id, closed_by="timeout", now=now))


def close_all_overdue(now: datetime | None = None) -> int:
    """Close (and grade) every overdue attempt, batch after batch, until none is left; returns how many this
    call closed. Each attempt is closed once however many callers run at the same time (see close_attempt)."""
    total = 0
    while True:
        closed = close_overdue(now)
        total += closed
        if closed == 0:
            return total


def _scoring(exam: Exam) -> str | None:
    """The exam's multiple-choice scoring, or None to let each question use its own (``per_question``)."""
    if not exam.multi_scoring or exam.multi_scoring == MultiScoring.per_question.value:
        return None
    return exam.multi_scoring


def compile_graders(versions: dict, scoring: str | None = None) -> dict:
    """``{key: grader}`` for ``{key: (qtype, data, points)}``: one registry lookup and one compiled grader
    (``QuestionType.grader``: a lookup table for choice questions) per question version and points."""
    types = qtypes.TYPES
    return {key: types[qtype].grader(data, points, scoring=scoring)
            for key, (qtype, data, points) in versions.items()}


def grade_items(versions: dict, items, scoring: str | None = None) -> list[tuple[float | None, float | None]]:
    """Grade ``[(key, response)]`` whose question versions are ``{key: (qtype, data, points)}``; no database.

    The graders are compiled once per version for the batch (an attempt, or a submit storm of many), so the
    per-item work is one dict lookup and one grader call: no per-item registry lookups, attribute chains or
    Decimal arithmetic. Measured by bench/grading.py.
    """
    graders = compile_graders(versions, scoring)
    return [graders[key](response) for key, response in items]


def grade_responses(qtype: str, data: dict, points: float, responses, scoring: str | None = None) -> list:
    """Grade many responses to ONE question version (regrading, item columns): one compiled grader, mapped."""
    return list(map(qtypes.TYPES[qtype].grader(data, points, scoring=scoring), responses))


def _normalised(qtype, data, response):
    """The stored response as its type's grader expects it (a never-saved item gets the blank response)."""
    return _regrade_response(qtypes.TYPES[qtype], data, response)


def grade_attempt(attempt: Attempt, *, now: datetime | None = None) -> None:
    """Grade a submitted attempt's objective items, queue the rest for a teacher, and total the score."""
    now = now or clock.now()
    items = list(db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                                    .order_by(AttemptItem.slot)))
    auto = []
    for item in items:
        kind = qtypes.TYPES[item.qtype]
        if not kind.has_points:
            item.score, item.fraction, item.needs_manual = 0.0, 0.0, False
        elif not kind.is_auto_graded:
            item.needs_manual = True
        else:
            auto.append(item)
    keys = [(i.question_version_id, i.points) for i in auto]
    versions = {key: (i.qtype, i.version.data, i.points) for key, i in zip(keys, auto)}
    responses = [_normalised(i.qtype, i.version.data, i.response) for i in auto]
    graded = grade_items(versions, list(zip(keys, responses)), _scoring(attempt.exam))
    for item, (score, fraction) in zip(auto, graded):
        _set_grade(item, score, fraction, None, "auto", item.question_version_id, None, now)
    _total(attempt, items, now)


def _set_grade(item: AttemptItem, score, fraction, feedback, reason, version_id, grader_id, now,
               attachments=None, *, rubric_id=None, rubric_levels=None) -> None:
    item.score, item.fraction, item.needs_manual = score, fraction, False
    if feedback is not None:
        item.feedback = feedback
    item.graded_version_id, item.graded_at, item.graded_by_id = version_id, now, grader_id
    db.session.add(ItemGrade(attempt_item_id=item.id, score=score, fraction=fraction, feedback=feedback,
                             reason=reason, question_version_id=version_id, graded_by_id=grader_id, at=now,
                             attachments=attachments, rubric_id=rubric_id, rubric_levels=rubric_levels))


def _total(attempt: Attempt, items, now, *, actor_id=None, reason="autograde") -> None:
    """Recompute score, state and pass flag from the items; record the state change."""
    pending = any(i.needs_manual for i in items)
    attempt.score = sum(i.score or 0.0 for i in items)
    new_state = S.needs_grading.value if pending else S.graded.value
    if pending:
        attempt.passed = None
    else:
        attempt.passed = attempt.score >= attempt.max_score * attempt.exam.pass_percent / 100.0 - 1e-9
        attempt.graded_at = now
    graded_now = new_state != attempt.state
    if new_state != attempt.state:
        _record(attempt, attempt.state, new_state, reason, actor_id, now)
        attempt.state = new_state
    db.session.flush()
    # Gradebooks that take this exam as a grade source recompute the student's grade (grading subscribes).
    results_changed.send("exam", target_id=attempt.exam_id, user_ids=[attempt.user_id])
    if new_state == S.graded.value and graded_now:
        exam_graded.send("exams", attempt_id=attempt.id)


# -- attempt views (what the API and the pages show) --------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    value = clock.as_utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


#: Public views of question versions by (version id, locale). Versions never change, so the views are computed
#: once per process instead of on every start and page load of hundreds of students.
_PUBLIC_VIEWS: dict[tuple, dict] = {}
_PUBLIC_VIEWS_MAX = 20_000


def public_view(version) -> dict:
    """The type's public view of ``version`` (a fresh shallow copy the caller may extend)."""
    from flask_babel import get_locale

    # created_at guards against an id reused after a rolled-back insert (SQLite reuses the highest rowid).
    key = (version.id, version.created_at, str(get_locale()))
    view = _PUBLIC_VIEWS.get(key)
    if view is None:
        if len(_PUBLIC_VIEWS) >= _PUBLIC_VIEWS_MAX:
            _PUBLIC_VIEWS.clear()
        view = _PUBLIC_VIEWS[key] = qtypes.TYPES[version.type].public_view(version)
    return dict(view)


def item_view(item: AttemptItem, aspects: set[str], files: dict | None = None,
              rubric_levels: list | None = None, *, display: bool = False) -> dict:
    """One slot as a student may see it: the public view, options in the attempt's order, and what the policy
    allows of response, correctness, points, feedback and right answer.

    ``display`` adds ``review``: the response and right answer as the student saw the question (option letters
    in the order shown to this student, matching answers by their texts), for review pages."""
    kind = qtypes.TYPES[item.qtype]
    version = item.version
    view = public_view(version)
    view["slot"] = item.slot
    view["points"] = item.points
    if item.option_order and view.get("options"):
        by_key = {o["key"]: o for o in view["options"]}
        view["options"] = [by_key[k] for k in item.option_order if k in by_key]
    if "responses" in aspects:
        view["response"] = item.response
        view["seq"] = item.seq
        view["saved_at"] = _iso(item.saved_at)
        if files:
            view["files"] = [file_view(f) for f in files.values()]
    graded = item.score is not None and not item.needs_manual
    if "correctness" in aspects and graded and kind.has_points:
        view["correct"] = "right" if item.fraction >= 0.999 else "partial" if item.fraction > 0 else "wrong"
    if "points" in aspects and graded:
        view["score"] = item.score
    if "feedback" in aspects:
        data = item.version.data
        # Answer feedback is sanitised HTML; cleaned again for versions stored before that was enforced.
        chosen = clean_html(kind.feedback(data, item.response)) if item.response is not None else ""
        parts = [p for p in (chosen, version.general_feedback, version.explanation) if p]
        view["feedback"] = {"teacher": item.feedback or "", "question": parts, "rubric": rubric_levels or []}
    if "answers" in aspects and kind.has_points:
        view["right_answer"] = kind.correct_answer_view(item.version.data)
    if display and kind.has_points:
        view["review"] = _visible_review(kind.review(version.data, view.get("options") or [], item.response),
                                         responses="responses" in aspects, answers="answers" in aspects)
    return view


def _visible_review(shown: dict, *, responses: bool, answers: bool) -> dict:
    """A type's review (QuestionType.review) reduced to the aspects the policy lets the viewer see."""
    rows = [{"label": r["label"], "response": r.get("response") if responses else None,
             "right": r.get("right") if answers else None} for r in shown.get("rows") or []]
    return {"options": shown.get("options") or [], "response": shown.get("response") if responses else None,
            "right": shown.get("right") if answers else None, "rows": rows if responses or answers else [],
            "responses": responses, "answers": answers}


def attempt_view(attempt: Attempt, *, now: datetime | None = None, include_now: bool = True,
                 everything: bool = False, display: bool = False) -> dict:
    """The attempt as its student may see it now (the API's body for start, GET and submit).

    ``everything`` shows all aspects (for the exam's teachers); ``display`` adds each item's review as the
    student saw it (see :func:`item_view`)."""
    now = now or clock.now()
    aspects = set(review.ASPECTS) if everything else review.visible_aspects(attempt, attempt.exam, now)
    if attempt.state == S.in_progress.value:
        aspects |= {"responses"}  # the student always sees what they are answering
    items = list(db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                                    .order_by(AttemptItem.slot)))
    body = {
        "attempt_id": attempt.id,
        "exam_id": attempt.exam_id,
        "exam_title": attempt.exam.title,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": _iso(attempt.started_at),
        "deadline": _iso(attempt.deadline),
        "submitted_at": _iso(attempt.submitted_at),
        "closed_by": attempt.closed_by,
        "max_score": attempt.max_score,
        "items": [],
    }
    files = files_by_item([i.id for i in items if i.qtype == "essay"]) if "responses" in aspects else {}
    levels = _rubric_levels([i for i in items if i.graded_by_id is not None and i.qtype in manual_types()]) \
        if "feedback" in aspects else {}
    body["items"] = [item_view(i, aspects, files.get(i.id), levels.get(i.id), display=display) for i in items]
    body["pending_items"] = sum(1 for i in items if i.needs_manual)
    if "points" in aspects and attempt.state == S.graded.value:
        body["score"] = attempt.score
        body["passed"] = attempt.passed
    if include_now:
        body["now"] = _iso(now)
    return body


def _rubric_levels(items) -> dict[int, list]:
    """``{item_id: levels picked}`` from each hand-graded item's latest grade (one statement, none when no item
    was graded by hand)."""
    latest = {item_id: grades[-1] for item_id, grades in grades_by_item([i.id for i in items]).items()}
    return {item_id: grade.rubric_levels for item_id, grade in latest.items() if grade.rubric_levels}


# -- manual grading and regrading --------------------------------------------------------------------------------

def manual_types() -> list[str]:
    """Type keys a teacher grades by hand (essay ...), from the registry."""
    return [name for name, kind in qtypes.TYPES.items() if kind.has_points and not kind.is_auto_graded]


def grading_queue(exam: Exam, *, question_id: int | None = None, user_id: int | None = None, graded: bool = False):
    """Items waiting for a teacher, by question across students or by student; oldest submissions first.

    ``graded`` lists the hand-graded items that already have a grade instead (to regrade them)."""
    # The attempt (and its student, joined by the relationship) comes with each row: no query per item.
    stmt = (select(AttemptItem).join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .options(contains_eager(AttemptItem.attempt))
            .where(Attempt.exam_id == exam.id)
            .order_by(AttemptItem.question_id, Attempt.submitted_at, AttemptItem.slot))
    if graded:
        stmt = stmt.where(AttemptItem.needs_manual.is_(False), AttemptItem.qtype.in_(manual_types()),
                          AttemptItem.score.is_not(None),
                          Attempt.state.in_([S.graded.value, S.needs_grading.value]))
    else:
        stmt = stmt.where(AttemptItem.needs_manual.is_(True), Attempt.state == S.needs_grading.value)
    if question_id is not None:
        stmt = stmt.where(AttemptItem.question_id == question_id)
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    return stmt


def queue_summary(exam: Exam) -> list[dict]:
    """Per question: how many items wait for grading, and the question's name (or the start of its text) to show
    teachers instead of its number (one statement)."""
    rows = db.session.execute(
        select(AttemptItem.question_id, func.count(), func.min(QuestionVersion.text), func.min(Question.name))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Question, Question.id == AttemptItem.question_id)
        .where(Attempt.exam_id == exam.id, AttemptItem.needs_manual.is_(True))
        .group_by(AttemptItem.question_id).order_by(AttemptItem.question_id))
    return [{"question_id": qid, "waiting": n, "text": text, "name": name or _short(text)}
            for qid, n, text, name in rows]


def _short(text: str | None, limit: int = 20) -> str:
    """The first words of a question's text, as one line, for buttons and lists."""
    line = " ".join(Markup(text or "").striptags().split())
    return line if len(line) <= limit else line[:limit] + "…"


def get_item(item_id: int) -> AttemptItem:
    return get_or_raise(AttemptItem, item_id, _("题目不存在。"))


def grade_manually(item: AttemptItem, *, score: float | None, comment: str = "", grader, attachments=None,
                   rubric_id: int | None = None, rubric_levels: list | None = None) -> AttemptItem:
    """Give a hand-graded item its points and comment (history kept: a second grade is a ``regrade``); totals
    the attempt when nothing is left. ``rubric_id``/``rubric_levels`` record the rubric levels picked."""
    attempt = item.attempt
    if attempt.state in (S.in_progress.value, S.submitted.value):
        raise Conflict(_("答卷尚未提交，不能评分。"))
    if score is None:
        raise ValidationError(_("请填写得分。"))
    try:
        score = float(score)
    except (TypeError, ValueError):
        raise ValidationError(_("分数必须是数字。")) from None
    if not 0 <= score <= item.points:
        raise ValidationError(_("分数必须在 0 到 %(max)s 之间。", max=fmt_score(item.points)))
    now = clock.now()
    fraction = score / item.points if item.points else 0.0
    reason = "manual" if item.graded_by_id is None else "regrade"
    _set_grade(item, score, fraction, (comment or "").strip(), reason, item.question_version_id, grader.id, now,
               attachments, rubric_id=rubric_id, rubric_levels=rubric_levels)
    items = list(db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)))
    _total(attempt, items, now, actor_id=grader.id, reason="manual")
    return item


def item_grades(item: AttemptItem) -> list[ItemGrade]:
    return list(db.session.scalars(select(ItemGrade).where(ItemGrade.attempt_item_id == item.id)
                                   .order_by(ItemGrade.id)))


def grades_by_item(item_ids) -> dict[int, list[ItemGrade]]:
    """``{item_id: [ItemGrade oldest first]}`` for a page of items, in one statement."""
    out: dict[int, list[ItemGrade]] = {}
    if item_ids:
        for grade in db.session.scalars(select(ItemGrade).where(ItemGrade.attempt_item_id.in_(list(item_ids)))
                                        .order_by(ItemGrade.id)):
            out.setdefault(grade.attempt_item_id, []).append(grade)
    return out


# -- rubrics (评分量规) of hand-graded questions ------------------------------------------------------------------
# The rubric model and its line format are the tasks domain's (app/tasks: Rubric, RubricCriterion,
# parse_criteria), imported late because tasks sits above exams in the domain order.

def _rubrics(*conditions) -> dict:
    from app.tasks.models import Rubric

    rows = db.session.execute(select(ExamRubric.question_id, Rubric).join(Rubric, Rubric.id == ExamRubric.rubric_id)
                              .where(*conditions))
    return {question_id: rubric for question_id, rubric in rows}


def rubrics_of_exam(exam_id: int) -> dict:
    """``{question_id: Rubric}`` of an exam (two statements: the rubrics, then their criteria selected in)."""
    return _rubrics(ExamRubric.exam_id == exam_id)


def rubric_for(exam_id: int, question_id: int):
    """The rubric of one question in one exam, or None."""
    return _rubrics(ExamRubric.exam_id == exam_id, ExamRubric.question_id == question_id).get(question_id)


def _in_exam(exam: Exam, question_id: int) -> bool:
    """Whether a question is on the exam's paper or was drawn into one of its attempts (one statement)."""
    on_paper = select(PaperQuestion.id).where(PaperQuestion.paper_id == exam.paper_id,
                                              PaperQuestion.question_id == question_id)
    drawn = (select(AttemptItem.id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
             .where(Attempt.exam_id == exam.id, AttemptItem.question_id == question_id))
    return db.session.execute(select(on_paper.exists() | drawn.exists())).scalar()


def rubric_text(rubric) -> str:
    """A rubric in the editable line format ``名称 | 满分 | 等级=分数, ...`` (the inverse of parse_criteria)."""
    # An editable text, read back by parse_criteria: the numbers as stored, not rounded for display.
    return "\n".join(f"{c.name} | {c.max_points:g} | "
                     + ", ".join(f"{level['label']}={level['points']:g}" for level in c.levels)
                     for c in rubric.criteria)


def set_rubric(exam: Exam, question: Question, criteria: str, *, by) -> ExamRubric:
    """Give a hand-graded question of the exam a rubric from lines ``名称 | 满分 | 等级=分数, ...``.

    A new Rubric is created each time, so grades already given keep pointing at the rubric they used.
    """
    from app.tasks.models import Rubric, RubricCriterion
    from app.tasks.services import parse_criteria

    if question.type not in manual_types():
        raise ValidationError(_("只有人工评分的题目可以设置评分量规。"))
    if not _in_exam(exam, question.id):
        # Any question id could be typed into the URL; a rubric belongs to the exam's own questions only.
        raise NotFound(_("这场考试中没有这道题。"))
    rubric = Rubric(title=(question.name or _("评分量规"))[:200])
    rubric.criteria = [RubricCriterion(position=i, **c) for i, c in enumerate(parse_criteria(criteria), start=1)]
    if any(not c.levels for c in rubric.criteria):
        raise ValidationError(_("评分量规的每条评分项都需要至少一个等级。"))
    db.session.add(rubric)
    db.session.flush()
    fields = {"rubric_id": rubric.id, "created_by_id": getattr(by, "id", None), "created_at": clock.now()}
    row = db.session.scalar(select(ExamRubric).where(ExamRubric.exam_id == exam.id,
                                                     ExamRubric.question_id == question.id))
    if row is None:
        row = ExamRubric(exam_id=exam.id, question_id=question.id, **fields)
        db.session.add(row)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
    db.session.flush()
    return row


def grade_with_rubric(item: AttemptItem, levels: dict, *, comment: str = "", grader, attachments=None):
    """Grade a hand-graded item by picking one level per criterion of its question's rubric in this exam.

    ``levels`` maps criterion ids (as text) to the index of the picked level. The score is the sum of the
    levels' points, capped by the item's points; the picked levels are kept in the grade history.
    """
    rubric = rubric_for(item.attempt.exam_id, item.question_id)
    if rubric is None:
        raise ValidationError(_("这道题没有评分量规。"))
    picked, total = [], 0.0
    for criterion in rubric.criteria:
        try:
            index = int(levels.get(str(criterion.id)))
            if index < 0:
                raise IndexError
            level = criterion.levels[index]
        except (TypeError, ValueError, IndexError):
            raise ValidationError(_("请为“%(name)s”选择等级。", name=criterion.name)) from None
        points = float(level["points"])
        total += points
        picked.append({"criterion": criterion.name, "level": level["label"], "points": points,
                       "max_points": criterion.max_points})
    return grade_manually(item, score=round(min(total, item.points), 4), comment=comment, grader=grader,
                          attachments=attachments, rubric_id=rubric.id, rubric_levels=picked)


def regrade_question(exam: Exam, question: Question, *, actor) -> int:
    """Regrade every finished attempt item of ``question`` in ``exam`` with the key of the question's newest
    APPROVED version.

    Use after correcting a question (a new QuestionVersion, approved by a reviewer). Students keep the version
    they saw; only the key changes. Each changed score is recorded in the item's grade history and the
    attempt's total is recomputed. Returns how many items changed score.
    """
    version = question.approved_version
    if version is None:
        raise ValidationError(_("该题还没有通过审核的版本，不能重新评分。"))
    kind = qtypes.TYPES[version.type]
    if not kind.is_auto_graded:
        raise ValidationError(_("该题需要人工评分，不能自动重新评分。"))
    now = clock.now()
    scoring = _scoring(exam)
    rows = list(db.session.execute(
        select(AttemptItem, Attempt).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam.id, AttemptItem.question_id == question.id,
               Attempt.state.in_([S.graded.value, S.needs_grading.value]))))
    changed, touched, graders = 0, {}, {}
    for item, attempt in rows:
        if item.qtype != version.type:
            continue  # a type change is a different question; regrading would misread the stored response
        grader = graders.get(item.points)
        if grader is None:
            grader = graders[item.points] = kind.grader(version.data, item.points, scoring=scoring)
        score, fraction = grader(_regrade_response(kind, version.data, item.response))
        if item.score is not None and abs(score - item.score) < 1e-9 and item.graded_version_id == version.id:
            continue
        if item.score is None or abs(score - item.score) >= 1e-9:
            changed += 1
        _set_grade(item, score, fraction, None, "regrade", version.id, actor.id, now)
        touched[attempt.id] = attempt
    for attempt in touched.values():
        items = list(db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)))
        before = attempt.score
        _total(attempt, items, now, actor_id=actor.id, reason="regrade")
        if before != attempt.score:
            _record(attempt, attempt.state, attempt.state, "regrade", actor.id, now)
    db.session.flush()
    return changed


def _regrade_response(kind, data: dict, response):
    """A stored response read against the version that grades it. One that does not fit it (an option or a
    blank that a correction removed, or a value stored before a stricter check) matches nothing in the key, so
    it earns nothing rather than stopping the submit or the regrade of every other student."""
    if response is None:
        return kind.blank_response()
    try:
        return kind.validate_response(data, response)
    except ValidationError:
        return kind.blank_response()


def exam_questions(exam: Exam) -> list[dict]:
    """Questions that appeared in the exam's attempts, with their current and shown versions (one statement).

    ``{"question_id", "versions" (shown), "attempts" (answer sheets holding it), "current_version_id", "name",
    "type"}``."""
    rows = db.session.execute(
        select(AttemptItem.question_id, func.count(func.distinct(AttemptItem.question_version_id)),
               func.count(), Question.current_version_id, Question.name, Question.type)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).join(Question, Question.id == AttemptItem.question_id)
        .where(Attempt.exam_id == exam.id)
        .group_by(AttemptItem.question_id, Question.current_version_id, Question.name, Question.type)
        .order_by(AttemptItem.question_id))
    return [{"question_id": r[0], "versions": r[1], "attempts": r[2], "current_version_id": r[3], "name": r[4],
             "type": r[5]} for r in rows]


def attempts_of_exam(exam: Exam):
    return select(Attempt).where(Attempt.exam_id == exam.id).order_by(Attempt.id)


def exams_managed_by(user):
    """Exams a teacher or admin manages, newest first (a SELECT for paginate)."""
    from app.exams import permissions

    stmt = select(Exam).order_by(Exam.id.desc())
    return permissions.scope_exams(user, stmt)
