"""Accounts and credentials."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db


class Role(str, enum.Enum):
    """Roles a user may hold (several at once)."""

    platform_admin = "platform_admin"  #: 平台管理员: everything
    school_admin = "school_admin"  #: 院校管理员: the users and data of one school
    reviewer = "reviewer"  #: 审核专家: reviews resources before learners see them
    teacher = "teacher"  #: 教师
    student = "student"  #: 学生
    mentor = "mentor"  #: 企业导师/师傅: sees only the students assigned to them
    enterprise_hr = "enterprise_hr"  #: 企业招聘专员: the job posts, applications and demand lists of their enterprise


class User(db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("school_id IS NULL OR enterprise_id IS NULL", name="one_organisation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, stored lower-case; unique.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: 姓名 as shown to others.
    full_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: The school the user belongs to (teachers, students, school admins); at most one organisation.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    #: The enterprise the user belongs to (mentors).
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    #: argon2id hash; NULL until an imported user activates the account.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Deactivated users cannot log in and lose their sessions and tokens.
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Optimistic-lock counter, bumped on every edit through the forms.
    version: Mapped[int] = mapped_column(default=1)

    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role")
    school = relationship("School", lazy="joined")
    enterprise = relationship("Enterprise", lazy="joined")

    # Flask-Login protocol. The id a session stores is the session token, not the user id, so that a session
    # can be killed on the server.
    _session_token = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self._session_token

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: Role | str) -> bool:
        names = self.role_names
        return any((r.value if isinstance(r, Role) else r) in names for r in roles)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def organisation(self):
        return self.school or self.enterprise


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: A :class:`Role` value.
    role: Mapped[str] = mapped_column(String(32), index=True)

    user: Mapped[User] = relationship(back_populates="roles")


class UserSession(db.Model):
    """A logged-in browser. Deleting the row logs that browser out, whatever its cookie says."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random token held in the signed session cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Updated at most every few minutes, so that reads do not write.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class ApiToken(db.Model):
    """Personal token for scripts and API callers, sent as ``Authorization: Bearer gx_...``."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    #: SHA-256 of the token; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: First characters, to tell tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class ActivationCode(db.Model):
    """One-time code an imported user exchanges for a password at first login."""

    __tablename__ = "activation_code"
    __table_args__ = (Index("ix_activation_code_user_open", "user_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: SHA-256 of the code (the code has 100 random bits, so a fast hash suffices).
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("user_import.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship()


class UserImport(db.Model):
    """One bulk import of users, with the activation-code sheet the importing admin downloads."""

    __tablename__ = "user_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Original file name, for display.
    filename: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the file: re-importing the same file is recognised.
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    #: Storage key of the activation-code sheet (XLSX); removed when it expires.
    sheet_key: Mapped[str | None] = mapped_column(String(255))
