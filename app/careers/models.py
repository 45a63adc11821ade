"""Job posts, applications and demand lists of the careers domain."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db
from app.review.models import Reviewable


class JobKind(str, enum.Enum):
    job = "job"  #: 全职岗位
    internship = "internship"  #: 实习岗位 (岗位实习)


class ApplicationStatus(str, enum.Enum):
    submitted = "submitted"  #: 已投递
    viewed = "viewed"  #: 已查看: the enterprise opened it
    interview = "interview"  #: 面试
    offered = "offered"  #: 录用
    declined = "declined"  #: 未录用
    withdrawn = "withdrawn"  #: 已撤回: by the student


class DemandKind(str, enum.Enum):
    talent = "talent"  #: 人才需求清单: profession × level × headcount × when
    technology = "technology"  #: 技术需求清单
    product = "product"  #: 核心产品清单


job_post_profession = Table(
    "job_post_profession", db.metadata,
    Column("job_post_id", ForeignKey("job_post.id", ondelete="CASCADE"), primary_key=True),
    Column("profession_id", ForeignKey("profession.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class JobPost(Reviewable, db.Model):
    """岗位 / 实习岗位 of one enterprise. Public only when approved by a reviewer and not expired."""

    __tablename__ = "job_post"
    __table_args__ = (Index("ix_job_post_public", "review_state", "expires_on", "approved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    #: A :class:`JobKind` value.
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: 职业技能等级 required (NULL: none).
    skill_level_id: Mapped[int | None] = mapped_column(ForeignKey("skill_level.id"))
    province: Mapped[str] = mapped_column(String(32), default="", index=True)
    city: Mapped[str] = mapped_column(String(64), default="", index=True)
    district: Mapped[str] = mapped_column(String(64), default="")
    #: Monthly pay in yuan; both NULL when the pay is 面议 (negotiable).
    pay_min: Mapped[int | None]
    pay_max: Mapped[int | None]
    headcount: Mapped[int] = mapped_column(default=1)
    #: Internship period (internships only).
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    #: What the person will do: HTML already cleaned by app.core.sanitize.
    duties: Mapped[str] = mapped_column(Text, default="")
    #: The enterprise mentor who guides the intern (a mentor of the same enterprise).
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Last day the post is shown on the board.
    expires_on: Mapped[date] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    enterprise = relationship("Enterprise", lazy="joined", innerjoin=True)
    skill_level = relationship("SkillLevel", lazy="joined")
    mentor = relationship("User", foreign_keys=[mentor_id], lazy="joined")
    professions = relationship("Profession", secondary=job_post_profession, lazy="selectin", order_by="Profession.name")

    @property
    def pay_negotiable(self) -> bool:
        return self.pay_min is None and self.pay_max is None


class JobApplication(db.Model):
    """投递: one student's application to one post, with the résumé as it was when they applied."""

    __tablename__ = "job_application"
    __table_args__ = (UniqueConstraint("job_post_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_post_id: Mapped[int] = mapped_column(ForeignKey("job_post.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: An :class:`ApplicationStatus` value.
    status: Mapped[str] = mapped_column(String(16), default=ApplicationStatus.submitted.value, index=True)
    #: The student's short statement (plain text).
    statement: Mapped[str] = mapped_column(Text, default="")
    #: Résumé snapshot built from the student's record: name, school, profession, cohort, certificates.
    resume: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[JobPost] = relationship(lazy="joined", innerjoin=True)
    student = relationship("User", lazy="joined", innerjoin=True)


class DemandList(db.Model):
    """One of an enterprise's three lists (三张清单)."""

    __tablename__ = "demand_list"
    __table_args__ = (UniqueConstraint("enterprise_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    #: A :class:`DemandKind` value.
    kind: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise = relationship("Enterprise", lazy="joined", innerjoin=True)
    entries: Mapped[list["DemandEntry"]] = relationship(back_populates="demand_list", cascade="all, delete-orphan",
                                                        lazy="selectin", order_by="DemandEntry.id")


class DemandEntry(db.Model):
    """A line of a demand list. Talent lines use profession, level, headcount and needed_by; technology and
    product lines use title and description."""

    __tablename__ = "demand_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_list_id: Mapped[int] = mapped_column(ForeignKey("demand_list.id", ondelete="CASCADE"), index=True)
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("profession.id", ondelete="SET NULL"), index=True)
    skill_level_id: Mapped[int | None] = mapped_column(ForeignKey("skill_level.id"))
    headcount: Mapped[int | None]
    #: 需求时间: when the people are needed (talent lines).
    needed_by: Mapped[date | None]
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    demand_list: Mapped[DemandList] = relationship(back_populates="entries")
    profession = relationship("Profession", lazy="joined")
    skill_level = relationship("SkillLevel", lazy="joined")




class Placement(db.Model):
    """岗位实习: a student at an enterprise for a period, with a school supervisor and an enterprise mentor.
    Created from an offered application; checked against :data:`app.careers.placements.RULES` on creation."""

    __tablename__ = "placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    job_post_id: Mapped[int | None] = mapped_column(ForeignKey("job_post.id", ondelete="SET NULL"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("job_application.id", ondelete="SET NULL"),
                                                       unique=True)
    #: 学校指导教师 (a teacher of the student's school).
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: 企业导师 (a mentor of the enterprise).
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    start_on: Mapped[date]
    end_on: Mapped[date]
    hours_per_day: Mapped[int] = mapped_column(default=8)
    hours_per_week: Mapped[int] = mapped_column(default=40)
    night_shifts: Mapped[bool] = mapped_column(default=False)
    #: Date the student's internship liability insurance (实习责任保险) was recorded.
    insured_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    student = relationship("User", foreign_keys=[student_id], lazy="joined", innerjoin=True)
    supervisor = relationship("User", foreign_keys=[supervisor_id], lazy="joined")
    mentor = relationship("User", foreign_keys=[mentor_id], lazy="joined")
    enterprise = relationship("Enterprise", lazy="joined", innerjoin=True)
    post = relationship("JobPost", lazy="joined")
    logs: Mapped[list["WeeklyLog"]] = relationship(back_populates="placement", cascade="all, delete-orphan",
                                                   lazy="selectin", order_by="WeeklyLog.week_start")


class WeeklyLog(db.Model):
    """实习周记: one per placement and week (weeks start on Monday)."""

    __tablename__ = "weekly_log"
    __table_args__ = (UniqueConstraint("placement_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), index=True)
    #: The Monday of the week the log is about.
    week_start: Mapped[date]
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    placement: Mapped[Placement] = relationship(back_populates="logs")


class CheckIn(db.Model):
    """签到: the student at the workplace — the time, and the location when the student's browser gave one.
    A check-in farther from the previous one than travel allows in the time between is flagged, not blocked."""

    __tablename__ = "check_in"
    __table_args__ = (Index("ix_check_in_placement_at", "placement_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    #: Set when the move from the previous located check-in is faster than ``CAREERS_MAX_TRAVEL_KMH``.
    flagged: Mapped[bool] = mapped_column(default=False)


def _register_review_kind() -> None:
    from flask import url_for
    from flask_babel import lazy_gettext as _l
    from markupsafe import Markup

    from app.review.registry import register_kind

    def can_submit(user, post) -> bool:
        return user.has_role("platform_admin") or (user.has_role("enterprise_hr")
                                                   and user.enterprise_id == post.enterprise_id)

    register_kind("job_post", model=JobPost, label=_l("招聘岗位"),
                  title=lambda p: f"{p.enterprise.name} · {p.title}",
                  url=lambda p: url_for("careers.post", post_id=p.id),
                  diff=lambda p: Markup(p.duties),  # cleaned by app.core.sanitize when saved
                  owner_id=lambda p: p.created_by_id, can_submit=can_submit)


_register_review_kind()
