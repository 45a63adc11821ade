"""A throw-away reviewable model, so the workflow is tested without depending on any resource domain."""
from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, configure_mappers, mapped_column

import app.auth.models  # noqa: F401  (mapped before configure_mappers() below)
import app.orgs.models  # noqa: F401
from app.extensions import db
from app.review.models import Reviewable
from app.review.registry import KINDS, register_kind


class Note(Reviewable, db.Model):
    __tablename__ = "test_review_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


# Not part of the application's schema: keep it out of the metadata that migrations are compared against.
# Mappers are configured first, while its foreign keys can still be resolved through the metadata.
configure_mappers()
db.metadata.remove(Note.__table__)


@pytest.fixture
def note_kind(_transaction):
    """Create the table inside the test's transaction (rolled back after) and register the kind."""
    Note.__table__.create(bind=_transaction, checkfirst=True)
    saved = dict(KINDS)
    kind = register_kind("note", model=Note, label="笔记", title=lambda n: n.title, url=lambda n: f"/notes/{n.id}",
                         diff=lambda n: escape(n.body), owner_id=lambda n: n.author_id)
    yield kind
    KINDS.clear()
    KINDS.update(saved)


@pytest.fixture
def make_note(note_kind):
    def _make(author, title="活页 1", body="内容"):
        note = Note(title=title, body=body, author_id=author.id)
        db.session.add(note)
        db.session.flush()
        return note

    return _make
