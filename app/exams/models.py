"""Papers, exams, access grants, attempts and their items.

An attempt pins the question versions it showed; its state changes and every (re)grade of an item are kept in
append-only history tables beside the current values.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db


class Paper(db.Model):
    """试卷: an ordered list of fixed questions and/or draw rules; every attempt is built from it."""

    __tablename__ = "paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The school whose teachers manage the paper (NULL: platform-wide).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list["PaperQuestion"]] = relationship(
        back_populates="paper", cascade="all, delete-orphan", order_by="PaperQuestion.position")
    rules: Mapped[list["PaperRule"]] = relationship(
        back_populates="paper", cascade="all, delete-orphan", order_by="PaperRule.position")


class PaperQuestion(db.Model):
    """A fixed question of a paper; attempts show its current version at the time they start."""

    __tablename__ = "paper_question"
    __table_args__ = (UniqueConstraint("paper_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), index=True)
    #: Order on the paper (fixed questions come before drawn ones).
    position: Mapped[int] = mapped_column(default=0)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    #: Points this question is worth on this paper.
    points: Mapped[float] = mapped_column(default=1.0)

    paper: Mapped[Paper] = relationship(back_populates="questions")


class PaperRule(db.Model):
    """抽题规则: draw ``count`` questions matching the filters, each worth ``points``.

    Filters left NULL match anything. The draw is random per attempt from the attempt's recorded seed.
    """

    __tablename__ = "paper_rule"
    __table_args__ = (CheckConstraint("count > 0", name="count_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id"), index=True)
    #: Question type key from the type registry (``single_choice`` ...); NULL: any auto-gradable type.
    qtype: Mapped[str | None] = mapped_column(String(32))
    #: Difficulty 1–5; NULL: any.
    difficulty: Mapped[int | None]
    #: Knowledge point; NULL: any.
    knowledge_point_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_point.id"))
    #: How many questions to draw.
    count: Mapped[int] = mapped_column(default=1)
    #: Points each drawn question is worth.
    points: Mapped[float] = mapped_column(default=1.0)

    paper: Mapped[Paper] = relationship(back_populates="rules")


class MultiScoring(str, enum.Enum):
    """How a multiple-choice answer earns points."""

    all_or_nothing = "all_or_nothing"  #: full points only for exactly the right set
    proportional = "proportional"  #: 0 when any wrong option is picked, else right picks / right options
    fractions = "fractions"  #: the sum of the imported per-option fractions (Moodle semantics), clamped 0..1
    #: each question's own setting (the question form's 计分方式; Moodle imports use their fractions)
    per_question = "per_question"


class Exam(db.Model):
    """考试/测验: a paper taken within a window, with a time limit, attempts and a review policy."""

    __tablename__ = "exam"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Attempts may start from this moment (NULL: at once).
    opens_at: Mapped[datetime | None]
    #: No attempt may start or continue after this (NULL: never closes).
    closes_at: Mapped[datetime | None]
    #: Minutes per attempt (NULL: no limit other than ``closes_at``).
    time_limit_minutes: Mapped[int | None]
    #: Attempts each student may make.
    max_attempts: Mapped[int] = mapped_column(default=1)
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=False)
    #: Percentage of the maximum score needed to pass (0–100).
    pass_percent: Mapped[float] = mapped_column(default=60.0)
    #: A :class:`MultiScoring` value.
    multi_scoring: Mapped[str] = mapped_column(String(20), default=MultiScoring.per_question.value)
    #: What a student sees when: ``{moment: [aspect, ...]}``, moments and aspects in app/exams/review.py.
    review_policy: Mapped[dict] = mapped_column(JSON, default=dict)
    #: 考试口令 a proctor announces in the room; a new attempt needs it (NULL: none asked).
    access_code: Mapped[str | None] = mapped_column(String(32))
    #: Allowed networks (机房), CIDR blocks one per line; empty: starting from anywhere.
    allowed_networks: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: 逐题作答: the attempt page shows one question at a time.
    one_at_a_time: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: With one question at a time: whether the student may go back (the server refuses saves behind them).
    allow_back: Mapped[bool] = mapped_column(default=True, server_default="1")

    paper: Mapped[Paper] = relationship(lazy="joined", innerjoin=True)
    creator = relationship("User", foreign_keys=[created_by_id])


class ExamAudience(db.Model):
    """A course or cohort (班级) the exam was granted to, with an optional window of its own.

    ``kind`` names an audience source registered in app/exams/audiences.py (the courses domain registers
    ``course`` and ``cohort``); ``target_id`` is that source's object, ``label`` its name at granting time.
    Each member gets an :class:`ExamGrant` pointing here, so the window applies to them."""

    __tablename__ = "exam_audience"
    __table_args__ = (UniqueConstraint("exam_id", "kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int]
    label: Mapped[str] = mapped_column(String(200))
    #: Overrides the exam's window for this audience (NULL: the exam's).
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExamGrant(db.Model):
    """Access of one user to an exam (typed directly, or as a member of a granted course/cohort), with extra
    time."""

    __tablename__ = "exam_grant"
    __table_args__ = (UniqueConstraint("exam_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: Extra minutes on the time limit for this student (e.g. an accommodation).
    extra_minutes: Mapped[int] = mapped_column(default=0)
    #: The course/cohort grant this access came from (its window applies); NULL: granted directly.
    audience_id: Mapped[int | None] = mapped_column(ForeignKey("exam_audience.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined", innerjoin=True)
    audience = relationship(ExamAudience, lazy="joined")


class AttemptState(str, enum.Enum):
    """An attempt's life: in_progress -> submitted -> graded | needs_grading -> graded."""

    in_progress = "in_progress"  #: the student is answering; autosaves are accepted until the deadline
    submitted = "submitted"  #: closed (by the student or by the deadline); answers frozen, being graded
    needs_grading = "needs_grading"  #: objective items graded; some items wait for a teacher
    graded = "graded"  #: every item has a score


class Attempt(db.Model):
    """答卷: one student's attempt at an exam."""

    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("exam_id", "user_id", "number"),
        Index("ix_attempt_state_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: 1 for the first attempt of this student at this exam, 2 for the second...
    number: Mapped[int] = mapped_column(default=1)
    #: An :class:`AttemptState` value.
    state: Mapped[str] = mapped_column(String(20), default=AttemptState.in_progress.value)
    #: Seed of the random draw and shuffles, so the paper of this attempt can be rebuilt exactly.
    seed: Mapped[int] = mapped_column(db.BigInteger)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The server's deadline: min(start + limit + extra time, exam close); NULL when neither exists.
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    #: ``student`` (submitted), ``timeout`` (closed at the deadline) or ``teacher``.
    closed_by: Mapped[str | None] = mapped_column(String(20))
    graded_at: Mapped[datetime | None]
    #: Sum of item scores (NULL until graded at least partially).
    score: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=0.0)
    passed: Mapped[bool | None]
    #: One question at a time without going back: the furthest slot reached (saves behind it are refused).
    furthest_slot: Mapped[int] = mapped_column(default=1, server_default="1")

    exam: Mapped[Exam] = relationship(lazy="joined", innerjoin=True)
    user = relationship("User", lazy="joined", innerjoin=True)
    items: Mapped[list["AttemptItem"]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="AttemptItem.slot")


class AttemptEvent(db.Model):
    """Append-only history of an attempt's state changes."""

    __tablename__ = "attempt_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Why: ``start``, ``submit``, ``timeout``, ``autograde``, ``manual``, ``regrade``.
    reason: Mapped[str] = mapped_column(String(20))


class IntegrityEvent(db.Model):
    """Append-only integrity log of an attempt (页面切走、退出全屏、复制粘贴、另一设备或标签页).

    Recorded by the exam page's script and by the server (a new session on the same attempt); shown to the
    teacher, never used to grade. (``AttemptEvent`` already names the state history.)"""

    __tablename__ = "attempt_integrity_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    #: One of app/exams/integrity.py KINDS.
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A hash of the browser session that reported it (tells devices/tabs apart, reveals nothing).
    session: Mapped[str | None] = mapped_column(String(16))
    #: The client's IP address.
    ip: Mapped[str | None] = mapped_column(String(64))


class AttemptItem(db.Model):
    """One slot of an attempt: the frozen question version, the student's saved response and its grade."""

    __tablename__ = "attempt_item"
    __table_args__ = (UniqueConstraint("attempt_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    #: 1-based position as the student sees it.
    slot: Mapped[int]
    #: The version shown to the student; never changes.
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id"), index=True)
    #: The question (denormalised from the version, for regrading and reports).
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    #: Type key (denormalised from the version, so that the hot autosave path needs no join).
    qtype: Mapped[str] = mapped_column(String(32))
    points: Mapped[float] = mapped_column(default=1.0)
    #: Option keys in the order shown (shuffled when the exam says so); NULL keeps the authored order.
    option_order: Mapped[list | None] = mapped_column(JSON)
    #: The last saved response (shape defined by the question type); NULL when unanswered.
    response: Mapped[dict | list | str | None] = mapped_column(JSON)
    #: Autosave sequence number of the stored response; a save must carry a larger one.
    seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime | None]
    score: Mapped[float | None]
    #: Score as a fraction of ``points`` (0..1).
    fraction: Mapped[float | None]
    feedback: Mapped[str | None] = mapped_column(Text)
    #: True while a teacher still has to grade this item.
    needs_manual: Mapped[bool] = mapped_column(default=False)
    #: The version whose answer key gave the current score (a corrected version after a regrade).
    graded_version_id: Mapped[int | None] = mapped_column(ForeignKey("question_version.id"))
    graded_at: Mapped[datetime | None]
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version = relationship("QuestionVersion", foreign_keys=[question_version_id], lazy="joined", innerjoin=True)


class ItemGrade(db.Model):
    """Append-only history of every grade an item received (auto, manual, regrade), with who and why."""

    __tablename__ = "item_grade"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_item_id: Mapped[int] = mapped_column(ForeignKey("attempt_item.id", ondelete="CASCADE"), index=True)
    score: Mapped[float]
    fraction: Mapped[float]
    feedback: Mapped[str | None] = mapped_column(Text)
    #: ``auto``, ``manual`` or ``regrade``.
    reason: Mapped[str] = mapped_column(String(20))
    question_version_id: Mapped[int | None] = mapped_column(ForeignKey("question_version.id"))
    #: Files a grader attached to the feedback (storage keys and names).
    attachments: Mapped[list | None] = mapped_column(JSON)
    #: The rubric the grader used (NULL: points typed directly).
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("rubric.id", ondelete="SET NULL"))
    #: The levels picked, copied so the history reads the same after the rubric changes:
    #: ``[{"criterion", "level", "points", "max_points"}]``.
    rubric_levels: Mapped[list | None] = mapped_column(JSON)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ExamRubric(db.Model):
    """评分量规 of a hand-graded question in one exam.

    The rubric itself is the tasks domain's :class:`~app.tasks.models.Rubric` (criteria with levels and points),
    reused rather than duplicated. Changing an exam's rubric points this row at a new Rubric; grades already
    given keep theirs (ItemGrade.rubric_id and a copy of the picked levels).
    """

    __tablename__ = "exam_rubric"
    __table_args__ = (UniqueConstraint("exam_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # No relationship() to Rubric: exams sit below tasks in the domain order, so the exams mappers must configure
    # without the tasks models; services join Rubric explicitly.


class AttemptFile(db.Model):
    """A file or photo a student attached to an essay answer (stored through app/core/uploads.py).

    The essay response lists the ids of its files; a file belongs to exactly one attempt item.
    """

    __tablename__ = "attempt_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_item_id: Mapped[int] = mapped_column(ForeignKey("attempt_item.id", ondelete="CASCADE"), index=True)
    #: Storage key of the (sniffed, for images re-encoded) file under a generated name.
    storage_key: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: The uploader's file name, for display and downloads only.
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
