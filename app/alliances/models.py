"""Alliances (联盟), their committees (专指委 / 协作组) and the demonstration bases (示范基地) they review.

Enum-like values are stored as string keys guarded by a CHECK constraint; the Chinese labels live in
:mod:`app.alliances.labels` and are shown only in the UI. Who manages what is scoped by membership rows (an
alliance's secretariat, a committee's chairs and experts), not by new global roles (docs/alliances.md).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db

ALLIANCE_MEMBER_ROLES = ("council", "member")
COMMITTEE_KINDS = ("guidance", "collaboration")
COMMITTEE_MEMBER_ROLES = ("chair", "deputy", "industry_support", "participant", "master_studio")
APPLICATION_STATES = ("submitted", "rework", "rejected", "passed", "accepted", "published")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _exactly_one(*conditions: str) -> str:
    return " + ".join(f"(CASE WHEN {c} THEN 1 ELSE 0 END)" for c in conditions) + " = 1"


class Alliance(db.Model):
    """联盟: schools and enterprises that work together, with committees per industry field."""

    __tablename__ = "alliance"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    founded_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AllianceMember(db.Model):
    """A school or an enterprise in an alliance: 理事单位 ``council`` or 成员单位 ``member``."""

    __tablename__ = "alliance_member"
    __table_args__ = (
        CheckConstraint(_in("role", ALLIANCE_MEMBER_ROLES), name="role"),
        CheckConstraint(_exactly_one("school_id IS NOT NULL", "enterprise_id IS NOT NULL"),
                        name="one_organisation"),
        UniqueConstraint("alliance_id", "school_id"),
        UniqueConstraint("alliance_id", "enterprise_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliance.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    joined_on: Mapped[date | None]

    school = relationship("School", lazy="joined")
    enterprise = relationship("Enterprise", lazy="joined")


class AllianceSecretary(db.Model):
    """A user of the alliance secretariat (秘书处): manages the alliance, its members and committees."""

    __tablename__ = "alliance_secretary"
    __table_args__ = (UniqueConstraint("alliance_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliance.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


committee_profession = Table(
    "committee_profession", db.metadata,
    Column("committee_id", ForeignKey("committee.id", ondelete="CASCADE"), primary_key=True),
    Column("profession_id", ForeignKey("profession.id", ondelete="CASCADE"), primary_key=True),
)


class Committee(db.Model):
    """专业建设指导委员会 ``guidance`` or 专业建设协作组 ``collaboration`` of an alliance, for one industry field.

    ``criteria`` is the committee's rubric for demonstration bases, as data: a list of
    ``{"name": str, "max_score": int, "evidence": bool}`` (``evidence``: the criterion needs an evidence file).
    """

    __tablename__ = "committee"
    __table_args__ = (CheckConstraint(_in("kind", COMMITTEE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliance.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Short name as people say it (新餐饮理事会); empty: the name.
    short_name: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(16), default="guidance")
    industry_field_id: Mapped[int | None] = mapped_column(ForeignKey("industry_field.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[list] = mapped_column(JSON, default=list)

    alliance = relationship(Alliance, lazy="joined", innerjoin=True)
    industry_field = relationship("IndustryField", lazy="joined")
    professions = relationship("Profession", secondary=committee_profession, lazy="selectin",
                               order_by="Profession.name")


class CommitteeMember(db.Model):
    """An organisation in a committee with its role (主任单位 ``chair`` …).

    The organisation is a school or an enterprise on the platform, or — for associations, research institutes,
    studios and companies that are not (yet) on the platform — only its name (``organisation_name``)."""

    __tablename__ = "committee_member"
    __table_args__ = (
        CheckConstraint(_in("role", COMMITTEE_MEMBER_ROLES), name="role"),
        CheckConstraint(_exactly_one("school_id IS NOT NULL", "enterprise_id IS NOT NULL",
                                     "organisation_name <> ''"), name="one_organisation"),
        Index("ix_committee_member_committee_role", "committee_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(24))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    school = relationship("School", lazy="joined")
    enterprise = relationship("Enterprise", lazy="joined")

    @property
    def name(self) -> str:
        if self.school is not None:
            return self.school.name
        if self.enterprise is not None:
            return self.enterprise.name
        return self.organisation_name


class CommitteeExpert(db.Model):
    """A user in a committee's expert group (专家组): scores the applications assigned to the committee."""

    __tablename__ = "committee_expert"
    __table_args__ = (UniqueConstraint("committee_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: What the expert is known for (e.g. 烹饪); shown in the expert list.
    title: Mapped[str] = mapped_column(String(200), default="")

    user = relationship("User", lazy="joined", innerjoin=True)


class CommitteeManager(db.Model):
    """A user who manages a committee for its chair organisation (decides, accepts and publishes bases)."""

    __tablename__ = "committee_manager"
    __table_args__ = (UniqueConstraint("committee_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)

    user = relationship("User", lazy="joined", innerjoin=True)


# --------------------------------------------------------------------------------------------------------------
# 校企合作一体化专业示范基地: application, expert scores, decision, acceptance, publication.
# --------------------------------------------------------------------------------------------------------------
class BaseApplication(db.Model):
    """A school's application for a demonstration base of one profession under a committee.

    ``self_assessment`` holds one entry per committee criterion, in the criterion's order:
    ``{"score": int, "text": str}``."""

    __tablename__ = "base_application"
    __table_args__ = (
        CheckConstraint(_in("state", APPLICATION_STATES), name="state"),
        Index("ix_base_application_committee_state", "committee_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    profession_id: Mapped[int] = mapped_column(ForeignKey("profession.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    self_assessment: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    committee = relationship(Committee, lazy="joined", innerjoin=True)
    school = relationship("School", lazy="joined", innerjoin=True)
    profession = relationship("Profession", lazy="joined", innerjoin=True)
    partners = relationship("BaseApplicationPartner", lazy="selectin", cascade="all, delete-orphan")
    evidence = relationship("BaseEvidence", lazy="selectin", cascade="all, delete-orphan",
                            order_by="BaseEvidence.id")

    __mapper_args__ = {"version_id_col": version}


class BaseApplicationPartner(db.Model):
    """A 校企合作 record of the applicant school named as a partner of the base."""

    __tablename__ = "base_application_partner"
    __table_args__ = (UniqueConstraint("application_id", "partnership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("base_application.id", ondelete="CASCADE"), index=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id", ondelete="CASCADE"))

    partnership = relationship("Partnership", lazy="joined", innerjoin=True)


class BaseEvidence(db.Model):
    """An evidence file for one criterion of an application (stored through the upload service)."""

    __tablename__ = "base_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("base_application.id", ondelete="CASCADE"), index=True)
    #: Index of the criterion in the committee's ``criteria``.
    criterion: Mapped[int]
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id", ondelete="CASCADE"))

    media_file = relationship("MediaFile", lazy="joined", innerjoin=True)


class ExpertScore(db.Model):
    """One expert's independent score of an application (one per expert: a second one is a conflict).

    ``scores`` holds one whole number per committee criterion, in order."""

    __tablename__ = "expert_score"
    __table_args__ = (UniqueConstraint("application_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("base_application.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    scores: Mapped[list] = mapped_column(JSON, default=list)
    total: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    expert = relationship("User", lazy="joined", innerjoin=True)


class BaseApplicationEvent(db.Model):
    """Append-only history of an application: every state change, who made it, when and why."""

    __tablename__ = "base_application_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("base_application.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(16), default="")
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User", lazy="joined")


class DemonstrationBase(db.Model):
    """校企合作一体化专业示范基地: a published base (one per application: publishing twice is refused)."""

    __tablename__ = "demonstration_base"
    __table_args__ = (CheckConstraint("batch_number > 0", name="batch_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("base_application.id", ondelete="CASCADE"),
                                                unique=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    profession_id: Mapped[int] = mapped_column(ForeignKey("profession.id"), index=True)
    batch_number: Mapped[int]
    published_on: Mapped[date]

    committee = relationship(Committee, lazy="joined", innerjoin=True)
    school = relationship("School", lazy="joined", innerjoin=True)
    profession = relationship("Profession", lazy="joined", innerjoin=True)


# --------------------------------------------------------------------------------------------------------------
# Plans with quarterly milestones and progress reports (形象进度表).
# --------------------------------------------------------------------------------------------------------------
class Plan(db.Model):
    """A yearly plan of an organisation (e.g. a city's 产教融合 plan): tasks with quarterly milestones.

    Quarters up to ``closed_through`` are closed: no more progress reports for them."""

    __tablename__ = "plan"
    __table_args__ = (CheckConstraint("closed_through BETWEEN 0 AND 4", name="closed_through_quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The owner organisation as published (e.g. 沙河市教育局); a school on the platform may be linked too.
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    owner_school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"), index=True)
    year: Mapped[int]
    goals: Mapped[str] = mapped_column(Text, default="")
    closed_through: Mapped[int] = mapped_column(default=0)


class PlanTask(db.Model):
    """A task of a plan with its responsible department (and, once known, a responsible user who reports)."""

    __tablename__ = "plan_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    department: Mapped[str] = mapped_column(String(200), default="")
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]

    __table_args__ = (UniqueConstraint("plan_id", "key"),)


class Milestone(db.Model):
    """What a task should have reached in one quarter (形象进度)."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("task_id", "quarter"),
                      CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"))

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    quarter: Mapped[int]
    planned: Mapped[str] = mapped_column(Text)


class ProgressReport(db.Model):
    """A progress report of a task for a quarter (append-only; the newest one is the task's state)."""

    __tablename__ = "progress_report"
    __table_args__ = (CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"),
                      CheckConstraint("percent BETWEEN 0 AND 100", name="percent_range"),
                      Index("ix_progress_report_task_quarter", "task_id", "quarter"))

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"))
    quarter: Mapped[int]
    percent: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
