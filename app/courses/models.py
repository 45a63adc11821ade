"""Courses, cohorts, enrollments, mentor pairing and the ordered activities of a course."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db


class CourseKind(str, enum.Enum):
    class_course = "class_course"  #: 班级课程: students of a cohort, taught from an integrated course
    training_course = "training_course"  #: 师资培训课程: teachers being trained


class EnrollmentRole(str, enum.Enum):
    learner = "learner"  #: 学员: a student (class course) or a teacher in training (training course)
    instructor = "instructor"  #: 授课教师: manages the course, its activities and its gradebook
    mentor = "mentor"  #: 企业导师: sees only the learners assigned to them (MentorAssignment)


class EnrollmentStatus(str, enum.Enum):
    active = "active"  #: takes part
    unenrolled = "unenrolled"  #: left the course; the record (and its grades) stays, re-enrolling reactivates it


class Course(db.Model):
    """课程（开课）: one run of a course for a term."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    #: A :class:`CourseKind` value.
    kind: Mapped[str] = mapped_column(String(32), index=True)
    #: 学期, free text such as ``2026-2027-1``.
    term: Mapped[str] = mapped_column(String(32), default="")
    #: The school that runs it; NULL for a training course run by the platform for every school.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("profession.id"), index=True)
    #: 培养层级 of a class course; its skill level is what passing the course counts toward.
    training_level_id: Mapped[int | None] = mapped_column(ForeignKey("training_level.id"))
    #: The IntegratedCourse (一体化课程 of the standards domain) a class course is taught from; NULL for training
    #: courses or until the teacher picks it.
    integrated_course_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrated_course.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    #: 选课密码 for self-enrolment; NULL = self-enrolment closed. Compared in constant time.
    enrol_key: Mapped[str | None] = mapped_column(String(64))
    #: A shared (cross-school) course accepts learners of any school.
    is_shared: Mapped[bool] = mapped_column(default=False)
    #: 及格线: the final grade (0–100) a learner needs to pass.
    pass_mark: Mapped[float] = mapped_column(default=60.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Optimistic-lock counter for the settings form.
    version: Mapped[int] = mapped_column(default=1)

    school = relationship("School", lazy="joined")
    profession = relationship("Profession", lazy="joined")
    training_level = relationship("TrainingLevel", lazy="joined")
    integrated_course = relationship("IntegratedCourse", lazy="select")


class Cohort(db.Model):
    """班级: students of one school, profession, training level and entry year."""

    __tablename__ = "cohort"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("profession.id"), index=True)
    training_level_id: Mapped[int | None] = mapped_column(ForeignKey("training_level.id"))
    #: 入学年份.
    entry_year: Mapped[int]
    #: e.g. 2025级汽修1班; unique within the school.
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School", lazy="joined")
    profession = relationship("Profession", lazy="joined")
    training_level = relationship("TrainingLevel", lazy="joined")


class CohortMember(db.Model):
    """A student in a cohort."""

    __tablename__ = "cohort_member"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)

    user = relationship("User", lazy="joined", innerjoin=True)


class CourseCohort(db.Model):
    """A cohort enrolled in a course as a whole; the eligibility report reads the courses of a cohort here."""

    __tablename__ = "course_cohort"
    __table_args__ = (UniqueConstraint("course_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)

    cohort = relationship("Cohort", lazy="joined", innerjoin=True)
    course = relationship("Course", lazy="joined", innerjoin=True)


class Enrollment(db.Model):
    """选课 / 报名: a user in a course with one role. Unenrolling keeps the row (status + unenrolled_at)."""

    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("course_id", "user_id"), Index("ix_enrollment_user_status", "user_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: An :class:`EnrollmentRole` value.
    role: Mapped[str] = mapped_column(String(16), default=EnrollmentRole.learner.value)
    #: An :class:`EnrollmentStatus` value.
    status: Mapped[str] = mapped_column(String(16), default=EnrollmentStatus.active.value)
    #: How the user came in: ``manual``, ``cohort``, ``upload``, ``self``, ``cli``.
    method: Mapped[str] = mapped_column(String(16), default="manual")
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    unenrolled_at: Mapped[datetime | None]

    user = relationship("User", lazy="joined", innerjoin=True)
    course = relationship("Course", lazy="joined", innerjoin=True)


class MentorAssignment(db.Model):
    """拜师: an enterprise mentor paired with a learner of a class course (a learner may have several)."""

    __tablename__ = "mentor_assignment"
    __table_args__ = (UniqueConstraint("course_id", "student_id", "mentor_id"),
                      Index("ix_mentor_assignment_mentor", "course_id", "mentor_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    student = relationship("User", foreign_keys=[student_id], lazy="joined", innerjoin=True)
    mentor = relationship("User", foreign_keys=[mentor_id], lazy="joined", innerjoin=True)


class Activity(db.Model):
    """学习活动: one item of a course's ordered list. ``kind`` names an entry of the activity-kind registry
    (app/courses/activities); ``target_id`` points at the kind's object (a video, an exam, a work task ...)."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_course_position", "course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    #: A registered activity kind (``manual``, ``page``, ``video``, ``exam``, ``work_task`` ...).
    kind: Mapped[str] = mapped_column(String(32))
    #: Order within the course, from 1.
    position: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    #: The id of the kind's object in its own domain (NULL for manual and page activities).
    target_id: Mapped[int | None]
    #: Text of a page activity or instructions of a manual one (plain text, shown escaped).
    body: Mapped[str] = mapped_column(Text, default="")
    #: A link of a page activity (http/https only).
    url: Mapped[str | None] = mapped_column(String(500))
    #: Completion rule, interpreted by the kind (e.g. ``{"min_percent": 90}``, ``{"require": "passed"}``).
    rule: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityCompletion(db.Model):
    """A completion mark: a teacher's tick on a manual activity, or a learner's "read" on a page activity."""

    __tablename__ = "activity_completion"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who set the mark (the teacher for manual activities, the learner for pages).
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
