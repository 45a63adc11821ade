"""Loose-leaf workbooks (活页式教材/工作页): Workbook -> WorkbookPage -> PageVersion (append-only)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db
from app.review.models import Reviewable, ReviewState


class Workbook(db.Model):
    """A set of loose-leaf pages for a profession, optionally for one integrated course or learning task."""

    __tablename__ = "workbook"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key for content files (``flask content load``); NULL for workbooks made in the browser.
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    profession_id: Mapped[int] = mapped_column(ForeignKey("profession.id"), index=True)
    #: The 一体化课程 the workbook belongs to (optional; any row of the course's lineage).
    integrated_course_id: Mapped[int | None] = mapped_column(ForeignKey("integrated_course.id",
                                                                       ondelete="SET NULL"), index=True)
    #: The 学习任务 the workbook serves (optional; pages may name their own).
    learning_task_id: Mapped[int | None] = mapped_column(ForeignKey("learning_task.id", ondelete="SET NULL"),
                                                         index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: The author who created it; they (and platform admins) may edit it and add pages.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    profession = relationship("Profession", lazy="joined", innerjoin=True)
    integrated_course = relationship("IntegratedCourse", lazy="joined")
    learning_task = relationship("LearningTask", lazy="joined")
    created_by = relationship("User", lazy="select")


class WorkbookPage(db.Model):
    """One loose leaf. It is revised on its own; ``current_version`` is the approved version learners read."""

    __tablename__ = "workbook_page"
    __table_args__ = (UniqueConstraint("workbook_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workbook_id: Mapped[int] = mapped_column(ForeignKey("workbook.id", ondelete="CASCADE"), index=True)
    #: Page number within the workbook (1, 2, 3 ...); pages print in this order.
    position: Mapped[int]
    #: The 学习任务 this page belongs to when it differs from (or refines) the workbook's; NULL: the workbook's.
    learning_task_id: Mapped[int | None] = mapped_column(ForeignKey("learning_task.id", ondelete="SET NULL"),
                                                         index=True)
    #: The work step (TaskStage key such as ``plan`` or ``implement``) the page is used in; "" when any.
    stage: Mapped[str] = mapped_column(String(32), default="")
    #: The approved version learners see; NULL until a first version is approved.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("page_version.id", ondelete="SET NULL", use_alter=True, name="fk_workbook_page_current_version"))
    #: Number of the newest version (any state); the next version gets latest_number + 1.
    latest_number: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workbook: Mapped[Workbook] = relationship(lazy="joined", innerjoin=True)
    learning_task = relationship("LearningTask", lazy="joined")
    current_version: Mapped["PageVersion | None"] = relationship(foreign_keys=[current_version_id], lazy="joined",
                                                                post_update=True)

    @property
    def task(self):
        """The learning task the page serves: its own, else the workbook's."""
        return self.learning_task or self.workbook.learning_task

    @property
    def course(self):
        """The integrated course the page belongs to: its task's, else the workbook's."""
        task = self.task
        return task.course if task is not None else self.workbook.integrated_course


class PageVersion(Reviewable, db.Model):
    """One version of a page. Append-only: once submitted for review its content never changes (see the guard
    below), because learners' answers pin the version they saw."""

    __tablename__ = "page_version"
    __table_args__ = (UniqueConstraint("page_id", "number"), Index("ix_page_version_page_state", "page_id",
                                                                   "review_state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("workbook_page.id", ondelete="CASCADE"))
    #: 1, 2, 3 ... within the page.
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    #: The author's Markdown, including ```worksheet blocks.
    source: Mapped[str] = mapped_column(Text)
    #: Sanitised HTML rendered from ``source`` when saved (reading never sanitises again), with empty
    #: ``worksheet-slot`` divs where the fields go.
    html: Mapped[str] = mapped_column(Text)
    #: Normalised worksheet field definitions (docs/worksheet-fields.md), in page order.
    fields: Mapped[list] = mapped_column(JSON, default=list)
    #: 修订说明: what changed and why.
    change_note: Mapped[str] = mapped_column(String(500), default="")
    #: 生效日期: from when this version is to be used in class (printed in the page header).
    effective_date: Mapped[date]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Last edit of the draft (versions are edited in place only while still drafts).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    page: Mapped[WorkbookPage] = relationship(foreign_keys=[page_id], lazy="select")
    author = relationship("User", foreign_keys=[author_id], lazy="select")


class FrozenVersionError(RuntimeError):
    """Raised when code tries to change the content of a version that has been submitted."""


_CONTENT = ("number", "title", "source", "html", "fields", "change_note", "effective_date", "page_id")


@event.listens_for(PageVersion, "before_update")
def _refuse_frozen_change(mapper, connection, target):
    state = inspect(target)
    previous = state.attrs.review_state.history.deleted
    was = previous[0] if previous else target.review_state
    if was == ReviewState.draft.value:
        return
    if any(state.attrs[name].history.has_changes() for name in _CONTENT):
        raise FrozenVersionError(f"page version {target.id} was submitted; its content is frozen")


@event.listens_for(PageVersion, "before_delete")
def _refuse_delete(mapper, connection, target):
    if target.review_state != ReviewState.draft.value:
        raise FrozenVersionError(f"page version {target.id} was submitted; it is kept for good")


# Page versions are a reviewable kind; registering needs the models above, so it happens here, once.
from app.workbooks import review as _review  # noqa: E402,F401
from app.workbooks import resources as _resources  # noqa: E402,F401
