"""Dashboard numbers shared by every worker process."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class DashboardSnapshot(db.Model):
    """The computed numbers of one dashboard scope (``national``, a province, a school), kept in the database so
    that every gunicorn worker answers from the same copy and only one of them recomputes it at a time."""

    __tablename__ = "dashboard_snapshot"

    #: What was computed, e.g. ``progress:national`` or ``progress:s12``.
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: The numbers as JSON; ``None`` until the first computation finishes.
    payload: Mapped[dict | None] = mapped_column(JSON)
    #: Application time at which the computation of ``payload`` started (its age bounds how stale it is).
    computed_at: Mapped[datetime | None]
    #: A worker recomputing the row holds it until then; others keep serving ``payload`` meanwhile.
    refreshing_until: Mapped[datetime | None]
