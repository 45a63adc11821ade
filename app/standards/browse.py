"""Reading the published resource package of a profession: standard tree, resources, coverage, search.
Every function here uses a fixed number of SQL statements whatever the size of the tree."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import lazyload

from app.catalog.models import Profession, TrainingLevel
from app.core.i18n import by_pinyin
from app.extensions import db
from app.standards import resources
from app.standards.models import CourseStandard, IntegratedCourse, LearningTask, StandardVersion


@dataclass
class Package:
    """What the profession page shows."""

    profession: Profession
    standards: list[CourseStandard]
    standard: CourseStandard | None = None
    #: The current version's tree (:class:`TreeView`, read-only rows).
    version: "TreeView | None" = None
    resources: dict[int, list] = field(default_factory=dict)
    kind: str = ""

    @property
    def tasks(self) -> list[LearningTask]:
        return [t for c in self.version.courses for t in c.tasks] if self.version else []

    @property
    def total_hours(self) -> int:
        return sum(c.hours for c in self.version.courses) if self.version else 0


def published_standards(profession: Profession) -> list[CourseStandard]:
    """The profession's standards that have an approved current version, by training level."""
    # The caller has the profession: not joining it again also spares the selectin of its levels.
    return list(db.session.scalars(
        select(CourseStandard).join(CourseStandard.training_level)
        .where(CourseStandard.profession_id == profession.id, CourseStandard.current_version_id.is_not(None))
        .options(lazyload(CourseStandard.profession))
        .order_by(TrainingLevel.position)))


def package(profession: Profession, *, level_id: int | None = None, kind: str = "") -> Package:
    """The approved standard of ``profession`` at ``level_id`` (default: the lowest level that has one), its tree,
    and the approved resources of each learning task (only ``kind`` when given)."""
    standards = published_standards(profession)
    pkg = Package(profession=profession, standards=standards, kind=kind)
    if not standards:
        return pkg
    pkg.standard = next((s for s in standards if s.training_level_id == level_id), standards[0])
    pkg.version = tree_view(pkg.standard.current_version)
    pkg.resources = resources.resources_for_tasks(pkg.tasks, [kind] if kind else None)
    return pkg


# --- a read-only tree for the resource package -----------------------------------------------------------------
# The package page shows a whole published standard (30 courses, 300 tasks, 1,800 stages at full scale). Building
# ORM objects for that costs more than the rest of the page's data together; these plain rows have the attributes
# the templates read (standards/_tree.html, coverage.html) and come from four statements.

@dataclass
class StageView:
    key: str
    name: str


@dataclass
class TaskView:
    id: int
    lineage_id: int | None
    code: str
    name: str
    hours: int
    objectives: str
    stages: list[StageView] = field(default_factory=list)
    #: Prerequisite tasks, only their codes are shown.
    prerequisites: list = field(default_factory=list)

    @property
    def objective_lines(self) -> list[str]:
        return [line.strip() for line in (self.objectives or "").splitlines() if line.strip()]


@dataclass
class CourseView:
    id: int
    code: str
    name: str
    hours: int
    task_description: str
    tasks: list[TaskView] = field(default_factory=list)

    @property
    def tasks_hours(self) -> int:
        return sum(t.hours for t in self.tasks)

    @property
    def hours_difference(self) -> int:
        return self.tasks_hours - self.hours


@dataclass
class TreeView:
    id: int
    number: int
    title: str
    courses: list[CourseView] = field(default_factory=list)


@dataclass
class _Code:
    code: str


def tree_view(version: StandardVersion) -> TreeView:
    """The course tree of ``version`` as plain rows (courses, tasks, stages, prerequisites: four statements)."""
    from app.standards.models import TaskStage, learning_task_prerequisite

    tree = TreeView(version.id, version.number, version.title)
    courses = {}
    for row in db.session.execute(select(IntegratedCourse.id, IntegratedCourse.code, IntegratedCourse.name,
                                         IntegratedCourse.hours, IntegratedCourse.task_description)
                                  .where(IntegratedCourse.version_id == version.id)
                                  .order_by(IntegratedCourse.position, IntegratedCourse.id)):
        courses[row.id] = CourseView(row.id, row.code, row.name, row.hours, row.task_description or "")
        tree.courses.append(courses[row.id])
    tasks = {}
    in_version = select(IntegratedCourse.id).where(IntegratedCourse.version_id == version.id)
    for row in db.session.execute(select(LearningTask.id, LearningTask.course_id, LearningTask.lineage_id,
                                         LearningTask.code, LearningTask.name, LearningTask.hours,
                                         LearningTask.objectives)
                                  .where(LearningTask.course_id.in_(in_version))
                                  .order_by(LearningTask.course_id, LearningTask.position, LearningTask.id)):
        tasks[row.id] = TaskView(row.id, row.lineage_id, row.code, row.name, row.hours, row.objectives)
        courses[row.course_id].tasks.append(tasks[row.id])
    task_ids = select(LearningTask.id).where(LearningTask.course_id.in_(in_version))
    for task_id, key, name in db.session.execute(
            select(TaskStage.task_id, TaskStage.key, TaskStage.name).where(TaskStage.task_id.in_(task_ids))
            .order_by(TaskStage.task_id, TaskStage.position)):
        tasks[task_id].stages.append(StageView(key, name))
    link = learning_task_prerequisite
    for task_id, code in db.session.execute(
            select(link.c.task_id, LearningTask.code).join(LearningTask, LearningTask.id == link.c.requires_id)
            .where(link.c.task_id.in_(task_ids)).order_by(link.c.task_id, LearningTask.code)):
        if task_id in tasks:
            tasks[task_id].prerequisites.append(_Code(code))
    return tree


def coverage_rows(pkg: Package) -> list[tuple[IntegratedCourse, LearningTask, dict[str, int]]]:
    cover = resources.coverage(pkg.tasks, pkg.resources)
    return [(c, t, cover[t.id]) for c in pkg.version.courses for t in c.tasks] if pkg.version else []


@dataclass
class Hit:
    task: LearningTask
    matched_task: bool
    links: list


def _current_tasks(*, profession_id=None, field_id=None, level_id=None):
    """Statement over learning tasks of current approved standards, with the browse filters applied."""
    stmt = (select(LearningTask).join(LearningTask.course).join(IntegratedCourse.version)
            .join(CourseStandard, CourseStandard.current_version_id == StandardVersion.id)
            .join(Profession, Profession.id == CourseStandard.profession_id))
    if profession_id:
        stmt = stmt.where(CourseStandard.profession_id == profession_id)
    if field_id:
        stmt = stmt.where(Profession.field_id == field_id)
    if level_id:
        stmt = stmt.where(CourseStandard.training_level_id == level_id)
    return stmt


def search(q: str, *, profession_id: int | None = None, field_id: int | None = None, level_id: int | None = None,
           kind: str = "", limit: int = 200) -> list[Hit]:
    """Learning tasks of current approved standards whose code, name, objectives or course name contain ``q``,
    and tasks with approved resources whose title or text matches (asked of the providers), filtered by
    profession, industry field, training level and resource kind. A fixed number of statements."""
    q = (q or "").strip()
    if not q:
        return []
    filters = dict(profession_id=profession_id, field_id=field_id, level_id=level_id)
    matched: list[LearningTask] = []
    if not kind:  # a kind filter asks for resources of that kind, not for tasks
        matched = list(db.session.scalars(
            _current_tasks(**filters).where(or_(
                LearningTask.name.icontains(q, autoescape=True), LearningTask.objectives.icontains(q, autoescape=True),
                LearningTask.code.icontains(q, autoescape=True), IntegratedCourse.name.icontains(q, autoescape=True)))
            .order_by(Profession.name, CourseStandard.training_level_id, IntegratedCourse.position,
                      LearningTask.position).limit(limit)))
    # Providers search among every current task in scope; only ids travel, not task rows.
    scope = db.session.execute(_current_tasks(**filters).with_only_columns(LearningTask.id, LearningTask.lineage_id)
                               ).all()
    found = resources.search_resources(q, scope, [kind] if kind else None)
    found = {tid: links for tid, links in found.items() if links}
    extra_ids = [tid for tid in found if tid not in {t.id for t in matched}][:limit]
    extra = list(db.session.scalars(select(LearningTask).where(LearningTask.id.in_(extra_ids)))) if extra_ids else []
    tasks = matched + extra
    _load_context(tasks)
    matched_ids = {t.id for t in matched}
    return [Hit(t, t.id in matched_ids, found.get(t.id, [])) for t in tasks][:limit]


def _load_context(tasks: list[LearningTask]) -> None:
    """Load the courses, versions and standards the results show (three statements)."""
    course_ids = {t.course_id for t in tasks}
    if not course_ids:
        return
    courses = {c.id: c for c in db.session.scalars(select(IntegratedCourse)
                                                    .where(IntegratedCourse.id.in_(course_ids)))}
    version_ids = {c.version_id for c in courses.values()}
    versions = {v.id: v for v in db.session.scalars(select(StandardVersion).where(StandardVersion.id.in_(version_ids)))}
    from sqlalchemy.orm.attributes import set_committed_value

    for c in courses.values():
        set_committed_value(c, "version", versions[c.version_id])
    for t in tasks:
        set_committed_value(t, "course", courses[t.course_id])


def task_options(profession_id: int | None = None) -> list[tuple[int, str]]:
    """(learning task id, label) of current approved standards, for other domains' link forms."""
    stmt = (select(LearningTask.id, LearningTask.code, LearningTask.name, Profession.name, TrainingLevel.name)
            .join(LearningTask.course).join(IntegratedCourse.version)
            .join(CourseStandard, CourseStandard.current_version_id == StandardVersion.id)
            .join(Profession, Profession.id == CourseStandard.profession_id)
            .join(TrainingLevel, TrainingLevel.id == CourseStandard.training_level_id)
            .order_by(Profession.name, TrainingLevel.position, IntegratedCourse.position, LearningTask.position))
    if profession_id:
        stmt = stmt.where(CourseStandard.profession_id == profession_id)
    # Professions by pinyin; within one, the SQL order (level, course, task) stays (the sort is stable).
    rows = by_pinyin(db.session.execute(stmt), key=lambda row: row[3])
    return [(tid, f"{pname}·{lname} {code} {name}") for tid, code, name, pname, lname in rows]


