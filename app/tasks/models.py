"""学习任务实施 and 多元评价: a learning task set for a course, worked stage by stage, evaluated by several parties.

TaskAssignment -> AssignmentStage (the stages, editable per assignment), Rubric -> RubricCriterion;
TaskSubmission (one per student, or one per TaskGroup for group work) -> SubmissionStage (current state of each
stage) + StageEntry (append-only history of saves and decisions, with the member who saved each) + TaskFile
(uploaded photos/files); Evaluation and PeerReview.

Group work: the assignment's ``work_mode`` is ``group``; the teacher forms TaskGroups (TaskGroupMember: one group
per student and assignment) and each group shares one submission (``student_id`` empty, ``group_id`` set).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db


class StageState(str, enum.Enum):
    locked = "locked"  #: an earlier stage is not finished (or its plan not approved) yet
    open = "open"  #: the student works on it and may submit it
    submitted = "submitted"  #: handed in; waits for the teacher when the stage needs approval
    approved = "approved"  #: accepted by the teacher (stages needing approval) — the next stage opens
    returned = "returned"  #: sent back with a comment; the student revises and submits again


class Party(str, enum.Enum):
    self_ = "self"  #: 自评: the student on their own work
    peer = "peer"  #: 互评: classmates assigned automatically
    teacher = "teacher"  #: 师评: an instructor of the course
    mentor = "mentor"  #: 企业评价: an enterprise mentor assigned to the student


class MissingRule(str, enum.Enum):
    renormalise = "renormalise"  #: a missing party is left out and the other weights are scaled up to 100
    zero = "zero"  #: a missing party counts as 0 points


class EntryKind(str, enum.Enum):
    draft = "draft"  #: a saved (or autosaved) state of the stage's answers
    submit = "submit"  #: the answers handed in
    approve = "approve"  #: the teacher approved the stage
    return_ = "return"  #: the teacher sent the stage back (comment says why)
    upload = "upload"  #: a photo or file was added to the stage


class WorkMode(str, enum.Enum):
    individual = "individual"  #: 个人完成: one submission per student
    group = "group"  #: 小组合作: one submission per TaskGroup, shared by its members


class Rubric(db.Model):
    """评分量规 of a task assignment. Lives in the tasks domain because grading has no rubric of its own; every
    party evaluates on the same criteria."""

    __tablename__ = "rubric"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    criteria: Mapped[list["RubricCriterion"]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="RubricCriterion.position", lazy="selectin")

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.criteria)


class RubricCriterion(db.Model):
    """One criterion of a rubric, with its maximum points and named levels."""

    __tablename__ = "rubric_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    max_points: Mapped[float] = mapped_column(default=10.0)
    #: Levels from best to worst: ``[{"label": "优秀", "points": 20}, ...]``; points within 0..max_points.
    levels: Mapped[list] = mapped_column(JSON, default=list)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")


class TaskAssignment(db.Model):
    """学习任务实施: a learning task set for a course, with pinned worksheet pages, stages, rubric and weights."""

    __tablename__ = "task_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    learning_task_id: Mapped[int] = mapped_column(ForeignKey("learning_task.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    #: The workbook PageVersion ids current when the task was set (answers are checked against these).
    page_version_ids: Mapped[list] = mapped_column(JSON, default=list)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id"))
    #: Weights of the parties in percent; they add up to 100.
    weight_self: Mapped[int] = mapped_column(default=10)
    weight_peer: Mapped[int] = mapped_column(default=20)
    weight_teacher: Mapped[int] = mapped_column(default=50)
    weight_mentor: Mapped[int] = mapped_column(default=20)
    #: A :class:`MissingRule` value: what a missing party's weight does.
    missing_rule: Mapped[str] = mapped_column(String(16), default=MissingRule.renormalise.value)
    #: How many classmates review each student's work.
    peer_count: Mapped[int] = mapped_column(default=2)
    #: After this moment missing peer reviews no longer hold the final score back (the missing rule applies).
    peer_due_at: Mapped[datetime | None]
    #: The peer deadline (``scoring.peer_deadline``) whose passing was carried into the gradebook by the due task
    #: ``tasks.peer_deadlines``; a deadline moved afterwards differs from it and is carried over again once it
    #: passes. The conditional update of this column makes each deadline count once, even on two servers.
    peer_deadline_settled_at: Mapped[datetime | None]
    #: A :class:`WorkMode` value: individual work or group work (set when the task is set).
    work_mode: Mapped[str] = mapped_column(String(16), default=WorkMode.individual.value,
                                           server_default=WorkMode.individual.value)
    #: Group work: the size used when groups are formed automatically (the teacher may re-form them).
    group_size: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course = relationship("Course", lazy="joined", innerjoin=True)
    learning_task = relationship("LearningTask", lazy="joined", innerjoin=True)
    rubric: Mapped[Rubric] = relationship(lazy="joined", innerjoin=True)
    stages: Mapped[list["AssignmentStage"]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", order_by="AssignmentStage.position",
        lazy="selectin")

    def weight(self, party: str) -> int:
        return getattr(self, f"weight_{party}")

    @property
    def is_group_work(self) -> bool:
        return self.work_mode == WorkMode.group.value


class AssignmentStage(db.Model):
    """A stage (学习环节) of an assignment: copied from the learning task's TaskStages, editable per assignment."""

    __tablename__ = "assignment_stage"
    __table_args__ = (UniqueConstraint("assignment_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("task_assignment.id", ondelete="CASCADE"), index=True)
    #: The TaskStage key (``inform`` ... ``evaluate`` or custom); worksheet fields are matched on it.
    key: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    #: 截止时间; after it an unfinished stage counts as late.
    due_at: Mapped[datetime | None]
    #: The teacher must approve the submitted stage before the next one opens (default: 决策 decide).
    requires_approval: Mapped[bool] = mapped_column(default=False)
    #: At least one photo/file must be uploaded before the stage can be submitted (default: 实施, 检查).
    requires_evidence: Mapped[bool] = mapped_column(default=False)

    assignment: Mapped[TaskAssignment] = relationship(back_populates="stages")


class TaskGroup(db.Model):
    """学习小组 of a group-work assignment: its members share one submission."""

    __tablename__ = "task_group"
    __table_args__ = (UniqueConstraint("assignment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("task_assignment.id", ondelete="CASCADE"), index=True)
    #: Shown to students and on the board, e.g. "第 1 组"; unique within the assignment.
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list["TaskGroupMember"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="TaskGroupMember.id")


class TaskGroupMember(db.Model):
    """A student's place in a group; one group per student and assignment. Carries the teacher's per-member
    adjustment of the group's final score (with who, when and why)."""

    __tablename__ = "task_group_member"
    __table_args__ = (UniqueConstraint("assignment_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("task_group.id", ondelete="CASCADE"), index=True)
    #: Repeated from the group so that "one group per student" is a database constraint.
    assignment_id: Mapped[int] = mapped_column(ForeignKey("task_assignment.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: Points (−30..+30) added to the group's final score for this member; 0 = none.
    adjustment: Mapped[float] = mapped_column(default=0.0, server_default="0")
    #: Why the teacher adjusted (required when ``adjustment`` is not 0).
    adjustment_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    adjusted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    adjusted_at: Mapped[datetime | None]

    group: Mapped[TaskGroup] = relationship(back_populates="members")
    student = relationship("User", foreign_keys=[student_id], lazy="joined", innerjoin=True)


class TaskSubmission(db.Model):
    """The work on an assignment of one student (individual work) or of one group (group work)."""

    __tablename__ = "task_submission"
    __table_args__ = (UniqueConstraint("assignment_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("task_assignment.id", ondelete="CASCADE"), index=True)
    #: The student of individual work; empty for group work.
    student_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The group of group work; empty for individual work.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("task_group.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment: Mapped[TaskAssignment] = relationship(lazy="joined", innerjoin=True)
    student = relationship("User", lazy="joined")
    group = relationship("TaskGroup", lazy="joined")

    @property
    def owner_name(self) -> str:
        """The student's name, or the group's name."""
        if self.group is not None:
            return self.group.name
        return self.student.full_name or self.student.username


class SubmissionStage(db.Model):
    """The current state of one stage of a submission (the history is in StageEntry)."""

    __tablename__ = "submission_stage"
    __table_args__ = (UniqueConstraint("submission_id", "stage_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("task_submission.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("assignment_stage.id", ondelete="CASCADE"), index=True)
    #: A :class:`StageState` value.
    state: Mapped[str] = mapped_column(String(16), default=StageState.locked.value)
    submitted_at: Mapped[datetime | None]
    #: The teacher's latest comment (when returned or approved).
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StageEntry(db.Model):
    """Append-only history of a stage: every save (draft), submission and teacher decision, never updated."""

    __tablename__ = "stage_entry"
    __table_args__ = (Index("ix_stage_entry_sub_stage", "submission_id", "stage_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("task_submission.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("assignment_stage.id", ondelete="CASCADE"))
    #: An :class:`EntryKind` value.
    kind: Mapped[str] = mapped_column(String(16))
    #: Answers ``{"<page version id>:<field key>": value}`` as validated by the field types (draft/submit).
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author = relationship("User", lazy="joined")


class TaskFile(db.Model):
    """A photo or file uploaded to a stage (stored as a media file by the upload service)."""

    __tablename__ = "task_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("task_submission.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("assignment_stage.id", ondelete="CASCADE"))
    #: ``<page version id>:<field key>`` of the photo/file field, or "" for evidence of the stage itself.
    field: Mapped[str] = mapped_column(String(80), default="")
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    media_file = relationship("MediaFile", lazy="joined", innerjoin=True)


class PeerReview(db.Model):
    """互评分配: a classmate assigned (round-robin, never oneself) to evaluate a submission."""

    __tablename__ = "peer_review"
    __table_args__ = (UniqueConstraint("submission_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("task_assignment.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("task_submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


class Evaluation(db.Model):
    """多元评价: one party's evaluation of a submission on the assignment's rubric (one per evaluator)."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("submission_id", "party", "evaluator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("task_submission.id", ondelete="CASCADE"), index=True)
    #: A :class:`Party` value.
    party: Mapped[str] = mapped_column(String(16))
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Points per criterion ``{"<criterion id>": points}``.
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Sum of the points as a percentage of the rubric's maximum (0–100).
    percent: Mapped[float] = mapped_column(default=0.0)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    evaluator = relationship("User", lazy="joined")


class EvaluationFile(db.Model):
    """反馈附件: a file a grader (teacher or mentor) attaches to their evaluation — a marked-up photo of the work
    piece, a PDF of comments — seen by the student with the evaluation (like Moodle's feedback files)."""

    __tablename__ = "evaluation_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    #: The stored photo/document (sniffed, images EXIF-rotated and shrunk by the upload service).
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    media_file = relationship("MediaFile", lazy="joined", innerjoin=True)
