"""Course standards: ``CourseStandard`` -> ``StandardVersion`` (reviewed) -> ``StandardSection`` and the tree
``IntegratedCourse`` -> ``LearningTask`` -> ``TaskStage``.

Every version owns a full copy of its tree, so an approved version never changes. Rows copied from an earlier
version keep that row's ``lineage_id``: resources linked to a learning task of an older version are still found
from the corresponding task of the current version (see ``app/standards/resources.py``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import utcnow
from app.extensions import db
from app.review.models import Reviewable


class CourseStandard(db.Model):
    """课程标准 of one profession at one training level; points at its current approved version."""

    __tablename__ = "course_standard"
    __table_args__ = (UniqueConstraint("profession_id", "training_level_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profession_id: Mapped[int] = mapped_column(ForeignKey("profession.id", ondelete="CASCADE"), index=True)
    training_level_id: Mapped[int] = mapped_column(ForeignKey("training_level.id"))
    #: The approved version learners see; NULL until a first version is approved.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("standard_version.id", use_alter=True, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    profession = relationship("Profession", lazy="joined", innerjoin=True)
    training_level = relationship("TrainingLevel", lazy="joined", innerjoin=True)
    current_version: Mapped["StandardVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="select")
    versions: Mapped[list["StandardVersion"]] = relationship(
        back_populates="standard", foreign_keys="StandardVersion.standard_id", order_by="StandardVersion.number",
        lazy="select", passive_deletes=True)

    @property
    def title(self) -> str:
        return f"{self.profession.name}（{self.training_level.name}）"


class StandardVersion(Reviewable, db.Model):
    """One version of a standard (版本): its sections and course tree. Reviewed before it becomes current."""

    __tablename__ = "standard_version"
    __table_args__ = (UniqueConstraint("standard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("course_standard.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3 ... within the standard.
    number: Mapped[int]
    #: Title as printed, e.g. 汽车维修专业（中级技能）工学一体化课程标准.
    title: Mapped[str] = mapped_column(String(200))
    #: What changed compared with the version it was copied from (修订说明).
    change_note: Mapped[str] = mapped_column(Text, default="")
    #: The version this one was copied from (NULL for a first version or an import).
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("standard_version.id", ondelete="SET NULL"))
    #: SHA-256 of the canonical YAML form; importing identical content twice creates no new version.
    fingerprint: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    standard: Mapped[CourseStandard] = relationship(back_populates="versions", foreign_keys=[standard_id],
                                                    lazy="joined", innerjoin=True)
    sections: Mapped[list["StandardSection"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="StandardSection.position",
        lazy="select")
    courses: Mapped[list["IntegratedCourse"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="IntegratedCourse.position",
        lazy="select")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="select")

    def section(self, key: str) -> "StandardSection | None":
        return next((s for s in self.sections if s.key == key), None)


class StandardSection(db.Model):
    """A rich-text section (培养目标, 课程安排, 课程规范, 实施建议, 考核与评价): Markdown source and its sanitised HTML."""

    __tablename__ = "standard_section"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("standard_version.id", ondelete="CASCADE"))
    #: A key of ``app.standards.sections.SECTIONS`` (objectives, arrangement, norms, suggestions, assessment).
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)
    #: Markdown as written.
    source: Mapped[str] = mapped_column(Text, default="")
    #: ``core.sanitize.render_markdown(source)``, stored so that reading never sanitises again.
    html: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[StandardVersion] = relationship(back_populates="sections")


class IntegratedCourse(db.Model):
    """一体化课程: one per enterprise typical work task (典型工作任务)."""

    __tablename__ = "integrated_course"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("standard_version.id", ondelete="CASCADE"), index=True)
    #: Stable identity across versions: the id of the first row of this course's line of copies.
    lineage_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: Short code unique within the version (e.g. C1); used in YAML and in prerequisites.
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    #: 学时 of the whole course; the learning tasks' hours should add up to it.
    hours: Mapped[int] = mapped_column(default=0)
    #: The enterprise typical work task this course is built on (典型工作任务描述), plain text.
    task_description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    version: Mapped[StandardVersion] = relationship(back_populates="courses")
    tasks: Mapped[list["LearningTask"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="LearningTask.position", lazy="select")

    @property
    def tasks_hours(self) -> int:
        return sum(t.hours for t in self.tasks)

    @property
    def hours_difference(self) -> int:
        """Tasks' hours minus the course's hours (0 when they add up)."""
        return self.tasks_hours - self.hours


learning_task_prerequisite = Table(
    "learning_task_prerequisite",
    db.metadata,
    Column("task_id", ForeignKey("learning_task.id", ondelete="CASCADE"), primary_key=True),
    Column("requires_id", ForeignKey("learning_task.id", ondelete="CASCADE"), primary_key=True),
)


class LearningTask(db.Model):
    """学习任务 of an integrated course, with its hours, objectives and stages."""

    __tablename__ = "learning_task"
    __table_args__ = (UniqueConstraint("course_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("integrated_course.id", ondelete="CASCADE"), index=True)
    #: Stable identity across versions (see the module docstring). Resources may link to any row of a lineage.
    lineage_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: Code unique within the version (e.g. C1-T2).
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    hours: Mapped[int] = mapped_column(default=0)
    #: 学习目标, plain text (one objective per line).
    objectives: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    course: Mapped[IntegratedCourse] = relationship(back_populates="tasks")
    stages: Mapped[list["TaskStage"]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskStage.position", lazy="select")
    #: Learning tasks (of the same version) to complete first.
    prerequisites: Mapped[list["LearningTask"]] = relationship(
        secondary=learning_task_prerequisite, primaryjoin=lambda: LearningTask.id == learning_task_prerequisite.c.task_id,
        secondaryjoin=lambda: LearningTask.id == learning_task_prerequisite.c.requires_id, lazy="select",
        order_by=lambda: LearningTask.code)

    @property
    def objective_lines(self) -> list[str]:
        return [line.strip() for line in self.objectives.splitlines() if line.strip()]


class TaskStage(db.Model):
    """学习环节 / 工作步骤 of a learning task; defaults to the 六步法 (inform ... evaluate)."""

    __tablename__ = "task_stage"
    __table_args__ = (UniqueConstraint("task_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("learning_task.id", ondelete="CASCADE"), index=True)
    #: ``inform``, ``plan``, ``decide``, ``implement``, ``check``, ``evaluate`` or a custom key (``stage-7``);
    #: stable across versions, so workbook pages can link to (learning task, stage key).
    key: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)

    task: Mapped[LearningTask] = relationship(back_populates="stages")


from app.standards import reviewing  # noqa: E402  (registration needs the classes above)

reviewing.register()
