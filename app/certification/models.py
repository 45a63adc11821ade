"""National targets (百千万) and the phases of the plan, kept as data."""
from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Target(db.Model):
    """A target such as 10,000 trained 工学一体化 teachers by 2025: national (the 百千万 plan), or a province's
    or a school's own. A province or school without targets of its own shows its figures without one."""

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
    #: The province the target is set for (NULL with ``school_id`` NULL: a national target).
    province: Mapped[str | None] = mapped_column(String(32), index=True)
    #: The school the target is set for (NULL: national or a province's).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)


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


# --------------------------------------------------------------------------------------------------------------
# Credit hours (学时): server-measured video watching and the append-only ledger.
# --------------------------------------------------------------------------------------------------------------
from datetime import datetime  # noqa: E402

from sqlalchemy import JSON, ForeignKey, Index, Text, UniqueConstraint  # noqa: E402
from sqlalchemy.orm import relationship  # noqa: E402

from app.core.database import utcnow  # noqa: E402


class WatchSession(db.Model):
    """One sitting in front of one video, measured from heartbeats on the server."""

    __tablename__ = "watch_session"
    __table_args__ = (Index("ix_watch_session_user_beat", "user_id", "last_heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Server time of the last ACCEPTED heartbeat: credit is measured from here.
    last_heartbeat_at: Mapped[datetime | None]
    #: Playback position (seconds) reported by the last accepted heartbeat.
    last_position: Mapped[float] = mapped_column(default=0.0)
    #: Whether the video was playing at the last accepted heartbeat (an interval earns only between two
    #: playing heartbeats).
    last_playing: Mapped[bool] = mapped_column(default=False)
    #: Highest heartbeat sequence number seen; a lower or equal one is a replay.
    last_seq: Mapped[int] = mapped_column(default=0)
    #: ``active`` or ``closed`` (a newer session of the same user and video closes the older one).
    state: Mapped[str] = mapped_column(String(16), default="active")
    #: Seconds credited in this session (sum of its ledger entries).
    credited_seconds: Mapped[float] = mapped_column(default=0.0)
    #: Flood guard kept in the row itself (no rate-limit store on the hot path): when the current one-minute
    #: window began and how many heartbeats it has seen; past ``CERT_HEARTBEAT_FLOOD_LIMIT`` the answer is 429.
    flood_window_at: Mapped[datetime | None]
    flood_window_beats: Mapped[int] = mapped_column(default=0)


class WatchProgress(db.Model):
    """A teacher's coverage of one video over all sessions: the union of watched intervals and the resume point."""

    __tablename__ = "watch_progress"
    __table_args__ = (UniqueConstraint("user_id", "video_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"), index=True)
    #: Merged, sorted ``[[start, end], ...]`` seconds; the union of this user's WatchSegments.
    intervals: Mapped[list] = mapped_column(JSON, default=list)
    #: Total length of ``intervals`` in seconds.
    covered_seconds: Mapped[float] = mapped_column(default=0.0)
    #: Where to resume playback.
    resume_position: Mapped[float] = mapped_column(default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WatchSegment(db.Model):
    """Evidence: the interval ``[start, end)`` of the video that one accepted heartbeat covered."""

    __tablename__ = "watch_segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("watch_session.id", ondelete="CASCADE"), index=True)
    start: Mapped[float]
    end: Mapped[float]
    #: Seconds of this interval that were new coverage (what the ledger credited).
    credited: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HeartbeatRejection(db.Model):
    """A heartbeat that earned nothing, and why (``too_frequent``, ``replay``, ``rate``, ``jump``,
    ``concurrent``, ``closed``)."""

    __tablename__ = "heartbeat_rejection"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("watch_session.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    position: Mapped[float]
    rate: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditHourEntry(db.Model):
    """One line of the append-only 学时 ledger. Corrections are new (negative) entries, never edits."""

    __tablename__ = "credit_hour_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: Seconds credited (学时 = seconds / 3600 × the program's hour length; we use 1 学时 = 1 hour).
    seconds: Mapped[float]
    #: A key of ``app.certification.sources.SOURCES``: ``video_watch``, ``course_completion``,
    #: ``offline_training``.
    source: Mapped[str] = mapped_column(String(32))
    #: What proves it, e.g. ``watch_session:12``, ``course:3``, ``file:<storage key>``.
    evidence: Mapped[str] = mapped_column(String(255))
    #: The video watched (video_watch).
    video_id: Mapped[int | None] = mapped_column(ForeignKey("video.id", ondelete="SET NULL"), index=True)
    #: The training course it counts for (course_completion, offline_training).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"), index=True)
    note: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------------------------
# Training programs and certificates.
# --------------------------------------------------------------------------------------------------------------
class TeacherLevel(db.Model):
    """A level of 工学一体化 teacher (names and order are data in content/teacher_levels.yaml)."""

    __tablename__ = "teacher_level"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: Lower comes first; a program's prerequisite is usually the level below.
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")


class TrainingProgram(db.Model):
    """师资培训项目: what a teacher must do to be certified at a level."""

    __tablename__ = "training_program"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    level_id: Mapped[int] = mapped_column(ForeignKey("teacher_level.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    #: Minimum 学时 over all sources.
    min_total_hours: Mapped[float] = mapped_column(default=0.0)
    #: The final exam (exams domain) and the percentage needed to pass it.
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exam.id", ondelete="SET NULL"))
    exam_pass_percent: Mapped[float] = mapped_column(default=60.0)
    #: The practical task (e.g. 学习任务分析与策划); empty title = none required.
    practical_title: Mapped[str] = mapped_column(String(200), default="")
    #: Score (0–100) the reviewer must give for the task to count.
    practical_pass_score: Mapped[float] = mapped_column(default=60.0)
    #: A level the teacher must already be certified at.
    prerequisite_level_id: Mapped[int | None] = mapped_column(ForeignKey("teacher_level.id"))
    #: Years a certificate stays valid; ``None`` = no expiry.
    validity_years: Mapped[int | None]
    is_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    level: Mapped[TeacherLevel] = relationship(foreign_keys=[level_id], lazy="joined", innerjoin=True)
    prerequisite_level: Mapped[TeacherLevel | None] = relationship(foreign_keys=[prerequisite_level_id],
                                                                  lazy="joined")
    courses: Mapped[list["ProgramCourse"]] = relationship(back_populates="program", lazy="selectin",
                                                          order_by="ProgramCourse.position",
                                                          cascade="all, delete-orphan")


class ProgramCourse(db.Model):
    """A training course a program requires, with the minimum 学时 earned in it."""

    __tablename__ = "program_course"
    __table_args__ = (UniqueConstraint("program_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("training_program.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    min_hours: Mapped[float] = mapped_column(default=0.0)
    position: Mapped[int] = mapped_column(default=0)

    program: Mapped[TrainingProgram] = relationship(back_populates="courses")
    course = relationship("Course", lazy="joined", innerjoin=True)


class ProgramEnrollment(db.Model):
    """A teacher taking part in a program (人次 counts these)."""

    __tablename__ = "program_enrollment"
    __table_args__ = (UniqueConstraint("program_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("training_program.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The school at enrollment (for breakdowns even if the teacher moves).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    #: The profession the teacher teaches (printed on the certificate).
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("profession.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    program: Mapped[TrainingProgram] = relationship(lazy="joined", innerjoin=True)
    user = relationship("User", foreign_keys=[user_id], lazy="joined", innerjoin=True)
    profession = relationship("Profession", lazy="joined")


class PracticalSubmission(db.Model):
    """The practical task a teacher hands in, and the reviewer's rubric score."""

    __tablename__ = "practical_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("training_program.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: Generated storage key of the uploaded file; the original name only for display.
    storage_key: Mapped[str] = mapped_column(String(255))
    original_name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(127))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: 0–100 from the reviewer; ``None`` until reviewed.
    score: Mapped[float | None]
    #: Per-criterion scores ``{criterion: points}`` of the rubric.
    rubric_scores: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id], lazy="select")
    program: Mapped[TrainingProgram] = relationship(lazy="select")


class SerialCounter(db.Model):
    """The last certificate number used in a year (serials are ``GX-<year>-<6 digits>``)."""

    __tablename__ = "certificate_serial"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Certificate(db.Model):
    """工学一体化教师证书. The printed facts are copied at issue so later edits do not change a certificate."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("program_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``GX-2026-000123``: human reference, NOT accepted by the verification page.
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    #: ``secrets.token_urlsafe(24)`` (192 bits): the only key of the public verification page.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("training_program.id"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("teacher_level.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("profession.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(100))
    school_name: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str] = mapped_column(String(50), default="")
    profession_name: Mapped[str] = mapped_column(String(100), default="")
    level_name: Mapped[str] = mapped_column(String(100))
    program_title: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(index=True)
    expires_on: Mapped[date | None]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertificateEvent(db.Model):
    """Append-only history of a certificate: ``issued``, ``revoked``."""

    __tablename__ = "certificate_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(255), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertificateBatch(db.Model):
    """An administrator's batch issue of one program's certificates, worked through chunk by chunk.

    The batch page asks for the next chunk while it is open (htmx); each chunk checks ``BATCH_CHUNK`` teachers,
    issues to those who meet everything, commits, and stores their certificates as one print-ready PDF part.
    The row is the progress bar: ``checked`` of ``total``.
    """

    __tablename__ = "certificate_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("training_program.id", ondelete="CASCADE"), index=True)
    #: ``running`` until every pending enrollment has been checked, then ``done``.
    state: Mapped[str] = mapped_column(String(16), default="running")
    #: Teachers without a certificate when the batch started.
    total: Mapped[int] = mapped_column(default=0)
    #: Teachers checked so far.
    checked: Mapped[int] = mapped_column(default=0)
    issued: Mapped[int] = mapped_column(default=0)
    #: ``[{"name": ..., "username": ..., "reasons": [...]}, ...]`` (the first 200 refused teachers).
    refused: Mapped[list] = mapped_column(JSON, default=list)
    refused_count: Mapped[int] = mapped_column(default=0)
    #: Last ProgramEnrollment.id checked: the next chunk starts after it.
    cursor: Mapped[int] = mapped_column(default=0)
    #: Storage keys of the print-ready PDF parts, one per chunk that issued certificates.
    pdf_keys: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    program: Mapped[TrainingProgram] = relationship(lazy="joined", innerjoin=True)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.checked * 100 // self.total)


# --------------------------------------------------------------------------------------------------------------
# Credit for completing a training course, and offline training sessions recorded by an administrator.
# --------------------------------------------------------------------------------------------------------------
class CourseCredit(db.Model):
    """学时 a teacher earns, once, by completing every activity of a training course (source ``course_completion``)."""

    __tablename__ = "course_credit"

    #: The training course (one value per course, whichever programs list it).
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    hours: Mapped[float] = mapped_column(default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OfflineSession(db.Model):
    """线下培训: one face-to-face training session; each attendee gets a ledger line pointing at it."""

    __tablename__ = "offline_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(index=True)
    #: 学时 credited to every attendee.
    hours: Mapped[float]
    #: The training course the hours count for.
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    #: The program it was run for (display and filtering only; hours count through the course).
    program_id: Mapped[int | None] = mapped_column(ForeignKey("training_program.id", ondelete="SET NULL"), index=True)
    #: The school of the recording school admin (they see only their own sessions); NULL = platform.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    #: The uploaded attendance file (签到表): generated storage key, display name, sniffed type.
    attendance_key: Mapped[str] = mapped_column(String(255))
    attendance_name: Mapped[str] = mapped_column(String(255))
    attendance_mime: Mapped[str] = mapped_column(String(127))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course = relationship("Course", lazy="joined", innerjoin=True)
    program: Mapped[TrainingProgram | None] = relationship(lazy="joined")

    @property
    def evidence(self) -> str:
        """The ledger's evidence string of this session's lines."""
        return f"offline_session:{self.id}"


#: Attendees of an offline session and the "already credited?" checks look ledger lines up by their evidence.
Index("ix_credit_hour_entry_evidence", CreditHourEntry.evidence)

#: A training course is credited on completion once per teacher, even when two requests complete it at the same
#: moment (both pass the "already credited?" check before either commits): the database refuses the second line
#: and ``programs.credit_completed_courses`` takes the refusal as "already credited".
_COURSE_COMPLETION = CreditHourEntry.source == "course_completion"
Index("uq_credit_hour_entry_course_completion", CreditHourEntry.user_id, CreditHourEntry.course_id, unique=True,
      sqlite_where=_COURSE_COMPLETION, postgresql_where=_COURSE_COMPLETION)
