"""学习任务实施 and 多元评价: set a task for a course, work it stage by stage, evaluate it from four sides.

Group work (``work_mode`` group): the teacher forms TaskGroups (by hand, or automatically of a size from the
enrolled learners) and may move students between groups until a group has saved anything; each group shares one
submission, so stage state, drafts, history (with who saved), gates and the teacher's/mentor's/peers'
evaluations are per group, self evaluation is per member, and the final score goes to every member (with the
teacher's per-member adjustment, see scoring).

Services flush, never commit. Stage workflow: locked -> open -> submitted -> (approved | returned -> submitted).
A stage needing approval (决策 by default) keeps the next one locked until the teacher approves it; any other
stage opens the next one when submitted.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload, lazyload

from app.auth.models import User
from app.core import clock, signals, uploads
from app.core.signals import results_changed
from app.courses import services as courses
from app.courses.models import Course, MentorAssignment
from app.errors import Conflict, NotFound, ValidationError, get_or_raise
from app.extensions import db
from app.tasks import activity_kind as _activity_kind  # noqa: F401  (registers the work_task activity kind)
from app.tasks import grade_source as _grade_source  # noqa: F401  (registers the work_task grade source)
from app.tasks import scoring
from app.tasks.models import (AssignmentStage, EntryKind, Evaluation, EvaluationFile, MissingRule, Party, PeerReview, Rubric,
                              RubricCriterion, StageEntry, StageState, SubmissionStage, TaskAssignment, TaskFile,
                              TaskGroup, TaskGroupMember, TaskSubmission, WorkMode)
from app.workbooks import fields as field_types

#: Stages that need the teacher's approval / evidence unless the teacher changes it.
APPROVAL_STAGES = {"decide"}
EVIDENCE_STAGES = {"implement"}
#: Used when a learning task has no stages of its own.
SIX_STEPS = [("inform", "获取信息（资讯）"), ("plan", "制定计划"), ("decide", "做出决策"), ("implement", "实施计划"),
             ("check", "检查控制"), ("evaluate", "评价反馈")]
DEFAULT_CRITERIA = "任务完成质量 | 40\n工作过程规范与安全 | 30\n工作页填写与记录 | 20\n团队协作与职业素养 | 10"
OPEN_STATES = {StageState.open.value, StageState.returned.value}
UPLOAD_KINDS = {"photo": ("image",), "file": ("document", "image"), "": ("image",)}


# --- loading -----------------------------------------------------------------------------------------------------

def get_assignment(assignment_id: int) -> TaskAssignment:
    return get_or_raise(TaskAssignment, assignment_id, _("找不到这个学习任务。"))


def get_submission(submission_id: int) -> TaskSubmission:
    return get_or_raise(TaskSubmission, submission_id, _("找不到这份任务作业。"))


def get_stage(assignment: TaskAssignment, stage_id: int) -> AssignmentStage:
    stage = next((s for s in assignment.stages if s.id == stage_id), None)
    if stage is None:
        raise NotFound(_("找不到这个学习环节。"))
    return stage


def assignments_of_course(course: Course) -> list[TaskAssignment]:
    return list(db.session.scalars(select(TaskAssignment).where(TaskAssignment.course_id == course.id)
                                   .order_by(TaskAssignment.id)))


def learning_task_choices(course: Course) -> list[tuple[int, str]]:
    """Learning tasks a course may set: those of its integrated course, else of its profession's current
    standards."""
    from app.standards.models import CourseStandard, IntegratedCourse, LearningTask

    stmt = select(LearningTask.id, LearningTask.code, LearningTask.name).join(
        IntegratedCourse, LearningTask.course_id == IntegratedCourse.id)
    if course.integrated_course_id:
        stmt = stmt.where(IntegratedCourse.id == course.integrated_course_id)
    else:
        stmt = stmt.join(CourseStandard, CourseStandard.current_version_id == IntegratedCourse.version_id).where(
            CourseStandard.profession_id == course.profession_id)
    return [(r.id, f"{r.code} {r.name}") for r in db.session.execute(stmt.order_by(LearningTask.code))]


def current_page_versions(learning_task) -> list[int]:
    """Ids of the approved current versions of the workbook pages serving the task (any version of it)."""
    from app.standards.models import LearningTask
    from app.workbooks.models import Workbook, WorkbookPage

    lineage = learning_task.lineage_id or learning_task.id
    task_ids = select(LearningTask.id).where((LearningTask.lineage_id == lineage) | (LearningTask.id == lineage))
    rows = db.session.execute(
        select(WorkbookPage.current_version_id).join(Workbook, WorkbookPage.workbook_id == Workbook.id)
        .where(WorkbookPage.current_version_id.is_not(None),
               WorkbookPage.learning_task_id.in_(task_ids)
               | (WorkbookPage.learning_task_id.is_(None) & Workbook.learning_task_id.in_(task_ids)))
        .order_by(Workbook.id, WorkbookPage.position))
    return [r[0] for r in rows]


# --- setting a task ---------------------------------------------------------------------------------------------

def check_weights(weights: dict[str, int]) -> dict[str, int]:
    """The four party weights as integers 0–100 adding up to 100 (ValidationError otherwise)."""
    out = {}
    for party in scoring.PARTIES:
        value = weights.get(party, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise ValidationError(_("评价权重必须是 0 到 100 之间的整数。"))
        out[party] = value
    total = sum(out.values())
    if total != 100:
        raise ValidationError(_("自评、互评、师评和企业评价的权重之和必须是 100，现在是 %(total)s。", total=total))
    return out


def parse_criteria(text: str) -> list[dict]:
    """Rubric criteria from lines ``名称 | 满分 | 优秀=20, 良好=16, ...`` (levels optional: four defaults)."""
    out = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        try:
            name, max_points = parts[0], float(parts[1])
        except (IndexError, ValueError):
            raise ValidationError(_("评分量规第 %(n)s 行应写成“名称 | 满分 | 等级=分数, ...”。", n=number)) from None
        if not name or len(name) > 200 or not 0 < max_points <= 1000:
            raise ValidationError(_("评分量规第 %(n)s 行：名称不能为空，满分须在 0 到 1000 之间。", n=number))
        levels = _parse_levels(parts[2] if len(parts) > 2 else "", max_points, number)
        out.append({"name": name, "max_points": max_points, "levels": levels})
    if not out:
        raise ValidationError(_("评分量规至少要有一条评分项。"))
    return out


def _parse_levels(text: str, max_points: float, number: int) -> list[dict]:
    if not text.strip():
        return [{"label": label, "points": round(max_points * share, 1)}
                for label, share in (("优秀", 1.0), ("良好", 0.8), ("合格", 0.6), ("不合格", 0.3))]
    levels = []
    for chunk in re.split(r"[,，;；]", text):
        if not chunk.strip():
            continue
        label, _sep, points = chunk.partition("=")
        try:
            value = float(points)
        except ValueError:
            raise ValidationError(_("评分量规第 %(n)s 行：等级应写成“等级=分数”。", n=number)) from None
        if not label.strip() or not 0 <= value <= max_points:
            raise ValidationError(_("评分量规第 %(n)s 行：等级分数须在 0 到满分之间。", n=number))
        levels.append({"label": label.strip(), "points": value})
    return levels


def create_assignment(course: Course, learning_task, *, by: User, title: str = "", instructions: str = "",
                      weights: dict[str, int] | None = None, missing_rule: str = MissingRule.renormalise.value,
                      peer_count: int = 2, peer_due_at: datetime | None = None, criteria: str = DEFAULT_CRITERIA,
                      due_dates: dict[str, datetime] | None = None, work_mode: str = WorkMode.individual.value,
                      group_size: int | None = None) -> TaskAssignment:
    """Set ``learning_task`` for ``course``: pins the current workbook page versions, copies the task's stages
    (六步法 by default), builds the rubric, creates a submission per learner and assigns peer reviewers.
    Group work with a ``group_size`` forms the groups at once (the teacher may change them before work starts);
    without one the teacher forms them on the groups page."""
    if learning_task.id not in {tid for tid, _label in learning_task_choices(course)}:
        raise ValidationError(_("这个学习任务不属于本课程的一体化课程或专业。"))
    weights = check_weights(weights or {"self": 10, "peer": 20, "teacher": 50, "mentor": 20})
    if missing_rule not in {r.value for r in MissingRule}:
        raise ValidationError(_("缺评规则只能是“重新分配权重”或“按零分计”。"))
    if isinstance(peer_count, bool) or not isinstance(peer_count, int) or not 0 <= peer_count <= 10:
        raise ValidationError(_("互评人数必须是 0 到 10 之间的整数。"))
    if work_mode not in {m.value for m in WorkMode}:
        raise ValidationError(_("完成方式只能是“个人完成”或“小组合作”。"))
    if work_mode == WorkMode.group.value and group_size is not None:
        check_group_size(group_size)
    rubric = Rubric(title=title or learning_task.name)
    rubric.criteria = [RubricCriterion(position=i, **c) for i, c in enumerate(parse_criteria(criteria), start=1)]
    assignment = TaskAssignment(
        course_id=course.id, learning_task_id=learning_task.id, title=(title or learning_task.name).strip()[:200],
        instructions=instructions or "", page_version_ids=current_page_versions(learning_task), rubric=rubric,
        missing_rule=missing_rule, peer_count=peer_count, peer_due_at=peer_due_at, created_by_id=by.id,
        work_mode=work_mode, group_size=group_size if work_mode == WorkMode.group.value else None,
        **{f"weight_{p}": w for p, w in weights.items()})
    steps = [(s.key, s.name) for s in learning_task.stages] or SIX_STEPS
    due_dates = due_dates or {}
    assignment.stages = [AssignmentStage(key=key, name=name, position=i, due_at=due_dates.get(key),
                                         requires_approval=key in APPROVAL_STAGES,
                                         requires_evidence=key in EVIDENCE_STAGES)
                         for i, (key, name) in enumerate(steps, start=1)]
    db.session.add(assignment)
    db.session.flush()
    if assignment.is_group_work and group_size:
        form_groups_automatically(assignment, group_size)
    start_submissions(assignment)
    assign_peers(assignment)
    return assignment


@dataclass
class StageSetting:
    """One row of the stage editor (``id`` None = a new stage appended at the end)."""

    id: int | None
    name: str
    due_at: datetime | None = None
    requires_approval: bool = False
    requires_evidence: bool = False
    key: str = ""


def update_stages(assignment: TaskAssignment, settings: list[StageSetting]) -> None:
    """Rename stages, set due dates and gates; a setting without id appends a stage (locked for everybody who
    has not reached it)."""
    by_id = {s.id: s for s in assignment.stages}
    deadline_before = scoring.peer_deadline(assignment)
    for setting in settings:
        name = (setting.name or "").strip()
        if setting.id is None and not name:
            continue
        if not name or len(name) > 100:
            raise ValidationError(_("环节名称不能为空，最多 100 个字。"))
        stage = by_id.get(setting.id) if setting.id is not None else None
        if setting.id is not None and stage is None:
            raise NotFound(_("找不到这个学习环节。"))
        if stage is None:
            key = setting.key or f"stage-{len(assignment.stages) + 1}"
            if any(s.key == key for s in assignment.stages):
                raise ValidationError(_("环节标识“%(key)s”已存在。", key=key))
            stage = AssignmentStage(key=key, position=len(assignment.stages) + 1)
            assignment.stages.append(stage)
        stage.name, stage.due_at = name, setting.due_at
        stage.requires_approval, stage.requires_evidence = setting.requires_approval, setting.requires_evidence
    db.session.flush()
    _add_missing_stage_rows(assignment)
    if scoring.peer_deadline(assignment) != deadline_before:
        # Without a peer deadline of its own the last stage's due date ends the wait for peer reviews: moving it
        # changes which final scores are pending now.
        announce_results(assignment)


def _add_missing_stage_rows(assignment: TaskAssignment) -> None:
    """Give every submission a state row for stages added later; a new last stage opens for students who
    finished everything before it."""
    subs = list(db.session.scalars(select(TaskSubmission.id).where(TaskSubmission.assignment_id == assignment.id)))
    if not subs:
        return
    have = {tuple(r) for r in db.session.execute(select(SubmissionStage.submission_id, SubmissionStage.stage_id)
                                                 .where(SubmissionStage.submission_id.in_(subs)))}
    states = _states_by_submission(subs)
    for sub_id in subs:
        for stage in assignment.stages:
            if (sub_id, stage.id) not in have:
                row = SubmissionStage(submission_id=sub_id, stage_id=stage.id, state=StageState.locked.value)
                db.session.add(row)
                states[sub_id][stage.id] = row
        _open_next(assignment, states[sub_id])
    db.session.flush()


def _states_by_submission(sub_ids) -> dict[int, dict[int, SubmissionStage]]:
    out: dict[int, dict[int, SubmissionStage]] = defaultdict(dict)
    for row in db.session.scalars(select(SubmissionStage).where(SubmissionStage.submission_id.in_(list(sub_ids)))):
        out[row.submission_id][row.stage_id] = row
    return out


def _open_next(assignment: TaskAssignment, rows: dict[int, SubmissionStage]) -> None:
    """Open the first locked stage when every stage before it is finished (approved, or submitted when it
    needs no approval)."""
    for stage in assignment.stages:
        row = rows.get(stage.id)
        if row is None:
            return
        if row.state == StageState.locked.value:
            row.state, row.updated_at = StageState.open.value, clock.now()
            return
        done = row.state == StageState.approved.value or (
            row.state == StageState.submitted.value and not stage.requires_approval)
        if not done:
            return


def start_submissions(assignment: TaskAssignment) -> int:
    """Create the submission (first stage open) of every active learner (group work: of every group) who has
    none yet."""
    if assignment.is_group_work:
        return _start_group_submissions(assignment)
    existing = set(db.session.scalars(select(TaskSubmission.student_id)
                                      .where(TaskSubmission.assignment_id == assignment.id)))
    created = 0
    for learner in courses.learners(assignment.course):
        if learner.id not in existing:
            _new_submission(assignment, learner.id)
            created += 1
    db.session.flush()
    return created


def _new_submission(assignment: TaskAssignment, student_id: int | None, group_id: int | None = None
                    ) -> TaskSubmission:
    submission = TaskSubmission(assignment_id=assignment.id, student_id=student_id, group_id=group_id)
    db.session.add(submission)
    db.session.flush()
    for i, stage in enumerate(assignment.stages):
        db.session.add(SubmissionStage(submission_id=submission.id, stage_id=stage.id,
                                       state=StageState.open.value if i == 0 else StageState.locked.value))
    return submission


def submission_of(assignment: TaskAssignment, student: User, *, create: bool = False) -> TaskSubmission | None:
    """The student's submission (created on first visit for a learner who joined after the task was set).
    Group work: the submission of the student's group (None while they are in none; never created here)."""
    if assignment.is_group_work:
        return db.session.scalar(select(TaskSubmission).join(
            TaskGroupMember, TaskGroupMember.group_id == TaskSubmission.group_id).where(
            TaskGroupMember.assignment_id == assignment.id, TaskGroupMember.student_id == student.id))
    submission = db.session.scalar(select(TaskSubmission).where(
        TaskSubmission.assignment_id == assignment.id, TaskSubmission.student_id == student.id))
    if submission is None and create:
        submission = _new_submission(assignment, student.id)
        db.session.flush()
    return submission


def assign_peers(assignment: TaskAssignment) -> int:
    """Round-robin peer reviewers within the course: in username order each student reviews the next
    ``peer_count`` classmates (never themself). Group work: see :func:`_assign_group_peers`. Idempotent; returns
    how many pairs were added."""
    if assignment.is_group_work:
        return _assign_group_peers(assignment)
    subs = list(db.session.execute(
        select(TaskSubmission.id, TaskSubmission.student_id).join(User, User.id == TaskSubmission.student_id)
        .where(TaskSubmission.assignment_id == assignment.id).order_by(User.username)))
    n = len(subs)
    count = min(assignment.peer_count, n - 1)
    if count <= 0:
        return 0
    have = {tuple(r) for r in db.session.execute(select(PeerReview.submission_id, PeerReview.reviewer_id)
                                                 .where(PeerReview.assignment_id == assignment.id))}
    added, told = 0, set()
    for i, (_sub_id, reviewer_id) in enumerate(subs):
        for step in range(1, count + 1):
            target_sub, target_student = subs[(i + step) % n]
            if target_student != reviewer_id and (target_sub, reviewer_id) not in have:
                db.session.add(PeerReview(assignment_id=assignment.id, submission_id=target_sub,
                                          reviewer_id=reviewer_id))
                have.add((target_sub, reviewer_id))
                told.add(reviewer_id)
                added += 1
    db.session.flush()
    _peers_requested(assignment, told)
    return added


def _peers_requested(assignment: TaskAssignment, reviewer_ids) -> None:
    """Tell the classmates newly asked to evaluate (notifications subscribes)."""
    if reviewer_ids:
        signals.evaluation_requested.send("tasks", course_id=assignment.course_id, party="peer",
                                          reviewer_ids=sorted(reviewer_ids), title=assignment.title)


# --- worksheet fields of a stage -------------------------------------------------------------------------------

@dataclass
class StageField:
    """A worksheet field shown in a stage: its definition and the page version it comes from."""

    version_id: int
    page_title: str
    definition: dict

    @property
    def answer_key(self) -> str:
        return f"{self.version_id}:{self.definition['key']}"

    @property
    def type(self) -> str:
        return self.definition["type"]


def pinned_fields(assignment: TaskAssignment) -> dict[str, list[StageField]]:
    """{stage key: fields} from the pinned page versions (a field's own ``stage`` wins over its page's)."""
    from app.workbooks.models import PageVersion, WorkbookPage

    ids = list(assignment.page_version_ids or [])
    if not ids:
        return {}
    rows = db.session.execute(select(PageVersion.id, PageVersion.title, PageVersion.fields, WorkbookPage.stage)
                              .join(WorkbookPage, PageVersion.page_id == WorkbookPage.id)
                              .where(PageVersion.id.in_(ids)))
    by_id = {r.id: r for r in rows}
    out: dict[str, list[StageField]] = defaultdict(list)
    for vid in ids:
        row = by_id.get(vid)
        if row is None:
            continue
        for definition in row.fields or []:
            out[definition.get("stage") or row.stage or ""].append(StageField(vid, row.title, definition))
    return out


def stage_fields(assignment: TaskAssignment, stage: AssignmentStage) -> list[StageField]:
    return pinned_fields(assignment).get(stage.key, [])


def parse_form(fields_: list[StageField], form) -> dict:
    """Raw answers from a submitted form (``form`` is a MultiDict): names ``a.<version>.<key>`` (text,
    checklist) and ``a.<version>.<key>.<row>.<column>`` (tables). Photo/file answers come from uploads."""
    raw = {}
    for f in fields_:
        name = f"a.{f.version_id}.{f.definition['key']}"
        if f.type == "checklist":
            raw[f.answer_key] = [int(v) for v in form.getlist(name) if str(v).isdigit()]
        elif f.type == "table":
            rows = len(f.definition.get("row_labels") or []) or f.definition.get("rows", 1)
            table = [{c["key"]: form.get(f"{name}.{r}.{c['key']}", "") for c in f.definition["columns"]}
                     for r in range(rows)]
            raw[f.answer_key] = table if any(v.strip() for row in table for v in row.values()) else []
        elif f.type in ("text", "long_text"):
            raw[f.answer_key] = form.get(name, "")
    return raw


def check_answers(fields_: list[StageField], raw: dict, *, final: bool) -> tuple[dict, dict[str, str]]:
    """Check every answer with its field type (drafts may leave required fields empty): the clean values and,
    per answer key, what is wrong with the others, worded for the student ("左前轮 · 厚度：必须是数字")."""
    out, errors = {}, {}
    for f in fields_:
        definition = f.definition if final else {**f.definition, "required": False}
        try:
            value = field_types.validate_response(definition, raw.get(f.answer_key))
        except field_types.FieldError as exc:
            errors[f.answer_key] = f"{_where(f.definition, exc.path)}：{exc.message}"
            continue
        if value is not None:
            out[f.answer_key] = value
    return out, errors


_CELL = re.compile(r"\[(\d+)\]\.(\w+)$")


def _where(definition: dict, path: str) -> str:
    """The field's label, and for a table cell its row (label or number) and column."""
    match = _CELL.search(path or "")
    if definition.get("type") != "table" or match is None:
        return definition["label"]
    row, key = int(match.group(1)), match.group(2)
    labels = definition.get("row_labels") or []
    row_name = labels[row] if row < len(labels) else _("第 %(n)s 行", n=row + 1)
    column = next((c["label"] for c in definition.get("columns", []) if c["key"] == key), key)
    return f"{definition['label']} · {row_name} · {column}"


def _as_typed(value):
    """A draft keeps an answer that is not valid yet exactly as typed (bounded), so nothing typed is lost."""
    if isinstance(value, str):
        return value[:5000]
    if isinstance(value, list):
        return [_as_typed(v) for v in value[:200]]
    if isinstance(value, dict):
        return {str(k)[:50]: _as_typed(v) for k, v in list(value.items())[:50]}
    return value if isinstance(value, (int, float, bool)) or value is None else str(value)[:5000]


class AnswersRefused(ValidationError):
    """A stage handed in with answers that do not fit their fields: ``details["fields"]`` maps each answer key
    to its reason, so the page shows the reason beside the field."""


# --- working a stage --------------------------------------------------------------------------------------------

def stage_row(submission: TaskSubmission, stage: AssignmentStage, *, lock: bool = False) -> SubmissionStage:
    """The submission's state of one stage. ``lock`` reads it afresh and holds its row until the commit
    (PostgreSQL ``FOR UPDATE``; SQLite's writing transaction already excludes other writers), so that of two
    decisions, or two group members handing in, arriving together the second sees the first's result."""
    stmt = select(SubmissionStage).where(SubmissionStage.submission_id == submission.id,
                                         SubmissionStage.stage_id == stage.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = db.session.scalar(stmt)
    if row is None:
        _add_missing_stage_rows(submission.assignment)
        return stage_row(submission, stage, lock=lock)
    return row


def latest_entry(submission: TaskSubmission, stage: AssignmentStage) -> StageEntry | None:
    """The latest saved or submitted answers of the stage (None before the first save)."""
    return db.session.scalar(select(StageEntry).options(lazyload(StageEntry.author)).where(
        StageEntry.submission_id == submission.id, StageEntry.stage_id == stage.id,
        StageEntry.kind.in_([EntryKind.draft.value, EntryKind.submit.value])).order_by(StageEntry.id.desc()).limit(1))


def latest_answers(submission: TaskSubmission, stage: AssignmentStage) -> dict:
    entry = latest_entry(submission, stage)
    return dict(entry.answers) if entry else {}


def history(submission: TaskSubmission, stage: AssignmentStage) -> list[StageEntry]:
    return list(db.session.scalars(select(StageEntry).options(joinedload(StageEntry.author).lazyload(User.roles))
                                   .where(StageEntry.submission_id == submission.id, StageEntry.stage_id == stage.id)
                                   .order_by(StageEntry.id.desc())))


def files_of(submission: TaskSubmission, stage: AssignmentStage | None = None) -> list[TaskFile]:
    stmt = select(TaskFile).where(TaskFile.submission_id == submission.id)
    if stage is not None:
        stmt = stmt.where(TaskFile.stage_id == stage.id)
    return list(db.session.scalars(stmt.order_by(TaskFile.id)))


def _require_open(row: SubmissionStage, message: str) -> None:
    if row.state not in OPEN_STATES:
        raise Conflict(message)


def _with_uploads(submission, stage, fields_, answers: dict) -> dict:
    files = files_of(submission, stage)
    for f in fields_:
        if f.type in ("photo", "file"):
            ids = [tf.media_file_id for tf in files if tf.field == f.answer_key]
            answers[f.answer_key] = ids[-f.definition.get("max_files", 1):] if ids else []
    return answers


def save_stage(submission: TaskSubmission, stage: AssignmentStage, raw: dict, *, by: User,
               submit: bool = False, base: int | None = None) -> StageEntry | None:
    """Append the stage's answers as a draft (``submit=False``; nothing is appended when they did not change)
    or hand the stage in. A draft keeps answers that are not valid yet as typed; handing in checks them all
    (:class:`AnswersRefused`). Refuses (409) a stage that is not open; a stage requiring evidence needs a photo.

    ``base`` is the entry the form was loaded from (0: none yet). When someone else (another group member)
    has saved since, the save is refused (409) instead of silently overwriting their answers."""
    row = stage_row(submission, stage, lock=True)
    if base is not None:
        latest = latest_entry(submission, stage)
        if latest is not None and latest.id != base and latest.author_id != by.id:
            raise Conflict(_("小组的其他成员刚刚保存了这个环节，请刷新页面看到最新内容后再修改。"))
    _require_open(row, _("“%(stage)s”环节现在不能提交：它还没有开放，或已经提交。", stage=stage.name) if submit
                  else _("“%(stage)s”环节没有开放，不能保存。", stage=stage.name))
    fields_ = stage_fields(submission.assignment, stage)
    raw = _with_uploads(submission, stage, fields_, dict(raw))
    answers, errors = check_answers(fields_, raw, final=submit)
    if errors and submit:
        raise AnswersRefused(_("请检查填写内容：%(errors)s", errors="；".join(errors.values())),
                             details={"fields": errors})
    # A draft saves what was typed even when it is not valid yet; it is checked when the stage is handed in.
    answers.update({key: _as_typed(raw.get(key)) for key in errors})
    if submit:
        if stage.requires_evidence and not files_of(submission, stage):
            raise ValidationError(_("“%(stage)s”环节要求上传作业照片作为证据，请先上传再提交。", stage=stage.name))
        row.state, row.submitted_at, row.updated_at = StageState.submitted.value, clock.now(), clock.now()
        entry = _append(submission, stage, EntryKind.submit, by, answers=answers)
        _open_next(submission.assignment, _states_by_submission([submission.id])[submission.id])
        db.session.flush()
        return entry
    if answers == latest_answers(submission, stage):
        return None
    return _append(submission, stage, EntryKind.draft, by, answers=answers)


def _append(submission, stage, kind: EntryKind, by: User, *, answers=None, comment: str = "") -> StageEntry:
    entry = StageEntry(submission_id=submission.id, stage_id=stage.id, kind=kind.value, answers=answers or {},
                       comment=comment, author_id=by.id, created_at=clock.now())
    db.session.add(entry)
    db.session.flush()
    return entry


def upload_to_stage(submission: TaskSubmission, stage: AssignmentStage, file_storage, *, field: str, by: User
                    ) -> TaskFile:
    """Store a photo/file for the stage through the upload service (EXIF rotation, shrinking, sniffing) and
    record it. A closed stage refuses with 409 before anything is stored."""
    row = stage_row(submission, stage)
    _require_open(row, _("“%(stage)s”环节已关闭或尚未开放，不能上传。", stage=stage.name))
    fields_ = {f.answer_key: f for f in stage_fields(submission.assignment, stage)}
    target = fields_.get(field) if field else None
    if field and (target is None or target.type not in ("photo", "file")):
        raise ValidationError(_("这个环节没有这个上传项。"))
    if target is not None and len([f for f in files_of(submission, stage) if f.field == field]) >= \
            target.definition.get("max_files", 1):
        raise ValidationError(_("“%(label)s”最多上传 %(n)s 个文件。", label=target.definition["label"],
                                n=target.definition.get("max_files", 1)))
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise ValidationError(_("请选择要上传的照片或文件。"))
    stored = uploads.store_upload(file_storage, UPLOAD_KINDS[target.type if target else ""], prefix="tasks")
    try:
        from app.media.services import record_file

        media = record_file(stored, by)
        task_file = TaskFile(submission_id=submission.id, stage_id=stage.id, field=field or "",
                             media_file_id=media.id)
        db.session.add(task_file)
        _append(submission, stage, EntryKind.upload, by, answers={"file": media.id, "field": field or ""},
                comment=stored.original_name)
    except BaseException:
        stored.discard()
        raise
    return task_file


def decide_stage(submission: TaskSubmission, stage: AssignmentStage, *, by: User, approve: bool,
                 comment: str = "") -> None:
    """The teacher approves a submitted stage (the next stage opens) or sends it back with a comment. Exactly one
    of two decisions sent together wins; the other is refused (409)."""
    row = stage_row(submission, stage, lock=True)
    if row.state != StageState.submitted.value:
        raise Conflict(_("只有已提交的环节才能审核。"))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError(_("退回时请写明原因，学生据此修改。"))
    row.state = StageState.approved.value if approve else StageState.returned.value
    row.comment, row.updated_at = comment, clock.now()
    _append(submission, stage, EntryKind.approve if approve else EntryKind.return_, by, comment=comment)
    if approve:
        _open_next(submission.assignment, _states_by_submission([submission.id])[submission.id])
    db.session.flush()
    signals.stage_decided.send("tasks", submission_id=submission.id, stage_id=stage.id, approved=approve,
                               comment=comment)


def file_for(task_file_id: int) -> TaskFile:
    return get_or_raise(TaskFile, task_file_id, _("找不到这个文件。"))


# --- the teacher's board ----------------------------------------------------------------------------------------

@dataclass
class BoardRow:
    submission: TaskSubmission
    #: stage id -> SubmissionStage
    states: dict[int, SubmissionStage]
    current: AssignmentStage | None
    late: list[AssignmentStage] = field(default_factory=list)
    waiting: list[AssignmentStage] = field(default_factory=list)
    #: Group work: the group's members (User), in the order they joined.
    members: list = field(default_factory=list)

    @property
    def student_ids(self) -> list[int]:
        return [u.id for u in self.members] if self.submission.group_id else [self.submission.student_id]


def _board_submissions(assignment: TaskAssignment) -> list[TaskSubmission]:
    stmt = select(TaskSubmission).options(lazyload(TaskSubmission.assignment)).where(
        TaskSubmission.assignment_id == assignment.id)
    if assignment.is_group_work:
        return list(db.session.scalars(stmt.join(TaskGroup, TaskGroup.id == TaskSubmission.group_id)
                                       .order_by(TaskGroup.position, TaskGroup.id)))
    return list(db.session.scalars(stmt.join(User, User.id == TaskSubmission.student_id).order_by(User.username)))


def board(assignment: TaskAssignment) -> list[BoardRow]:
    """One row per student (group work: per group, with its members): the stage they are at, late stages
    (unfinished after the due date) and stages waiting for approval. Two queries (three for group work)
    whatever the class size."""
    subs = _board_submissions(assignment)
    states = _states_by_submission([s.id for s in subs]) if subs else {}
    members = members_by_group(assignment) if assignment.is_group_work else {}
    now = clock.now()
    rows = []
    for sub in subs:
        mine = states.get(sub.id, {})
        row = BoardRow(sub, mine, None, members=[m.student for m in members.get(sub.group_id, [])])
        for stage in assignment.stages:
            st = mine.get(stage.id)
            state = st.state if st else StageState.locked.value
            finished = state == StageState.approved.value or (state == StageState.submitted.value
                                                              and not stage.requires_approval)
            if row.current is None and not finished:
                row.current = stage
            if stage.requires_approval and state == StageState.submitted.value:
                row.waiting.append(stage)
            if not finished and stage.due_at and clock.as_utc(stage.due_at) < now and state != "submitted":
                row.late.append(stage)
        rows.append(row)
    return rows


def submitted_late(stage: AssignmentStage, row: SubmissionStage | None) -> bool:
    """The stage was handed in (last time) after its due date: shown as 逾期提交."""
    if row is None or row.submitted_at is None or stage.due_at is None:
        return False
    if row.state not in (StageState.submitted.value, StageState.approved.value, StageState.returned.value):
        return False
    return clock.as_utc(row.submitted_at) > clock.as_utc(stage.due_at)


@dataclass
class EarlierStage:
    """What the student handed in at a stage before the one being decided (e.g. the plan before 决策)."""

    stage: AssignmentStage
    #: The latest submitted answers (None when the stage was never handed in).
    entry: StageEntry | None
    fields: list[StageField]
    files: list[TaskFile]


def earlier_stages(submission: TaskSubmission, stage: AssignmentStage) -> list[EarlierStage]:
    """The stages before ``stage`` with the answers last handed in and the files, so that the teacher deciding
    a stage (决策: approve the plan) sees the plan on the same page. Three statements."""
    before = [s for s in submission.assignment.stages if s.position < stage.position]
    if not before:
        return []
    latest: dict[int, StageEntry] = {}
    for entry in db.session.scalars(select(StageEntry).options(lazyload(StageEntry.author)).where(
            StageEntry.submission_id == submission.id, StageEntry.stage_id.in_([s.id for s in before]),
            StageEntry.kind == EntryKind.submit.value).order_by(StageEntry.id.desc())):
        latest.setdefault(entry.stage_id, entry)
    files: dict[int, list[TaskFile]] = defaultdict(list)
    for task_file in files_of(submission):
        files[task_file.stage_id].append(task_file)
    pinned = pinned_fields(submission.assignment)
    return [EarlierStage(s, latest.get(s.id), pinned.get(s.key, []), files.get(s.id, [])) for s in before]


# --- evaluations -------------------------------------------------------------------------------------------------

def peer_reviews_of(assignment: TaskAssignment, reviewer: User) -> list[PeerReview]:
    return list(db.session.scalars(select(PeerReview).where(PeerReview.assignment_id == assignment.id,
                                                            PeerReview.reviewer_id == reviewer.id)))


def is_peer_reviewer(submission: TaskSubmission, user: User) -> bool:
    return db.session.scalar(select(PeerReview.id).where(PeerReview.submission_id == submission.id,
                                                         PeerReview.reviewer_id == user.id)) is not None


def is_assigned_mentor(submission: TaskSubmission, user: User) -> bool:
    """The user mentors the student (group work: at least one member of the group) in this course."""
    return db.session.scalar(select(MentorAssignment.id).where(
        MentorAssignment.course_id == submission.assignment.course_id, MentorAssignment.mentor_id == user.id,
        MentorAssignment.student_id.in_(student_ids_of(submission))).limit(1)) is not None


def evaluations_of(submission: TaskSubmission) -> list[Evaluation]:
    # Evaluators are shown by name only: their roles need not be loaded.
    return list(db.session.scalars(select(Evaluation).options(joinedload(Evaluation.evaluator).lazyload(User.roles))
                                   .where(Evaluation.submission_id == submission.id).order_by(Evaluation.id)))


def evaluate(submission: TaskSubmission, party: str, evaluator: User, scores: dict, comment: str = "") -> Evaluation:
    """Record one party's evaluation on the rubric (points per criterion within 0..max). Permission is the
    caller's (see permissions.can_evaluate); one evaluation per evaluator and party (409 for a second)."""
    if party not in scoring.PARTIES:
        raise ValidationError(_("未知的评价方。"))
    if party == Party.peer.value and not has_started(submission):
        raise Conflict(not_started_message())
    if not isinstance(scores, dict):
        raise ValidationError(_("评分须按评分项给出：{评分项编号: 分数}。"))
    rubric = submission.assignment.rubric
    clean, total = {}, 0.0
    for criterion in rubric.criteria:
        value = scores.get(str(criterion.id), scores.get(criterion.id))
        try:
            points = float(value)
        except (TypeError, ValueError):
            raise ValidationError(_("请为“%(name)s”评分。", name=criterion.name)) from None
        if not 0 <= points <= criterion.max_points:
            raise ValidationError(_("“%(name)s”的分数须在 0 到 %(max)s 之间。", name=criterion.name,
                                    max=criterion.max_points))
        clean[str(criterion.id)] = points
        total += points
    exists = db.session.scalar(select(Evaluation.id).where(Evaluation.submission_id == submission.id,
                                                           Evaluation.party == party,
                                                           Evaluation.evaluator_id == evaluator.id))
    if exists:
        raise Conflict(_("您已经评价过这份作业。"))
    evaluation = Evaluation(submission_id=submission.id, party=party, evaluator_id=evaluator.id, scores=clean,
                            percent=round(total * 100 / rubric.max_points, 2) if rubric.max_points else 0.0,
                            comment=(comment or "").strip()[:2000], created_at=clock.now())
    db.session.add(evaluation)
    db.session.flush()
    results_changed.send("work_task", target_id=submission.assignment_id, user_ids=student_ids_of(submission))
    if party in ("teacher", "mentor"):
        signals.evaluation_given.send("tasks", submission_id=submission.id, party=party, evaluator_id=evaluator.id)
    return evaluation


def not_started_message() -> str:
    return _("这位同学还没有开始这个任务，没有可以互评的内容；等他提交后再来评价。")


def started_submission_ids(submission_ids) -> set[int]:
    """Those of the submissions whose student (or group) has saved, uploaded or handed in anything (one query)."""
    ids = list(submission_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(StageEntry.submission_id).where(StageEntry.submission_id.in_(ids))
                                  .distinct()))


def has_started(submission: TaskSubmission) -> bool:
    """The student (or group) has saved, uploaded or handed in anything: there is work to review."""
    return bool(started_submission_ids([submission.id]))


def evaluation_by(submission: TaskSubmission, party: str, evaluator: User) -> Evaluation | None:
    """The evaluator's own evaluation of the submission as ``party`` (None before they have evaluated)."""
    return db.session.scalar(select(Evaluation).where(Evaluation.submission_id == submission.id,
                                                      Evaluation.party == party,
                                                      Evaluation.evaluator_id == evaluator.id))


def evaluated_submission_ids(evaluator: User, party: str, submission_ids) -> set[int]:
    """Those of the submissions the evaluator has evaluated as ``party`` (one query)."""
    ids = list(submission_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Evaluation.submission_id).where(
        Evaluation.submission_id.in_(ids), Evaluation.party == party, Evaluation.evaluator_id == evaluator.id)))


def breakdown(submission: TaskSubmission, student_id: int | None = None) -> scoring.Breakdown | None:
    """The score breakdown of the submission's student (group work: of ``student_id``, a member; None when
    the group has no such member)."""
    student_id = student_id or submission.student_id
    if student_id is None:
        return None
    return scoring.breakdowns([submission.assignment], [student_id]).get((submission.assignment_id, student_id))


PARTY_VALUES = [p.value for p in Party]

#: The graders who may attach feedback files to their evaluation (students and peers give points and comments).
FEEDBACK_PARTIES = {Party.teacher.value, Party.mentor.value}
#: Files one evaluation may carry (a few marked-up photos and a PDF, not an archive).
MAX_FEEDBACK_FILES = 5
FEEDBACK_KINDS = ("image", "document")


def get_evaluation(evaluation_id: int) -> Evaluation:
    return get_or_raise(Evaluation, evaluation_id, _("评价不存在。"))


def feedback_files(evaluations) -> dict[int, list[EvaluationFile]]:
    """The feedback files of several evaluations in one statement, by evaluation id."""
    ids = [e.id for e in evaluations]
    found: dict[int, list[EvaluationFile]] = defaultdict(list)
    if ids:
        for f in db.session.scalars(select(EvaluationFile).where(EvaluationFile.evaluation_id.in_(ids))
                                    .order_by(EvaluationFile.id)):
            found[f.evaluation_id].append(f)
    return found


def attach_feedback(evaluation: Evaluation, file_storages, *, by: User) -> list[EvaluationFile]:
    """Store the grader's feedback files (photos EXIF-rotated and shrunk, documents sniffed) and attach them to
    their evaluation. All or nothing: if one file is refused, none of this call's files is kept. Permission is
    the caller's (see permissions.can_attach_feedback)."""
    if evaluation.party not in FEEDBACK_PARTIES:
        raise ValidationError(_("只有教师和企业导师的评价可以附加反馈文件。"))
    chosen = [f for f in file_storages if f is not None and getattr(f, "filename", "")]
    if not chosen:
        raise ValidationError(_("请选择要上传的照片或文件。"))
    present = len(feedback_files([evaluation]).get(evaluation.id, []))
    if present + len(chosen) > MAX_FEEDBACK_FILES:
        raise ValidationError(_("每条评价最多附加 %(n)s 个反馈文件（已有 %(have)s 个）。", n=MAX_FEEDBACK_FILES,
                                have=present))
    from app.media.services import attach_files

    return attach_files(chosen, FEEDBACK_KINDS, prefix="feedback", actor=by,
                        link=lambda media: EvaluationFile(evaluation_id=evaluation.id, media_file_id=media.id))


def feedback_file_for(file_id: int) -> EvaluationFile:
    return get_or_raise(EvaluationFile, file_id, _("文件不存在。"))


def assignments_of_courses(course_ids) -> list[TaskAssignment]:
    ids = list(course_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(TaskAssignment).where(TaskAssignment.course_id.in_(ids))
                                   .order_by(TaskAssignment.id.desc())))


def states_of(submission: TaskSubmission) -> dict[int, SubmissionStage]:
    """{stage id: state row} of one submission (rows for stages added later are created)."""
    states = _states_by_submission([submission.id]).get(submission.id, {})
    if any(s.id not in states for s in submission.assignment.stages):
        _add_missing_stage_rows(submission.assignment)
        states = _states_by_submission([submission.id]).get(submission.id, {})
    return states


def scores_for(assignment: TaskAssignment, student_ids) -> dict[int, scoring.Breakdown]:
    """{student id: Breakdown} for the board (two queries)."""
    return {uid: b for (_aid, uid), b in scoring.breakdowns([assignment], student_ids).items()}


# --- groups (小组合作) -------------------------------------------------------------------------------------------

MIN_GROUP_SIZE, MAX_GROUP_SIZE = 2, 12
#: A teacher's per-member adjustment of a group's final score stays within ± this many points.
MAX_ADJUSTMENT = 30


def check_group_size(size) -> int:
    """A group size for automatic forming: an integer 2–12 (ValidationError otherwise)."""
    if isinstance(size, bool) or not isinstance(size, int) or not MIN_GROUP_SIZE <= size <= MAX_GROUP_SIZE:
        raise ValidationError(_("每组人数必须是 %(lo)s 到 %(hi)s 之间的整数。", lo=MIN_GROUP_SIZE, hi=MAX_GROUP_SIZE))
    return size


def _require_group_work(assignment: TaskAssignment) -> None:
    if not assignment.is_group_work:
        raise Conflict(_("这个学习任务是个人完成的，没有小组。"))


def groups_of(assignment: TaskAssignment) -> list[TaskGroup]:
    return list(db.session.scalars(select(TaskGroup).where(TaskGroup.assignment_id == assignment.id)
                                   .order_by(TaskGroup.position, TaskGroup.id)))


def get_group(assignment: TaskAssignment, group_id) -> TaskGroup:
    group = db.session.get(TaskGroup, group_id) if isinstance(group_id, int) else None
    if group is None or group.assignment_id != assignment.id:
        raise NotFound(_("找不到这个小组。"))
    return group


def members_by_group(assignment: TaskAssignment) -> dict[int, list[TaskGroupMember]]:
    """{group id: members (with their users)} of the assignment in one query."""
    out: dict[int, list[TaskGroupMember]] = defaultdict(list)
    rows = db.session.scalars(select(TaskGroupMember).options(joinedload(TaskGroupMember.student).lazyload(User.roles))
                              .where(TaskGroupMember.assignment_id == assignment.id).order_by(TaskGroupMember.id))
    for member in rows:
        out[member.group_id].append(member)
    return out


def student_ids_of(submission: TaskSubmission) -> list[int]:
    """Whose work a submission is: its student, or every member of its group."""
    if submission.group_id is None:
        return [submission.student_id]
    return list(db.session.scalars(select(TaskGroupMember.student_id)
                                   .where(TaskGroupMember.group_id == submission.group_id)))


def is_member(submission: TaskSubmission, user: User) -> bool:
    """The user's own work: their submission, or their group's."""
    if submission.group_id is None:
        return user.id == submission.student_id
    return db.session.scalar(select(TaskGroupMember.id).where(TaskGroupMember.group_id == submission.group_id,
                                                              TaskGroupMember.student_id == user.id)) is not None


def membership(submission: TaskSubmission, user: User) -> TaskGroupMember | None:
    if submission.group_id is None:
        return None
    return db.session.scalar(select(TaskGroupMember).where(TaskGroupMember.group_id == submission.group_id,
                                                           TaskGroupMember.student_id == user.id))


def started_group_ids(assignment: TaskAssignment) -> set[int]:
    """Groups that have saved, uploaded or handed in anything: their membership is fixed from then on."""
    return set(db.session.scalars(select(TaskSubmission.group_id).join(
        StageEntry, StageEntry.submission_id == TaskSubmission.id).where(
        TaskSubmission.assignment_id == assignment.id, TaskSubmission.group_id.is_not(None)).distinct()))


def ungrouped_learners(assignment: TaskAssignment) -> list[User]:
    """Active learners of the course who are in no group of this assignment (e.g. enrolled later)."""
    grouped = set(db.session.scalars(select(TaskGroupMember.student_id)
                                     .where(TaskGroupMember.assignment_id == assignment.id)))
    return [u for u in courses.learners(assignment.course) if u.id not in grouped]


def _next_group_name(assignment: TaskAssignment, taken: set[str]) -> tuple[str, int]:
    n = 1
    while _("第 %(n)s 组", n=n) in taken:
        n += 1
    return _("第 %(n)s 组", n=n), n


def _add_group(assignment: TaskAssignment, name: str, position: int, student_ids: list[int]) -> TaskGroup:
    group = TaskGroup(assignment_id=assignment.id, name=name, position=position, created_at=clock.now())
    db.session.add(group)
    db.session.flush()
    for sid in student_ids:
        db.session.add(TaskGroupMember(group_id=group.id, assignment_id=assignment.id, student_id=sid))
    db.session.flush()
    _new_submission(assignment, None, group.id)
    return group


def form_groups_automatically(assignment: TaskAssignment, size: int) -> list[TaskGroup]:
    """Replace all groups by ⌈n/size⌉ groups of the active learners (in username order, dealt round so that
    sizes differ by at most one). Refused (409) once any group has started work."""
    _require_group_work(assignment)
    check_group_size(size)
    if started_group_ids(assignment):
        raise Conflict(_("已有小组开始作业，不能再自动分组；请逐个调整。"))
    learners = sorted(courses.learners(assignment.course), key=lambda u: u.username)
    if len(learners) < 1:
        raise ValidationError(_("课程还没有学员，无法分组。"))
    _delete_groups(assignment, [g.id for g in groups_of(assignment)])
    count = -(-len(learners) // size)
    base, extra = divmod(len(learners), count)
    buckets, start = [], 0
    for k in range(count):  # contiguous runs whose sizes differ by at most one
        end = start + base + (1 if k < extra else 0)
        buckets.append([u.id for u in learners[start:end]])
        start = end
    groups = [_add_group(assignment, _("第 %(n)s 组", n=i), i, ids) for i, ids in enumerate(buckets, start=1)]
    assignment.group_size = size
    db.session.flush()
    return groups


def _delete_groups(assignment: TaskAssignment, group_ids: list[int]) -> None:
    """Delete groups that have not started: the database cascades to their submissions (stage rows, peer
    reviews, evaluations) and members."""
    if not group_ids:
        return
    db.session.execute(TaskSubmission.__table__.delete().where(TaskSubmission.group_id.in_(group_ids)))
    db.session.execute(TaskGroupMember.__table__.delete().where(TaskGroupMember.group_id.in_(group_ids)))
    db.session.execute(TaskGroup.__table__.delete().where(TaskGroup.id.in_(group_ids)))
    db.session.expire_all()


def create_group(assignment: TaskAssignment, name: str, students: list[User]) -> TaskGroup:
    """A group formed by hand from learners of the course who are in no group yet (students may be empty:
    fill it by moving students in)."""
    _require_group_work(assignment)
    name = (name or "").strip()
    existing = groups_of(assignment)
    taken = {g.name for g in existing}
    if not name:
        name, _n = _next_group_name(assignment, taken)
    if len(name) > 100 or name in taken:
        raise ValidationError(_("小组名称不能重复，最多 100 个字。"))
    free = {u.id for u in ungrouped_learners(assignment)}
    wrong = [u for u in students if u.id not in free]
    if wrong:
        raise ValidationError(_("%(names)s 不是本课程未分组的学员。",
                                names="、".join(u.full_name or u.username for u in wrong)))
    group = _add_group(assignment, name, max((g.position for g in existing), default=0) + 1,
                       [u.id for u in students])
    return group


def move_member(assignment: TaskAssignment, student: User, target: TaskGroup) -> None:
    """Put a learner into ``target`` (out of their current group, if any). Refused (409) when either group has
    already started work: the shared history must stay whose it was."""
    _require_group_work(assignment)
    if target.assignment_id != assignment.id:
        raise NotFound(_("找不到这个小组。"))
    if not _is_learner(student, assignment.course):
        raise ValidationError(_("%(name)s 不是本课程的学员。", name=student.full_name or student.username))
    member = db.session.scalar(select(TaskGroupMember).where(TaskGroupMember.assignment_id == assignment.id,
                                                             TaskGroupMember.student_id == student.id))
    if member is not None and member.group_id == target.id:
        return
    started = started_group_ids(assignment)
    if target.id in started or (member is not None and member.group_id in started):
        raise Conflict(_("小组已经开始作业，成员不能再调整。"))
    source = member.group_id if member is not None else None
    if member is None:
        db.session.add(TaskGroupMember(group_id=target.id, assignment_id=assignment.id, student_id=student.id))
    else:
        member.group_id = target.id
    db.session.flush()
    # The student's peer reviews were on behalf of their old group (and might now be of their own group):
    # drop them; the old group's turn passes to another of its members below.
    db.session.execute(PeerReview.__table__.delete().where(PeerReview.assignment_id == assignment.id,
                                                           PeerReview.reviewer_id == student.id))
    if source is not None and not db.session.scalar(select(TaskGroupMember.id).where(
            TaskGroupMember.group_id == source).limit(1)):
        _delete_groups(assignment, [source])  # the last member left a group that never started
    db.session.expire_all()
    _assign_group_peers(assignment)


def _is_learner(user: User, course: Course) -> bool:
    from app.courses import permissions as course_permissions

    return course_permissions.is_learner(user, course)


def _start_group_submissions(assignment: TaskAssignment) -> int:
    have = set(db.session.scalars(select(TaskSubmission.group_id).where(
        TaskSubmission.assignment_id == assignment.id, TaskSubmission.group_id.is_not(None))))
    created = 0
    for group in groups_of(assignment):
        if group.id not in have:
            _new_submission(assignment, None, group.id)
            created += 1
    db.session.flush()
    return created


def _assign_group_peers(assignment: TaskAssignment) -> int:
    """互评 between groups: in group order each group's work is reviewed by the next ``peer_count`` groups;
    from each reviewing group one member reviews it, taken in turn so that the reviews spread over the group.
    A group never reviews itself; a group without members reviews nothing."""
    subs = list(db.session.execute(select(TaskSubmission.id, TaskSubmission.group_id).join(
        TaskGroup, TaskGroup.id == TaskSubmission.group_id).where(TaskSubmission.assignment_id == assignment.id)
        .order_by(TaskGroup.position, TaskGroup.id)))
    members = {gid: [m.student_id for m in ms] for gid, ms in members_by_group(assignment).items()}
    subs = [(sid, gid) for sid, gid in subs if members.get(gid)]
    n = len(subs)
    count = min(assignment.peer_count, n - 1)
    if count <= 0:
        return 0
    group_of = {uid: gid for gid, uids in members.items() for uid in uids}
    have = {(sub_id, group_of.get(reviewer)) for sub_id, reviewer in db.session.execute(
        select(PeerReview.submission_id, PeerReview.reviewer_id).where(PeerReview.assignment_id == assignment.id))}
    turns: dict[int, int] = defaultdict(int)
    added, told = 0, set()
    for i, (target_sub, _gid) in enumerate(subs):
        for step in range(1, count + 1):
            _rsub, reviewing = subs[(i + step) % n]
            if (target_sub, reviewing) in have:
                continue
            crew = members[reviewing]
            reviewer = crew[turns[reviewing] % len(crew)]
            turns[reviewing] += 1
            db.session.add(PeerReview(assignment_id=assignment.id, submission_id=target_sub, reviewer_id=reviewer))
            have.add((target_sub, reviewing))
            told.add(reviewer)
            added += 1
    db.session.flush()
    _peers_requested(assignment, told)
    return added


def adjust_member(member: TaskGroupMember, points, reason: str, *, by: User) -> TaskGroupMember:
    """The teacher's adjustment of one member's final score (e.g. did not take part): −30..+30 points with a
    reason; 0 removes it. Recorded with who and when; shown to the student beside the group's score."""
    try:
        value = round(float(points), 1)
    except (TypeError, ValueError):
        raise ValidationError(_("调整分必须是数字。")) from None
    if not -MAX_ADJUSTMENT <= value <= MAX_ADJUSTMENT:
        raise ValidationError(_("调整分须在 -%(n)s 到 %(n)s 之间。", n=MAX_ADJUSTMENT))
    reason = (reason or "").strip()
    if value and not reason:
        raise ValidationError(_("调整个人得分时必须写明原因。"))
    member.adjustment, member.adjustment_reason = value, reason[:2000] if value else ""
    member.adjusted_by_id, member.adjusted_at = by.id, clock.now()
    db.session.flush()
    results_changed.send("work_task", target_id=member.assignment_id, user_ids=[member.student_id])
    return member


def get_member(submission: TaskSubmission, student_id: int) -> TaskGroupMember:
    member = db.session.scalar(select(TaskGroupMember).where(TaskGroupMember.group_id == submission.group_id,
                                                             TaskGroupMember.student_id == student_id)) \
        if submission.group_id else None
    if member is None:
        raise NotFound(_("这位学生不是该小组的成员。"))
    return member


# --- results reaching the gradebook -------------------------------------------------------------------------------

def assignment_student_ids(assignment: TaskAssignment) -> list[int]:
    """Every student whose final score comes from the assignment: the students of its individual submissions, or
    the members of its groups (one query)."""
    if assignment.is_group_work:
        return list(db.session.scalars(select(TaskGroupMember.student_id)
                                       .where(TaskGroupMember.assignment_id == assignment.id)))
    return list(db.session.scalars(select(TaskSubmission.student_id).where(
        TaskSubmission.assignment_id == assignment.id, TaskSubmission.student_id.is_not(None))))


def announce_results(assignment: TaskAssignment) -> None:
    """Tell later domains (the gradebook, certification) that the final scores of the assignment may have
    changed, so that they recompute what they derive from them."""
    ids = assignment_student_ids(assignment)
    if ids:
        results_changed.send("work_task", target_id=assignment.id, user_ids=ids)


def _peer_deadline_sql():
    """``scoring.peer_deadline`` as an SQL expression: the peer deadline, else the latest stage due date."""
    latest_stage = (select(func.max(AssignmentStage.due_at)).where(AssignmentStage.assignment_id == TaskAssignment.id)
                    .correlate(TaskAssignment).scalar_subquery())
    return func.coalesce(TaskAssignment.peer_due_at, latest_stage)


def claim_peer_deadline(assignment_id: int, deadline: datetime) -> bool:
    """Record that the assignment's peer deadline ``deadline`` is being carried over; False when it already was
    (by an earlier run, or by another server a moment ago). One conditional UPDATE decides the single winner."""
    settled = TaskAssignment.peer_deadline_settled_at
    claim = (update(TaskAssignment)
             .where(TaskAssignment.id == assignment_id, or_(settled.is_(None), settled != deadline))
             .values(peer_deadline_settled_at=deadline).execution_options(synchronize_session=False))
    return db.session.execute(claim).rowcount == 1


def settle_peer_deadlines(now: datetime) -> int:
    """Carry every peer deadline that has passed by ``now`` into the gradebooks: from then on missing peer
    reviews no longer hold final scores back (the missing-party rule applies), so the grades, course results,
    transcripts and certificates derived from them are recomputed at once, without anybody visiting a page.

    Each deadline is handled once (:func:`claim_peer_deadline`), also when the scheduler runs twice or on two
    servers at the same moment: PostgreSQL makes the second claim wait for the first and then finds nothing to
    change; SQLite serialises writers. A deadline moved later is handled again when it passes. Flushes; returns
    the number of assignments settled.
    """
    # The scores are computed with the clock: never settle a deadline the clock has not reached.
    now = min(clock.as_utc(now), clock.now())
    deadline = _peer_deadline_sql()
    settled = TaskAssignment.peer_deadline_settled_at
    due = db.session.execute(select(TaskAssignment.id, deadline).where(
        deadline <= now, or_(settled.is_(None), settled != deadline)).order_by(TaskAssignment.id)).all()
    done = 0
    for assignment_id, passed_at in due:
        if claim_peer_deadline(assignment_id, passed_at):
            announce_results(db.session.get(TaskAssignment, assignment_id))
            done += 1
    db.session.flush()
    return done
