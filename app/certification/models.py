"""National targets (百千万) and the phases of the plan, kept as data."""
from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Target(db.Model):
    """A national target such as 10,000 trained 工学一体化 teachers by 2025."""

    __tablename__ = "target"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: What is counted: ``integrated_professions``, ``schools``, ``certified_teachers``.
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[int]
    #: The date by which the value should be reached.
    deadline: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(200), default="")


class Phase(db.Model):
    """A phase of the plan with its cumulative or incremental goals."""

    __tablename__ = "phase"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    #: Professions to reach by the end of the phase (cumulative).
    professions_total: Mapped[int]
    #: Schools to reach by the end of the phase (cumulative).
    schools_total: Mapped[int]
    #: Teacher trainings (人次) within this phase.
    teacher_trainings: Mapped[int]
