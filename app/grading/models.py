"""Gradebook data. Computed grades are never changed by hand: overrides are kept beside them, append-only."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db


class FinalStatus(str, enum.Enum):
    passed = "passed"  #: final >= pass mark, every item minimum met, nothing pending
    failed = "failed"  #: below the pass mark or an item minimum (the reason says which)
    pending = "pending"  #: some visible item has no grade yet; the value shown is provisional


class GradeCategory(db.Model):
    """成绩类别: a weighted group of items (and of sub-categories), e.g. 过程性评价 40%, 终结性考核 60%."""

    __tablename__ = "grade_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    #: Enclosing category; NULL = directly under the course. Cycles are refused by the service.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grade_category.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(100))
    #: Relative weight among its siblings (re-normalised over siblings that have a value).
    weight: Mapped[float] = mapped_column(default=1.0)
    #: How many of its lowest graded items are left out (only while more than that many are graded).
    drop_lowest: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)


class GradeItem(db.Model):
    """成绩项: one graded thing. ``kind`` names an entry of the grade-source registry (app/grading/sources):
    ``manual`` (entered by a teacher, e.g. 实操考核), ``exam``, ``work_task`` ... whose source computes it."""

    __tablename__ = "grade_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("grade_category.id", ondelete="SET NULL"))
    #: A registered grade source (``manual``, ``exam``, ``work_task`` ...).
    kind: Mapped[str] = mapped_column(String(32), default="manual")
    #: The source's object (an exam id, a task assignment id); NULL for manual items.
    target_id: Mapped[int | None]
    name: Mapped[str] = mapped_column(String(200))
    max_points: Mapped[float] = mapped_column(default=100.0)
    #: Weight among the items and sub-categories of its category.
    weight: Mapped[float] = mapped_column(default=1.0)
    #: Minimum score (in points) required whatever the average, e.g. 60 in 实操考核; NULL = none.
    min_score: Mapped[float | None]
    #: Hidden items are not shown to learners and are left out of the final until made visible.
    hidden: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class Grade(db.Model):
    """The grade of one learner on one item as computed by its source (or as entered, for manual items).

    ``version`` guards concurrent edits: every change of the value or of its overrides bumps it, and an edit
    that names an older version is refused with 409.
    """

    __tablename__ = "grade"
    __table_args__ = (UniqueConstraint("item_id", "user_id"), Index("ix_grade_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("grade_item.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: Points as computed/entered; NULL = no grade yet.
    value: Mapped[float | None]
    #: Where the value came from, e.g. ``manual:zhang`` or ``exam:12``.
    source: Mapped[str] = mapped_column(String(64), default="")
    computed_at: Mapped[datetime | None]
    #: The latest override's value (NULL = none or cleared); denormalised from GradeOverride for fast reads.
    override_value: Mapped[float | None]
    #: Whether an override is in force (an override may clear back to the computed value).
    overridden: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    @property
    def effective(self) -> float | None:
        """The grade that counts: the latest override, else the computed value."""
        return self.override_value if self.overridden else self.value


class GradeOverride(db.Model):
    """A teacher's override of a grade: append-only history; the latest one is in force."""

    __tablename__ = "grade_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grade.id", ondelete="CASCADE"), index=True)
    #: The overriding points; NULL = override withdrawn (the computed value counts again).
    value: Mapped[float | None]
    #: Why (required).
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by = relationship("User", lazy="joined")


class FinalGrade(db.Model):
    """A learner's computed course result (written in bulk by the recomputation)."""

    __tablename__ = "final_grade"
    __table_args__ = (UniqueConstraint("course_id", "user_id"), Index("ix_final_grade_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: 0–100 (provisional while pending); NULL when nothing is graded yet.
    value: Mapped[float | None]
    #: A :class:`FinalStatus` value.
    status: Mapped[str] = mapped_column(String(16), default=FinalStatus.pending.value)
    #: Why it failed or is pending (already a sentence, shown to the learner).
    reason: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class GradeFile(db.Model):
    """反馈附件 of a grade: a file the teacher attaches to a learner's grade on an item — a marked-up photo of the
    practical piece, a PDF of comments (like Moodle's feedback files). Seen by the learner once the item is
    released, by the course's teachers and by the learner's mentors."""

    __tablename__ = "grade_file"
    __table_args__ = (Index("ix_grade_file_item_user", "item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("grade_item.id", ondelete="CASCADE"))
    #: The learner whose grade the file is feedback on.
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The stored photo/document (sniffed, images EXIF-rotated and shrunk by the upload service).
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    media_file = relationship("MediaFile", lazy="joined", innerjoin=True)
    item = relationship("GradeItem", lazy="joined", innerjoin=True)
