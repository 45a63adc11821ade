"""The catalogue every resource is organised by."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class IndustryField(db.Model):
    """产业领域 (e.g. 智能制造), as the alliances' 专业建设指导委员会 are organised."""

    __tablename__ = "industry_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: Display order.
    position: Mapped[int] = mapped_column(default=0)


class TrainingLevel(db.Model):
    """培养层级: intermediate, advanced, preparatory_technician."""

    __tablename__ = "training_level"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    #: The 职业技能等级 a graduate of this level may be deemed to have passed.
    skill_level_id: Mapped[int | None] = mapped_column(ForeignKey("skill_level.id"))

    skill_level = relationship("SkillLevel", lazy="joined")


class SkillLevel(db.Model):
    """职业技能等级: 五级/初级工 ... 一级/高级技师."""

    __tablename__ = "skill_level"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: 5 (五级) down to 1 (一级).
    grade: Mapped[int]


profession_level = Table(
    "profession_level",
    db.metadata,
    Column("profession_id", ForeignKey("profession.id", ondelete="CASCADE"), primary_key=True),
    Column("training_level_id", ForeignKey("training_level.id", ondelete="CASCADE"), primary_key=True),
)


class Profession(db.Model):
    """专业."""

    __tablename__ = "profession"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    #: Official catalogue code; NULL when unknown (codes are never invented).
    code: Mapped[str | None] = mapped_column(String(32))
    field_id: Mapped[int | None] = mapped_column(ForeignKey("industry_field.id"), index=True)
    #: 工学一体化专业.
    is_integrated: Mapped[bool] = mapped_column(default=False)
    #: Since when it is taught the 工学一体化 way.
    integrated_since: Mapped[date | None]
    description: Mapped[str] = mapped_column(default="")

    field: Mapped[IndustryField | None] = relationship(lazy="joined")
    levels: Mapped[list[TrainingLevel]] = relationship(secondary=profession_level, lazy="selectin",
                                                       order_by=TrainingLevel.position)
