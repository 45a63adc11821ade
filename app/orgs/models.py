"""Organisations."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db


class SchoolKind(str, enum.Enum):
    technician_college = "technician_college"  #: 技师学院
    senior_technical_school = "senior_technical_school"  #: 高级技工学校
    technical_school = "technical_school"  #: 技工学校


class PartnershipKind(str, enum.Enum):
    order_training = "order_training"  #: 订单培养
    apprenticeship = "apprenticeship"  #: 学徒制
    training_base = "training_base"  #: 实训基地
    industry_college = "industry_college"  #: 产业学院


class School(db.Model):
    """技工院校."""

    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key used by content files, imports and the CLI (e.g. ``gz-tech``).
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: A :class:`SchoolKind` value.
    kind: Mapped[str] = mapped_column(String(32), index=True)
    province: Mapped[str] = mapped_column(String(32), index=True)
    city: Mapped[str] = mapped_column(String(64), default="")
    #: Date the school joined 工学一体化 (NULL: not taking part yet).
    integrated_since: Mapped[date | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class Enterprise(db.Model):
    """企业."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: Industry in free text (e.g. 汽车制造).
    industry: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(32), index=True)
    city: Mapped[str] = mapped_column(String(64), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class Partnership(db.Model):
    """校企合作: a school works with an enterprise in one way."""

    __tablename__ = "partnership"
    __table_args__ = (UniqueConstraint("school_id", "enterprise_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    #: A :class:`PartnershipKind` value.
    kind: Mapped[str] = mapped_column(String(32))
    since: Mapped[date | None]

    school: Mapped[School] = relationship(lazy="joined", innerjoin=True)
    enterprise: Mapped[Enterprise] = relationship(lazy="joined", innerjoin=True)
