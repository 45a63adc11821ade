"""YAML import and export of course standards (``flask standards import/export`` and the content section
``course_standards``). One format for both::

    course_standards:
      - profession: auto-repair          # profession key
        level: intermediate              # training level key
        title: 汽车维修专业（中级技能）工学一体化课程标准
        change_note: 首次发布            # optional
        hours: 360                       # optional: the courses' hours must add up to it
        sections: {objectives: "Markdown", arrangement: ..., norms: ..., suggestions: ..., assessment: ...}
        courses:
          - code: C1
            name: 汽车日常维护
            hours: 120
            task_description: 典型工作任务描述（纯文本）
            tasks:
              - code: C1-T1
                name: 车辆首次保养
                hours: 40
                objectives: "一行一个学习目标"
                requires: [C1-T0]        # optional prerequisites (codes within the standard)
                stages: [inform, plan, {key: practice, name: 现场实训}]   # optional; default 六步法

Everything is validated before anything is written; errors name the path in the file (``courses[2].tasks[0].hours``)
and, where known, the line. Importing content identical to the latest version changes nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import yaml
from flask_babel import gettext as _
from sqlalchemy import select

from app.catalog.models import Profession, TrainingLevel
from app.core.sanitize import render_markdown
from app.extensions import db
from app.review import services as review
from app.review.models import ReviewState
from app.standards import services
from app.standards.models import (CourseStandard, IntegratedCourse, LearningTask, StandardSection,
                                  StandardVersion, TaskStage)
from app.standards.sections import DEFAULT_STAGES, SECTIONS

MAX_ERRORS = 50


class StandardImportError(Exception):
    """All problems found in a standard file, each ``path（第 N 行）：message`` in the request's language."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


class _Checker:
    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.errors: list[str] = []

    def add(self, path: str, message: str, node=None) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(located(f"{self.prefix}{path}", getattr(node, "line", None), message))

    def text(self, node, name: str, path: str, *, required: bool = True, max_len: int | None = None) -> str:
        value = node.get(name) if isinstance(node, dict) else None
        if value is None or value == "":
            if required:
                self.add(f"{path}.{name}" if path else name, _("必须填写"), node)
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.add(f"{path}.{name}" if path else name, _("必须是文字"), node)
            return ""
        value = value.strip()
        if max_len and len(value) > max_len:
            self.add(f"{path}.{name}" if path else name, _("超过 %(max)d 个字符", max=max_len), node)
        return value

    def hours(self, node, path: str) -> int:
        value = node.get("hours")
        if value is None:
            self.add(f"{path}.hours" if path else "hours", _("必须填写"), node)
            return 0
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= services.MAX_HOURS:
            self.add(f"{path}.hours" if path else "hours",
                     _("学时必须是 1 到 %(max)d 之间的整数，实际为 %(value)s", max=services.MAX_HOURS,
                       value=repr(value)), node)
            return 0
        return value


def validate(data, *, prefix: str = "", lenient_hours: bool = False) -> dict:
    """Check one standard mapping; return it normalised (the canonical form) or raise StandardImportError."""
    chk = _Checker(prefix)
    if not isinstance(data, dict):
        raise StandardImportError([located(prefix.rstrip(".") or _("课程标准"), None, _("必须是映射（键: 值）"))])
    out = {"profession": chk.text(data, "profession", ""), "level": chk.text(data, "level", ""),
           "title": chk.text(data, "title", "", max_len=200)}
    profession = db.session.scalar(select(Profession).where(Profession.key == out["profession"])) \
        if out["profession"] else None
    level = db.session.scalar(select(TrainingLevel).where(TrainingLevel.key == out["level"])) if out["level"] else None
    if out["profession"] and profession is None:
        chk.add("profession", _("未知的专业“%(key)s”", key=out["profession"]), data)
    if out["level"] and level is None:
        chk.add("level", _("未知的培养层级“%(key)s”", key=out["level"]), data)
    if profession is not None and level is not None and level not in profession.levels:
        chk.add("level", _("专业“%(profession)s”不开设培养层级“%(level)s”", profession=profession.key, level=level.key),
                data)
    out["change_note"] = chk.text(data, "change_note", "", required=False)
    out["sections"] = _sections(chk, data.get("sections"))
    courses = data.get("courses")
    if not isinstance(courses, list) or not courses:
        chk.add("courses", _("课程标准至少需要一门一体化课程（列表）"), data)
        courses = []
    out["courses"] = []
    course_codes: set[str] = set()
    task_paths: dict[str, str] = {}
    for i, course in enumerate(courses):
        out["courses"].append(_course(chk, course, f"courses[{i}]", course_codes, task_paths, lenient_hours))
    _prerequisites(chk, out["courses"], task_paths)
    if data.get("hours") is not None:
        total = chk.hours(data, "")
        actual = sum(c["hours"] for c in out["courses"])
        if total and actual != total:
            chk.add("hours", _courses_gap(actual, total), data)
    if chk.errors:
        raise StandardImportError(chk.errors)
    out["_profession"], out["_level"] = profession, level
    return out


def located(where: str, line: int | None, message: str) -> str:
    """One error line: where in the file (a path such as ``courses[1].hours``), the line if known, the problem."""
    if line:
        return _("%(where)s（第 %(line)d 行）：%(message)s", where=where, line=line, message=message)
    return _("%(where)s：%(message)s", where=where, message=message)


def _courses_gap(actual: int, stated: int) -> str:
    """The courses' hours against the standard's stated total (two sentences: Chinese says 多/少 by how much)."""
    values = {"sum": actual, "stated": stated, "diff": abs(actual - stated)}
    if actual > stated:
        return _("各课程合计 %(sum)d 学时，比标明的 %(stated)d 学时多 %(diff)d 学时", **values)
    return _("各课程合计 %(sum)d 学时，比标明的 %(stated)d 学时少 %(diff)d 学时", **values)


def _tasks_gap(actual: int, course_hours: int) -> str:
    """A course's learning tasks' hours against the course's hours."""
    values = {"sum": actual, "stated": course_hours, "diff": abs(actual - course_hours)}
    if actual > course_hours:
        return _("学习任务合计 %(sum)d 学时，比课程学时 %(stated)d 多 %(diff)d 学时", **values)
    return _("学习任务合计 %(sum)d 学时，比课程学时 %(stated)d 少 %(diff)d 学时", **values)


def _sections(chk: _Checker, node) -> dict[str, str]:
    if node is None:
        return {key: "" for key in SECTIONS}
    if not isinstance(node, dict):
        chk.add("sections", _("必须是由章节键到 Markdown 文本的映射"), node)
        return {}
    for key in node:
        if key not in SECTIONS:
            chk.add(f"sections.{key}", _("未知的章节（可用：%(known)s）", known=", ".join(SECTIONS)), node)
    return {key: chk.text(node, key, "sections", required=False) for key in SECTIONS}


def _course(chk, node, path, codes, task_paths, lenient_hours) -> dict:
    if not isinstance(node, dict):
        chk.add(path, _("必须是映射（键: 值）"))
        return {"code": "", "name": "", "hours": 0, "task_description": "", "tasks": []}
    course = {"code": chk.text(node, "code", path, max_len=32), "name": chk.text(node, "name", path, max_len=200),
              "hours": chk.hours(node, path),
              "task_description": chk.text(node, "task_description", path, required=False)}
    if course["code"] and course["code"] in codes:  # a missing code is reported once, as missing
        chk.add(f"{path}.code", _("课程代码“%(code)s”重复", code=course["code"]), node)
    codes.add(course["code"])
    tasks = node.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        chk.add(f"{path}.tasks", _("缺少学习任务：每门课程至少需要一个学习任务（列表）"), node)
        tasks = []
    course["tasks"] = [_task(chk, t, f"{path}.tasks[{j}]", task_paths) for j, t in enumerate(tasks)]
    if course["hours"] and all(t["hours"] for t in course["tasks"]) and course["tasks"]:
        total = sum(t["hours"] for t in course["tasks"])
        if total != course["hours"] and not lenient_hours:
            chk.add(f"{path}.hours", _tasks_gap(total, course["hours"]), node)
    return course


def _task(chk, node, path, task_paths) -> dict:
    if not isinstance(node, dict):
        chk.add(path, _("必须是映射（键: 值）"))
        return {"code": "", "name": "", "hours": 0, "objectives": "", "requires": [], "stages": []}
    task = {"code": chk.text(node, "code", path, max_len=32), "name": chk.text(node, "name", path, max_len=200),
            "hours": chk.hours(node, path), "objectives": chk.text(node, "objectives", path, required=False)}
    if task["code"] in task_paths:
        chk.add(f"{path}.code", _("学习任务代码“%(code)s”重复（另见 %(other)s）", code=task["code"],
                                  other=chk.prefix + task_paths[task["code"]]), node)
    elif task["code"]:
        task_paths[task["code"]] = path
    requires = node.get("requires") or []
    if isinstance(requires, str):
        requires = [requires]
    if not isinstance(requires, list):
        chk.add(f"{path}.requires", _("必须是学习任务代码的列表"), node)
        requires = []
    # A code listed twice is one prerequisite: the link table holds each pair once (a duplicate made the write fail).
    task["requires"] = list(dict.fromkeys(str(r).strip() for r in requires))
    task["_path"], task["_node"] = path, node
    task["stages"] = _stages(chk, node.get("stages"), f"{path}.stages", node)
    return task


def _stages(chk, node, path, parent) -> list[dict]:
    if node is None:
        return [{"key": k, "name": n} for k, n in DEFAULT_STAGES.items()]
    if not isinstance(node, list) or not node:
        chk.add(path, _("必须是非空列表，每项为学习环节键或 {key, name} 映射"), parent)
        return []
    out, seen = [], set()
    for i, item in enumerate(node):
        if isinstance(item, str) and item in DEFAULT_STAGES:
            stage = {"key": item, "name": DEFAULT_STAGES[item]}
        elif isinstance(item, dict):
            stage = {"key": chk.text(item, "key", f"{path}[{i}]", max_len=32),
                     "name": chk.text(item, "name", f"{path}[{i}]", max_len=100)}
        else:
            chk.add(f"{path}[{i}]", _("未知的学习环节 %(stage)s（可用 %(known)s，或 {key, name} 映射）",
                                      stage=repr(item), known=", ".join(DEFAULT_STAGES)), parent)
            continue
        if stage["key"] in seen:
            chk.add(f"{path}[{i}]", _("学习环节“%(key)s”重复", key=stage["key"]), parent)
        seen.add(stage["key"])
        out.append(stage)
    return out


def _prerequisites(chk, courses, task_paths) -> None:
    graph = {}
    for course in courses:
        for task in course["tasks"]:
            for j, code in enumerate(task["requires"]):
                if code not in task_paths:
                    chk.add(f"{task['_path']}.requires[{j}]", _("缺少学习任务“%(code)s”：本标准中没有这个代码", code=code),
                            task["_node"])
                elif code == task["code"]:
                    chk.add(f"{task['_path']}.requires[{j}]", _("学习任务不能以自身为前置任务"), task["_node"])
            if task["code"]:
                graph[task["code"]] = [c for c in task["requires"] if c in task_paths and c != task["code"]]
    loop = services.find_loop(graph)
    if loop:
        first = loop[0]
        chk.add(f"{task_paths[first]}.requires", _("前置任务形成循环：%(loop)s", loop=" -> ".join(loop)))


# --- canonical form, fingerprint, export ---------------------------------------------------------------------

def canonical(data: dict) -> dict:
    """The content of a validated standard without bookkeeping (used for fingerprints and export)."""
    def task(t):
        out = {"code": t["code"], "name": t["name"], "hours": t["hours"]}
        if t["objectives"]:
            out["objectives"] = t["objectives"]
        if t["requires"]:
            out["requires"] = list(t["requires"])
        default = [{"key": k, "name": n} for k, n in DEFAULT_STAGES.items()]
        if t["stages"] != default:
            out["stages"] = [s["key"] if DEFAULT_STAGES.get(s["key"]) == s["name"] else dict(s) for s in t["stages"]]
        return out

    def course(c):
        out = {"code": c["code"], "name": c["name"], "hours": c["hours"]}
        if c["task_description"]:
            out["task_description"] = c["task_description"]
        out["tasks"] = [task(t) for t in c["tasks"]]
        return out

    return {"profession": data["profession"], "level": data["level"], "title": data["title"],
            "sections": {k: v for k, v in data["sections"].items() if v},
            "courses": [course(c) for c in data["courses"]]}


def fingerprint(data: dict) -> str:
    blob = json.dumps(canonical(data), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def version_data(version: StandardVersion) -> dict:
    """A loaded version in the validated-data shape."""
    standard = version.standard
    return {
        "profession": standard.profession.key, "level": standard.training_level.key, "title": version.title,
        "change_note": version.change_note,
        "sections": {key: (version.section(key).source if version.section(key) else "") for key in SECTIONS},
        "courses": [{"code": c.code, "name": c.name, "hours": c.hours, "task_description": c.task_description,
                     "tasks": [{"code": t.code, "name": t.name, "hours": t.hours, "objectives": t.objectives,
                                "requires": [p.code for p in t.prerequisites],
                                "stages": [{"key": s.key, "name": s.name} for s in t.stages]}
                               for t in c.tasks]} for c in version.courses],
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_version(version: StandardVersion) -> str:
    """The version as a YAML ``course_standards`` document (loaded tree expected)."""
    data = canonical(version_data(version))
    if version.change_note:
        data = {**data, "change_note": version.change_note}
    return yaml.dump({"course_standards": [data]}, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=110)


# --- import --------------------------------------------------------------------------------------------------

def import_standard(data: dict, actor=None) -> tuple[StandardVersion, bool]:
    """Write one validated standard (see :func:`validate`). Returns (version, changed).

    Identical to the latest version: nothing changes. Latest version still editable: it is rewritten in place.
    Latest version submitted: Conflict. Otherwise (approved or none): a new draft version is created whose
    courses and tasks keep the lineage of same-coded ones in the current version."""
    from app.errors import Conflict

    profession, level = data["_profession"], data["_level"]
    fp = fingerprint(data)
    standard = services.find_standard(profession.id, level.id)
    latest = services.latest_version(standard) if standard else None
    if latest is not None and latest.fingerprint == fp:
        return latest, False
    if standard is None:
        standard = CourseStandard(profession=profession, training_level=level)
        db.session.add(standard)
        db.session.flush()
    if latest is not None and latest.review_state == ReviewState.submitted.value:
        raise Conflict(_waiting(latest.number))
    base = services.load_tree(standard.current_version) if standard.current_version_id else None
    if latest is not None and review.is_editable(latest):
        version = latest
        version.courses.clear()  # delete-orphan: the old tree goes, the version row and its history stay
        db.session.flush()
    else:
        version = StandardVersion(standard=standard, number=services._next_number(standard),
                                  based_on_id=base.id if base else None, title=data["title"])
        db.session.add(version)
    version.title = data["title"]
    version.change_note = data.get("change_note") or ""
    version.created_by_id = version.created_by_id or (actor.id if actor else None)
    _write_sections(version, data["sections"])
    _write_tree(version, data["courses"], base)
    version.fingerprint = fp
    db.session.flush()
    return version, True


def _write_sections(version: StandardVersion, sections: dict[str, str]) -> None:
    existing = {s.key: s for s in version.sections}
    for position, key in enumerate(SECTIONS):
        source = sections.get(key, "")
        section = existing.get(key) or StandardSection(key=key, position=position)
        if section.id is None:
            version.sections.append(section)
        if section.source != source or (source and not section.html):
            section.source, section.html = source, render_markdown(source)


def _write_tree(version: StandardVersion, courses: list[dict], base: StandardVersion | None) -> None:
    old_courses = {c.code: c for c in base.courses} if base else {}
    old_tasks = {t.code: t for c in (base.courses if base else []) for t in c.tasks}
    tasks: dict[str, LearningTask] = {}
    for position, c in enumerate(courses):
        course = IntegratedCourse(version=version, code=c["code"], name=c["name"], hours=c["hours"],
                                  task_description=c["task_description"], position=position)
        if c["code"] in old_courses:
            course.lineage_id = old_courses[c["code"]].lineage_id
        for tpos, t in enumerate(c["tasks"]):
            task = LearningTask(code=t["code"], name=t["name"], hours=t["hours"], objectives=t["objectives"],
                                position=tpos)
            if t["code"] in old_tasks:
                task.lineage_id = old_tasks[t["code"]].lineage_id
            task.stages = [TaskStage(key=s["key"], name=s["name"], position=i) for i, s in enumerate(t["stages"])]
            course.tasks.append(task)
            tasks[t["code"]] = task
        db.session.add(course)
    db.session.flush()
    for c in courses:
        for t in c["tasks"]:
            tasks[t["code"]].prerequisites = [tasks[code] for code in t["requires"]]
            if tasks[t["code"]].lineage_id is None:
                tasks[t["code"]].lineage_id = tasks[t["code"]].id
    for course in version.courses:
        if course.lineage_id is None:
            course.lineage_id = course.id


def validate_items(items: list, *, lenient_hours: bool = False, prefix: str = "course_standards") -> list[dict]:
    """Validate every standard of a ``course_standards`` list (and that none appears twice); return them
    validated, or raise StandardImportError with every problem found."""
    errors, validated = [], []
    for i, item in enumerate(items):
        try:
            validated.append(validate(item, prefix=f"{prefix}[{i}].", lenient_hours=lenient_hours))
        except StandardImportError as exc:
            errors.extend(exc.errors)
    seen = {}
    for i, data in enumerate(validated):
        key = (data["profession"], data["level"])
        if key in seen:
            errors.append(located(f"{prefix}[{i}]", None, _(
                "同一专业“%(profession)s”和培养层级“%(level)s”的第二个课程标准（第一个是 %(first)s）",
                profession=key[0], level=key[1], first=f"{prefix}[{seen[key]}]")))
        seen[key] = i
    if errors:
        raise StandardImportError(errors[:MAX_ERRORS])
    return validated


def import_items(items: list, *, actor=None, lenient_hours: bool = False, prefix: str = "course_standards"):
    """Validate every standard of a ``course_standards`` list, then write them all. Returns [(version, changed)]."""
    validated = validate_items(items, lenient_hours=lenient_hours, prefix=prefix)
    return [import_standard(data, actor) for data in validated]


# --- upload through the web (same format and rules as ``flask standards import``) ----------------------------

#: Largest YAML file the upload form accepts (the shipped demo standard is about 10 KB).
MAX_UPLOAD_BYTES = 1024 * 1024


@dataclass
class PlannedStandard:
    """What importing one standard of an uploaded file would do (the preview shows a list of these)."""

    profession: Profession
    level: TrainingLevel
    title: str
    #: ``new`` (new standard, version 1), ``new_version``, ``rewrite`` (the open draft is replaced) or ``unchanged``.
    action: str
    #: The version number that will hold the content.
    number: int
    courses: list[dict]
    #: Courses whose tasks' hours do not add up (only with lenient hours): (course code, tasks' sum, course hours).
    hour_gaps: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def task_count(self) -> int:
        return sum(len(c["tasks"]) for c in self.courses)

    @property
    def hours(self) -> int:
        return sum(c["hours"] for c in self.courses)


def no_standards_message() -> str:
    return _("文件中没有“course_standards:”列表")


def _waiting(number: int) -> str:
    return _("这个课程标准的第 %(number)d 版正在等待审核，请先撤回", number=number)


def refuse_aliases(text: str, name: str) -> None:
    """Refuse YAML anchors and aliases (``&a`` / ``*a``) before anything is built from the text: nested aliases
    expand exponentially ("billion laughs"), and a 700-byte file grew a 50 MB error message. A standard never
    needs them. Raises StandardImportError naming the line."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise StandardImportError([located(name, event.start_mark.line + 1,
                                                   _("不接受 YAML 锚点和别名（& 和 *），请直接写出内容"))])
    except yaml.YAMLError:
        return  # the parser proper reports syntax errors with their line


def read_upload(raw: bytes, filename: str) -> list:
    """The ``course_standards`` items of an uploaded YAML file; StandardImportError when it cannot be read."""
    from app.core.content import ContentError, parse_text

    name = os.path.basename(filename or "upload.yaml")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise StandardImportError([located(name, None, _("文件大于 %(kb)d KB", kb=MAX_UPLOAD_BYTES // 1024))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StandardImportError([located(name, None, _("文件不是 UTF-8 编码的文本"))]) from None
    refuse_aliases(text, name)
    try:
        sections = parse_text(text, name)
    except ContentError as exc:
        raise StandardImportError([str(exc)]) from None
    items = sections.get("course_standards")
    if not items:
        raise StandardImportError([located(name, None, no_standards_message())])
    return items


def plan_upload(items: list, *, lenient_hours: bool = False) -> list[PlannedStandard]:
    """Validate an uploaded file's standards and say what importing them would create, writing nothing.
    A standard whose latest version waits for review cannot be imported (the same Conflict as the import)."""
    validated = validate_items(items, lenient_hours=lenient_hours)
    plans, errors = [], []
    for i, data in enumerate(validated):
        standard = services.find_standard(data["_profession"].id, data["_level"].id)
        latest = services.latest_version(standard) if standard else None
        if latest is None:
            action, number = "new", 1
        elif latest.fingerprint == fingerprint(data):
            action, number = "unchanged", latest.number
        elif latest.review_state == ReviewState.submitted.value:
            errors.append(located(f"course_standards[{i}]", None, _waiting(latest.number)))
            continue
        elif review.is_editable(latest):
            action, number = "rewrite", latest.number
        else:
            action, number = "new_version", latest.number + 1
        gaps = [(c["code"], sum(t["hours"] for t in c["tasks"]), c["hours"]) for c in data["courses"]
                if sum(t["hours"] for t in c["tasks"]) != c["hours"]]
        plans.append(PlannedStandard(data["_profession"], data["_level"], data["title"], action, number,
                                     data["courses"], gaps))
    if errors:
        raise StandardImportError(errors)
    return plans


def import_upload(raw: bytes, filename: str, actor, *, lenient_hours: bool = False):
    """Import an uploaded YAML file, all or nothing (the caller commits). Returns [(version, changed)]."""
    return import_items(read_upload(raw, filename), actor=actor, lenient_hours=lenient_hours)


def export_standard(profession_key: str, level_key: str, *, number: int | None = None) -> str:
    """YAML of a standard's version ``number`` (default: the latest)."""
    from app.errors import NotFound

    standard = db.session.scalar(select(CourseStandard).join(CourseStandard.profession)
                                 .join(CourseStandard.training_level)
                                 .where(Profession.key == profession_key, TrainingLevel.key == level_key))
    if standard is None:
        raise NotFound(_("专业“%(profession)s”在培养层级“%(level)s”没有课程标准", profession=profession_key,
                         level=level_key))
    stmt = select(StandardVersion).where(StandardVersion.standard_id == standard.id)
    stmt = stmt.where(StandardVersion.number == number) if number else stmt.order_by(
        StandardVersion.number.desc()).limit(1)
    version = db.session.scalar(stmt)
    if version is None:
        raise NotFound(_("这个课程标准没有第 %(number)d 版", number=number))
    return dump_version(services.load_tree(version))
