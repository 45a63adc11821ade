"""题库: banks per profession, knowledge points, questions with append-only versions.

A question row holds the stable identity and a pointer to its current version; every edit appends a new
:class:`QuestionVersion`. Anything a learner answered pins the version it showed (``QuestionVersion.id``), so
editing a question never changes a finished or running attempt. The type, difficulty, points and knowledge
point of the current version are copied onto the question row so that bank pages and paper rules can
filter with one indexed statement.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db
from app.review.models import Reviewable


class QuestionBank(db.Model):
    """题库: the questions of one profession (optionally owned by one school)."""

    __tablename__ = "question_bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key used by the CLI and imports (e.g. ``auto-repair-basics``).
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: The 专业 whose questions these are; NULL only for banks created from the CLI without ``--profession``.
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("profession.id"), index=True)
    #: The school that owns the bank (its teachers edit it); NULL: a platform-wide bank.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    profession = relationship("Profession", lazy="joined")
    school = relationship("School", lazy="joined")


class KnowledgePoint(db.Model):
    """知识点 / 技能点: a tree inside a bank (imported categories ``A/B/C`` become a path of points)."""

    __tablename__ = "knowledge_point"
    __table_args__ = (UniqueConstraint("bank_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_point.id", ondelete="CASCADE"),
                                                  index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Full path of names from the root, joined with ``/`` (a ``/`` inside a name is written ``//``).
    path: Mapped[str] = mapped_column(String(1000))
    #: 学习任务 this point belongs to (any version of it: standards keep a lineage across versions).
    learning_task_id: Mapped[int | None] = mapped_column(ForeignKey("learning_task.id", ondelete="SET NULL"),
                                                         index=True)
    position: Mapped[int] = mapped_column(default=0)

    parent = relationship("KnowledgePoint", remote_side=[id], lazy="raise")


class Question(db.Model):
    """试题: stable identity of a question; its content lives in versions."""

    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("bank_id", "identity"),
        Index("ix_question_bank_filter", "bank_id", "type", "difficulty"),
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id", ondelete="CASCADE"))
    #: Identifier given by the author or the source system (Moodle ``idnumber``, GIFT ``[id:...]``).
    id_number: Mapped[str | None] = mapped_column(String(100))
    #: What makes a re-import recognise the question: ``id:<id_number>``, else ``h:<sha1 of type, text and
    #: category>`` computed when the question was first created. Unique per bank.
    identity: Mapped[str] = mapped_column(String(120))
    #: The newest version, whatever its review state: what authors edit and re-imports compare with.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", use_alter=True, name="fk_question_current_version_id_question_version"))
    #: The newest APPROVED version (凡编必审): the only one shown to new attempts; NULL while no version of the
    #: question has passed review, and such a question is never drawn or put on a paper.
    approved_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", use_alter=True, name="fk_question_approved_version_id_question_version"),
        index=True)
    #: Copies of the current version's fields, for filtering (bank page, paper rules).
    type: Mapped[str] = mapped_column(String(32))
    difficulty: Mapped[int] = mapped_column(default=3)
    points: Mapped[float] = mapped_column(default=1.0)
    knowledge_point_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_point.id", ondelete="SET NULL"),
                                                           index=True)
    #: Short title (Moodle's question name); the list shows it, or the start of the text.
    name: Mapped[str] = mapped_column(String(255), default="")
    #: Retired questions stay for old attempts but are not drawn into new papers.
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    bank = relationship("QuestionBank", lazy="raise")
    current_version: Mapped["QuestionVersion | None"] = relationship(
        foreign_keys=[current_version_id], lazy="joined", post_update=True)
    approved_version: Mapped["QuestionVersion | None"] = relationship(
        foreign_keys=[approved_version_id], lazy="select", post_update=True)
    knowledge_point = relationship("KnowledgePoint", lazy="raise")
    tags: Mapped[list["QuestionTag"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="QuestionTag.tag")

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class QuestionTag(db.Model):
    """标签 of a question (a row per tag so that the bank page can filter on one with an index)."""

    __tablename__ = "question_tag"

    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class QuestionVersion(Reviewable, db.Model):
    """One immutable version of a question's content. Rows are only ever inserted; only the review columns
    (:class:`~app.review.models.Reviewable`) change as the version moves through review."""

    __tablename__ = "question_version"
    __table_args__ = (
        UniqueConstraint("question_id", "number"),
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3 ... per question.
    number: Mapped[int] = mapped_column(default=1)
    #: A key of the type registry (``app.questions.types.TYPES``): single_choice, multiple_choice, ...
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), default="")
    #: 题干: sanitised HTML.
    text: Mapped[str] = mapped_column(Text)
    #: Type-specific content: options and fractions, accepted answers, tolerances, pairs ...
    #: (documented per type in docs/question-types.md; validated by the type's ``validate_data``).
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Default points when the question is drawn into a paper (0 for descriptions).
    points: Mapped[float] = mapped_column(default=1.0)
    #: 难易度 1 (easy) .. 5 (hard).
    difficulty: Mapped[int] = mapped_column(default=3)
    #: 解析: sanitised HTML shown in the review when the exam's policy allows.
    explanation: Mapped[str] = mapped_column(Text, default="")
    #: General feedback (Moodle's), sanitised HTML shown whatever the response.
    general_feedback: Mapped[str] = mapped_column(Text, default="")
    #: sha1 of the canonical content (type, texts, data, points, difficulty, tags, category): a re-import
    #: compares it to tell "unchanged" from "changed, append a version" without loading the content.
    content_hash: Mapped[str] = mapped_column(String(40), default="")
    #: Why this version was made (edit note, "imported from file.gift").
    change_note: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionFile(db.Model):
    """A picture or sound used in question text (imported ``@@PLUGINFILE@@`` files, uploads in the editor).

    Stored under a generated key; served by ``questions.file`` to users who may see the bank. One row per
    content per bank, so re-importing the same file stores nothing new.
    """

    __tablename__ = "question_file"
    __table_args__ = (UniqueConstraint("bank_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id", ondelete="CASCADE"), index=True)
    #: Generated storage key (``app.core.storage``), never derived from the uploaded name.
    storage_key: Mapped[str] = mapped_column(String(255))
    #: The name the file had in the source (kept for display and downloads).
    original_name: Mapped[str] = mapped_column(String(255), default="")
    #: Sniffed from the content (image/png, image/jpeg, image/gif, image/webp, audio/mpeg ...).
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
from app.questions import resources as _resources  # noqa: E402,F401  (profession page provider)
from app.questions import review as _review  # noqa: E402,F401  (registers question versions with the review workflow)
