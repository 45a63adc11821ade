"""Course standards: reading trees, editing drafts, versions, hours checks and the review hooks.
Services flush; callers commit. YAML import/export lives in ``app/standards/yamlio.py``."""
from __future__ import annotations

import difflib

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.catalog.models import Profession, TrainingLevel
from app.core.sanitize import render_markdown
from app.errors import Conflict, ValidationError, get_or_raise
from app.extensions import db
from app.review import services as review
from app.review.models import ReviewState
from app.standards.models import (CourseStandard, IntegratedCourse, LearningTask, StandardSection,
                                  StandardVersion, TaskStage)
from app.standards.sections import DEFAULT_STAGES, SECTIONS

MAX_HOURS = 2000


# --- loading -------------------------------------------------------------------------------------------------

def get_standard(standard_id: int) -> CourseStandard:
    return get_or_raise(CourseStandard, standard_id, _("课程标准不存在。"))


def get_version(version_id: int) -> StandardVersion:
    return get_or_raise(StandardVersion, version_id, _("课程标准版本不存在。"))


def get_course(course_id: int) -> IntegratedCourse:
    return get_or_raise(IntegratedCourse, course_id, _("一体化课程不存在。"))


def get_task(task_id: int) -> LearningTask:
    return get_or_raise(LearningTask, task_id, _("学习任务不存在。"))


def find_standard(profession_id: int, level_id: int) -> CourseStandard | None:
    return db.session.scalar(select(CourseStandard).where(CourseStandard.profession_id == profession_id,
                                                          CourseStandard.training_level_id == level_id))


def tree_options(*, sections: bool = True):
    """Loader options that fetch a version's whole tree in a fixed number of statements."""
    tasks = selectinload(IntegratedCourse.tasks)
    options = [selectinload(StandardVersion.courses).options(
        tasks.selectinload(LearningTask.stages), tasks.selectinload(LearningTask.prerequisites))]
    if sections:
        options.append(selectinload(StandardVersion.sections))
    return options


def load_tree(version: StandardVersion) -> StandardVersion:
    """Return ``version`` with sections, courses, tasks, stages and prerequisites loaded (constant SQL)."""
    return load_trees([version.id])[0]


def load_trees(version_ids: list[int], *, sections: bool = True) -> list[StandardVersion]:
    if not version_ids:
        return []
    rows = db.session.scalars(select(StandardVersion).where(StandardVersion.id.in_(version_ids))
                              .options(*tree_options(sections=sections))
                              .execution_options(populate_existing=True))
    by_id = {v.id: v for v in rows}
    return [by_id[i] for i in version_ids if i in by_id]


def list_standards(profession_id: int | None = None):
    """Statement for the standards list (profession and level joined eagerly)."""
    stmt = (select(CourseStandard).join(CourseStandard.profession).join(CourseStandard.training_level)
            .order_by(Profession.name, TrainingLevel.position))
    if profession_id:
        stmt = stmt.where(CourseStandard.profession_id == profession_id)
    return stmt


def versions_of(standard: CourseStandard) -> list[StandardVersion]:
    return list(db.session.scalars(select(StandardVersion).where(StandardVersion.standard_id == standard.id)
                                   .order_by(StandardVersion.number.desc())))


def latest_version(standard: CourseStandard) -> StandardVersion | None:
    return db.session.scalar(select(StandardVersion).where(StandardVersion.standard_id == standard.id)
                             .order_by(StandardVersion.number.desc()).limit(1))


def open_version(standard: CourseStandard) -> StandardVersion | None:
    """The version being worked on (draft, submitted, returned or withdrawn), if any."""
    latest = latest_version(standard)
    if latest is not None and latest.review_state != ReviewState.approved.value:
        return latest
    return None


# --- versions ------------------------------------------------------------------------------------------------

def create_standard(profession: Profession, level: TrainingLevel, actor, *, title: str = "") -> StandardVersion:
    """Create the standard of ``profession`` at ``level`` with an empty draft version 1."""
    if level not in profession.levels:
        raise ValidationError(_("专业“%(p)s”没有“%(l)s”培养层级。", p=profession.name, l=level.name))
    if find_standard(profession.id, level.id) is not None:
        raise Conflict(_("该专业在此培养层级已有课程标准。"))
    standard = CourseStandard(profession=profession, training_level=level)
    db.session.add(standard)
    db.session.flush()
    version = StandardVersion(standard=standard, number=1, created_by_id=actor.id if actor else None,
                              title=title.strip() or _default_title(profession, level))
    for position, key in enumerate(SECTIONS):
        version.sections.append(StandardSection(key=key, position=position, source="", html=""))
    db.session.add(version)
    db.session.flush()
    return version


def _default_title(profession, level) -> str:
    return f"{profession.name}专业（{level.name}）工学一体化课程标准"


def new_draft(standard: CourseStandard, actor) -> StandardVersion:
    """Start a new version as a full copy of the current (approved) version. Only one open version at a time."""
    if open_version(standard) is not None:
        raise Conflict(_("已有尚未发布的版本，请先完成或撤回它。"))
    base = standard.current_version or latest_version(standard)
    if base is None:
        raise Conflict(_("该课程标准还没有任何版本。"))
    base = load_tree(base)
    version = StandardVersion(standard=standard, number=_next_number(standard), title=base.title, based_on_id=base.id,
                              created_by_id=actor.id if actor else None)
    db.session.add(version)
    for s in base.sections:
        version.sections.append(StandardSection(key=s.key, position=s.position, source=s.source, html=s.html))
    db.session.flush()
    copy_tree(base, version)
    version.fingerprint = base.fingerprint
    return version


def _next_number(standard: CourseStandard) -> int:
    return (db.session.scalar(select(func.max(StandardVersion.number))
                              .where(StandardVersion.standard_id == standard.id)) or 0) + 1


def copy_tree(base: StandardVersion, version: StandardVersion) -> None:
    """Copy courses, tasks, stages and prerequisites; copies keep the lineage of their originals."""
    new_tasks: dict[int, LearningTask] = {}
    for course in base.courses:
        copy = IntegratedCourse(version=version, code=course.code, name=course.name, hours=course.hours,
                                task_description=course.task_description, position=course.position,
                                lineage_id=course.lineage_id or course.id)
        for task in course.tasks:
            t = LearningTask(code=task.code, name=task.name, hours=task.hours, objectives=task.objectives,
                             position=task.position, lineage_id=task.lineage_id or task.id)
            t.stages = [TaskStage(key=s.key, name=s.name, position=s.position) for s in task.stages]
            copy.tasks.append(t)
            new_tasks[task.id] = t
        db.session.add(copy)
    db.session.flush()
    for course in base.courses:
        for task in course.tasks:
            new_tasks[task.id].prerequisites = [new_tasks[p.id] for p in task.prerequisites if p.id in new_tasks]
    db.session.flush()


def update_version(version: StandardVersion, *, title: str, change_note: str, sections: dict[str, str]) -> None:
    """Change a draft's title, change note and sections (Markdown; the sanitised HTML is stored)."""
    review.require_editable(version)
    version.title = title.strip()
    version.change_note = (change_note or "").strip()
    existing = {s.key: s for s in version.sections}
    for position, key in enumerate(SECTIONS):
        source = (sections.get(key) or "").strip()
        section = existing.get(key)
        if section is None:
            section = StandardSection(key=key, position=position)
            version.sections.append(section)
        if section.source != source or not section.html and source:
            section.source, section.html = source, render_markdown(source)
    version.fingerprint = ""
    db.session.flush()


def make_current(version: StandardVersion) -> None:
    """Review hook: an approved version becomes the one learners see."""
    version.standard.current_version_id = version.id
    db.session.flush()


def reset_current(standard: CourseStandard) -> None:
    """Review hook: after unpublishing, the newest remaining approved version (if any) becomes current."""
    standard.current_version_id = db.session.scalar(
        select(StandardVersion.id).where(StandardVersion.standard_id == standard.id,
                                         review.published(StandardVersion))
        .order_by(StandardVersion.number.desc()).limit(1))
    db.session.flush()


# --- tree editing --------------------------------------------------------------------------------------------

def _check_hours(hours) -> int:
    if not isinstance(hours, int) or isinstance(hours, bool) or not 0 < hours <= MAX_HOURS:
        raise ValidationError(_("学时必须是 1 到 %(n)s 之间的整数。", n=MAX_HOURS))
    return hours


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if not code or len(code) > 32:
        raise ValidationError(_("编号不能为空，且不超过 32 个字符。"))
    return code


def save_course(version: StandardVersion, course: IntegratedCourse | None, *, code: str, name: str, hours: int,
                task_description: str = "") -> IntegratedCourse:
    """Create or change an integrated course of a draft version."""
    review.require_editable(version)
    code = _check_code(code)
    clash = db.session.scalar(select(IntegratedCourse.id).where(IntegratedCourse.version_id == version.id,
                                                                IntegratedCourse.code == code))
    if clash and (course is None or clash != course.id):
        raise ValidationError(_("编号“%(code)s”已被本版本的其他课程使用。", code=code))
    if course is None:
        position = db.session.scalar(select(func.count()).where(IntegratedCourse.version_id == version.id)) or 0
        course = IntegratedCourse(version=version, position=position)
        db.session.add(course)
    course.code, course.name, course.hours = code, name.strip(), _check_hours(hours)
    course.task_description = (task_description or "").strip()
    db.session.flush()
    if course.lineage_id is None:
        course.lineage_id = course.id
    version.fingerprint = ""
    return course


def delete_course(course: IntegratedCourse) -> None:
    review.require_editable(course.version)
    course.version.fingerprint = ""
    db.session.delete(course)
    db.session.flush()


def parse_stages(text: str, existing: list[TaskStage] | None = None) -> list[tuple[str, str]]:
    """Stages from a textarea, one per line. A default stage name keeps its key (inform ...), a name the task
    already had keeps that stage's key (links to it survive reordering), a new name gets an unused stage-N."""
    by_name = {name: key for key, name in DEFAULT_STAGES.items()}
    by_name.update({s.name: s.key for s in existing or []})
    names = []
    for line in (text or "").splitlines():
        name = line.strip()
        if not name:
            continue
        if len(name) > 100:
            raise ValidationError(_("环节名称不能超过 100 个字符。"))
        if name in names:
            raise ValidationError(_("环节“%(name)s”重复。", name=name))
        names.append(name)
    if not names:
        return list(DEFAULT_STAGES.items())
    used = {by_name[n] for n in names if n in by_name}
    out, counter = [], 0
    for name in names:
        key = by_name.get(name)
        if key is None:
            counter += 1
            while f"stage-{counter}" in used:
                counter += 1
            key = f"stage-{counter}"
            used.add(key)
        out.append((key, name))
    return out


def save_task(course: IntegratedCourse, task: LearningTask | None, *, code: str, name: str, hours: int,
              objectives: str = "", stages: list[tuple[str, str]] | None = None,
              prerequisite_codes: list[str] | None = None) -> LearningTask:
    """Create or change a learning task of a draft version, with its stages and prerequisites."""
    version = course.version
    review.require_editable(version)
    code = _check_code(code)
    tasks = {t.code: t for t in db.session.scalars(
        select(LearningTask).join(LearningTask.course).where(IntegratedCourse.version_id == version.id))}
    if code in tasks and (task is None or tasks[code].id != task.id):
        raise ValidationError(_("编号“%(code)s”已被本版本的其他学习任务使用。", code=code))
    if task is None:
        task = LearningTask(course=course, position=len(course.tasks))
        db.session.add(task)
    task.code, task.name, task.hours = code, name.strip(), _check_hours(hours)
    task.objectives = (objectives or "").strip()
    wanted = stages or list(DEFAULT_STAGES.items())
    current = {s.key: s for s in task.stages}
    task.stages = [_stage(current.get(key), key, label, position) for position, (key, label) in enumerate(wanted)]
    db.session.flush()
    if task.lineage_id is None:
        task.lineage_id = task.id
    prerequisites = []
    for pcode in prerequisite_codes or []:
        pcode = pcode.strip()
        if not pcode:
            continue
        if pcode not in tasks or pcode == code:
            raise ValidationError(_("先修任务“%(code)s”不存在。", code=pcode))
        if tasks[pcode] not in prerequisites:  # a code named twice is one link (the pair is unique in the table)
            prerequisites.append(tasks[pcode])
    task.prerequisites = prerequisites
    graph = {t.code: [p.code for p in t.prerequisites] for t in tasks.values() if t is not task}
    graph[code] = [p.code for p in prerequisites]
    loop = find_loop(graph)
    if loop:
        raise ValidationError(_("先修关系形成了循环：%(loop)s", loop=" → ".join(loop)))
    version.fingerprint = ""
    db.session.flush()
    return task


def _stage(existing: TaskStage | None, key: str, name: str, position: int) -> TaskStage:
    stage = existing or TaskStage(key=key)
    stage.name, stage.position = name, position
    return stage


def delete_task(task: LearningTask) -> None:
    review.require_editable(task.course.version)
    task.course.version.fingerprint = ""
    db.session.delete(task)
    db.session.flush()


def find_loop(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in ``code -> prerequisite codes`` as a list of codes (first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


# --- checks and summaries ------------------------------------------------------------------------------------

def total_hours(version: StandardVersion) -> int:
    return sum(c.hours for c in version.courses)


def hours_warnings(version: StandardVersion) -> list[str]:
    """One message per course whose learning tasks' hours do not add up to the course's hours."""
    warnings = []
    for course in version.courses:
        diff = course.hours_difference
        if not course.tasks:
            warnings.append(_("课程“%(name)s”还没有学习任务（课程 %(h)s 学时）。", name=course.name, h=course.hours))
        elif diff > 0:
            warnings.append(_("课程“%(name)s”的学习任务合计 %(t)s 学时，比课程学时 %(h)s 多 %(d)s 学时。",
                              name=course.name, t=course.tasks_hours, h=course.hours, d=diff))
        elif diff < 0:
            warnings.append(_("课程“%(name)s”的学习任务合计 %(t)s 学时，比课程学时 %(h)s 少 %(d)s 学时。",
                              name=course.name, t=course.tasks_hours, h=course.hours, d=-diff))
    return warnings


# --- review diff ---------------------------------------------------------------------------------------------

def prefetch_for_diff(versions: list[StandardVersion]) -> None:
    """Load the trees of the submitted versions and of their bases in a fixed number of statements."""
    ids = {v.id for v in versions} | {v.based_on_id for v in versions if v.based_on_id}
    loaded = {v.id: v for v in load_trees(sorted(ids))}
    for v in versions:
        # Kept on the object (not in a cache) so it lives exactly as long as this request's objects.
        v._diff_base = loaded.get(v.based_on_id)
        v._diff_prefetched = True


def version_diff_html(version: StandardVersion) -> Markup:
    """What changed against the version it was based on, as an escaped unified diff of the YAML form."""
    from app.standards.yamlio import dump_version

    if getattr(version, "_diff_prefetched", False):
        new, old = version, version._diff_base
    else:
        new = load_tree(version)
        old = load_tree(get_version(version.based_on_id)) if version.based_on_id else None
    new_text = dump_version(new).splitlines()
    old_text = dump_version(old).splitlines() if old is not None else []
    lines = list(difflib.unified_diff(old_text, new_text, lineterm="", n=2))[2:]
    note = escape(version.change_note) if version.change_note else ""
    if not lines:
        return Markup("<p>{}</p><p class='text-body-secondary mb-0'>{}</p>").format(
            note, _("与上一版本相比没有内容变化。"))
    rendered = Markup("\n").join(_diff_line(line) for line in lines[:400])
    return Markup("<p>{}</p><pre class='review-pre small'>{}</pre>").format(note, rendered)


def _diff_line(line: str) -> Markup:
    css = {"+": "diff-add", "-": "diff-del", "@": "diff-hunk"}.get(line[:1], "")
    return Markup('<span class="{}">{}</span>').format(css, line)
