"""Review workflow state, the mixin reviewable models use, and the append-only review record."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db


class ReviewState(str, enum.Enum):
    """Where a reviewable object stands. Only ``approved`` objects are shown to learners and the public."""

    draft = "draft"  #: 草稿: being written; only its authors and editors see it
    submitted = "submitted"  #: 待审核: waiting in the reviewers' queue; content frozen
    approved = "approved"  #: 已发布: approved by a reviewer; visible to learners
    changes_requested = "changes_requested"  #: 需修改: sent back with a reviewer's comment; editable again
    withdrawn = "withdrawn"  #: 已撤回: taken back by its submitter, or unpublished; editable again


#: States in which the owning domain may still change the content.
EDITABLE_STATES = frozenset({ReviewState.draft.value, ReviewState.changes_requested.value,
                             ReviewState.withdrawn.value})


class Reviewable:
    """Mixin for models that go through review. Add it to a ``db.Model`` subclass and register the model with
    :func:`app.review.registry.register_kind`; change the state only through :mod:`app.review.services`."""

    #: A :class:`ReviewState` value.
    review_state: Mapped[str] = mapped_column(String(20), default=ReviewState.draft.value, index=True)
    #: When it was last submitted for review (the queue is ordered by it, oldest first).
    submitted_at: Mapped[datetime | None]
    #: When a reviewer approved it (published); cleared when it is withdrawn.
    approved_at: Mapped[datetime | None]

    @declared_attr
    def submitted_by_id(cls) -> Mapped[int | None]:
        #: Who last submitted it; this user may not approve it.
        return mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)

    @declared_attr
    def approved_by_id(cls) -> Mapped[int | None]:
        #: The reviewer who approved it.
        return mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    @declared_attr
    def submitted_by(cls):
        return relationship("User", foreign_keys=[cls.submitted_by_id], lazy="select")

    @property
    def is_published(self) -> bool:
        return self.review_state == ReviewState.approved.value

    @property
    def is_editable(self) -> bool:
        return self.review_state in EDITABLE_STATES


class ReviewRecord(db.Model):
    """One decision in an object's review history. Rows are only ever inserted (see the guards below)."""

    __tablename__ = "review_record"
    __table_args__ = (Index("ix_review_record_object", "kind", "object_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered kind name (``standard_version``, ``page_version``, ``video`` ...).
    kind: Mapped[str] = mapped_column(String(64))
    #: Primary key of the reviewed object within its kind.
    object_id: Mapped[int]
    #: :class:`ReviewState` before the decision.
    from_state: Mapped[str] = mapped_column(String(20))
    #: :class:`ReviewState` after the decision.
    to_state: Mapped[str] = mapped_column(String(20))
    #: Who made the move; kept NULL if the account is later deleted.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: Reviewer's comment (required when changes are requested).
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User", lazy="joined")


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete review history."""


@event.listens_for(ReviewRecord, "before_update")
def _refuse_update(mapper, connection, target):
    raise AppendOnlyError("review records are append-only")


@event.listens_for(ReviewRecord, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AppendOnlyError("review records are append-only")
