"""The gradebook: structure, grade entry with optimistic locking, overrides, batched recomputation,
learner reports, transcripts and the skill-level eligibility report. Services flush; callers commit."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from app import DOMAINS
from app.auth.models import User
from app.core import clock, signals
from app.core.i18n import fmt_score
from app.core.signals import results_changed
from app.courses import services as courses
from app.courses.models import Cohort, Course, CourseKind, Enrollment, EnrollmentRole, EnrollmentStatus
from app.errors import Conflict, NotFound, ValidationError, get_or_raise
from app.extensions import db
from app.grading.compute import FinalResult, Plan
from app.grading.models import FinalGrade, FinalStatus, Grade, GradeCategory, GradeFile, GradeItem, GradeOverride
from app.grading.sources import SOURCES, get_source, load_sources

load_sources(DOMAINS)


# --- structure ----------------------------------------------------------------------------------------------

def categories(course: Course) -> list[GradeCategory]:
    return list(db.session.scalars(select(GradeCategory).where(GradeCategory.course_id == course.id).order_by(
        GradeCategory.position, GradeCategory.id)))


def items(course: Course) -> list[GradeItem]:
    return list(db.session.scalars(select(GradeItem).where(GradeItem.course_id == course.id).order_by(
        GradeItem.position, GradeItem.id)))


def get_category(course: Course, category_id: int) -> GradeCategory:
    return get_or_raise(GradeCategory, category_id, _("成绩类别不存在。"), belongs_to={"course_id": course.id})


def get_item(course: Course, item_id: int) -> GradeItem:
    return get_or_raise(GradeItem, item_id, _("成绩项不存在。"), belongs_to={"course_id": course.id})


def _check_weight(weight) -> float:
    if weight is None or float(weight) < 0 or float(weight) > 1000:
        raise ValidationError(_("权重必须在 0 到 1000 之间。"))
    return float(weight)


def _check_parent(course: Course, category: GradeCategory | None, parent_id: int | None) -> None:
    """Refuse a parent in another course, or one that would put a category inside itself (a cycle)."""
    if parent_id is None:
        return
    parents = {c.id: c.parent_id for c in categories(course)}
    if parent_id not in parents:
        raise ValidationError(_("上级类别不属于本课程。"))
    node, steps = parent_id, 0
    while node is not None and steps <= len(parents):
        if category is not None and node == category.id:
            raise ValidationError(_("不能把类别“%(name)s”放到它自己或它的子类别下面：这会形成循环。",
                                    name=category.name))
        node, steps = parents.get(node), steps + 1


def save_category(course: Course, category: GradeCategory | None, *, name: str, weight: float = 1.0,
                  drop_lowest: int = 0, parent_id: int | None = None) -> GradeCategory:
    """Create or edit a category (nesting allowed, cycles refused)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写类别名称。"))
    if drop_lowest is None or int(drop_lowest) < 0 or int(drop_lowest) > 20:
        raise ValidationError(_("去掉最低分的个数必须在 0 到 20 之间。"))
    _check_parent(course, category, parent_id)
    if category is None:
        category = GradeCategory(course_id=course.id, position=len(categories(course)) + 1)
        db.session.add(category)
    category.name, category.weight = name[:100], _check_weight(weight)
    category.drop_lowest, category.parent_id = int(drop_lowest), parent_id
    db.session.flush()
    return category


def save_item(course: Course, item: GradeItem | None, *, name: str, kind: str = "manual", max_points: float = 100,
              weight: float = 1.0, category_id: int | None = None, min_score: float | None = None,
              hidden: bool = False, target_id: int | None = None) -> GradeItem:
    """Create or edit a grade item of a registered kind."""
    source = get_source(kind)
    if source is None:
        raise ValidationError(_("未知的成绩项类型：%(kind)s", kind=kind))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写成绩项名称。"))
    if max_points is None or not 0 < float(max_points) <= 10000:
        raise ValidationError(_("满分必须大于 0。"))
    if min_score is not None and not 0 <= float(min_score) <= float(max_points):
        raise ValidationError(_("最低要求必须在 0 到满分之间。"))
    if source.needs_target and not target_id:
        raise ValidationError(_("请选择该成绩项对应的对象。"))
    if source.needs_target and target_id not in {tid for tid, _label in source.targets(course)}:
        raise ValidationError(_("所选对象不在本课程可用的范围内，请从列表中选择。"))
    if category_id is not None:
        get_category(course, category_id)
    if item is None:
        item = GradeItem(course_id=course.id, position=len(items(course)) + 1)
        db.session.add(item)
    was_hidden = item.hidden
    item.name, item.kind, item.max_points = name[:200], kind, float(max_points)
    item.weight, item.category_id = _check_weight(weight), category_id
    item.min_score = None if min_score is None else float(min_score)
    item.hidden, item.target_id = bool(hidden), target_id if source.needs_target else None
    db.session.flush()
    if was_hidden and not item.hidden:
        signals.grade_released.send("grading", item_id=item.id)
    return item


def set_hidden(item: GradeItem, hidden: bool) -> None:
    """Hide a grade item from the learners, or release it (公布): releasing tells the graded learners."""
    released = item.hidden and not hidden
    item.hidden = bool(hidden)
    db.session.flush()
    if released:
        signals.grade_released.send("grading", item_id=item.id)


# --- grade entry (optimistic concurrency) ---------------------------------------------------------------------

def _grade_row(item: GradeItem, user_id: int, expected_version: int | None) -> Grade:
    """The grade row to change, checking the version the editor saw (0 = they saw no grade)."""
    # FOR UPDATE (PostgreSQL): of two edits made from the same version, the second waits and then sees the first.
    grade = db.session.scalar(select(Grade).where(Grade.item_id == item.id, Grade.user_id == user_id)
                              .with_for_update().execution_options(populate_existing=True))
    current = grade.version if grade is not None else 0
    if expected_version is not None and expected_version != current:
        raise Conflict(_("该成绩刚被其他人修改过（您看到的是旧版本），请刷新后再改。"),
                       details={"current_version": current})
    if grade is None:
        grade = Grade(item_id=item.id, user_id=user_id, version=0)
        db.session.add(grade)
    return grade


def _check_learner(course: Course, user_id: int) -> None:
    if db.session.scalar(select(Enrollment.id).where(Enrollment.course_id == course.id, Enrollment.user_id == user_id,
                                                     Enrollment.role == EnrollmentRole.learner.value)) is None:
        raise NotFound(_("该学员不在本课程中。"))


def _check_points(item: GradeItem, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValidationError(_("分数必须是数字。")) from None
    if not 0 <= value <= item.max_points:
        raise ValidationError(_("分数必须在 0 到 %(max)s 之间。", max=fmt_score(item.max_points)))
    return round(value, 2)


def set_manual_grade(course: Course, item: GradeItem, user_id: int, value, *, by: User,
                     expected_version: int | None) -> Grade:
    """Enter the points of a manual item (None clears them). Refused with 409 if the version moved on."""
    if not get_source(item.kind).entered_by_hand:
        raise ValidationError(_("“%(item)s”由系统计算，不能手工录入；如需调整请使用“覆盖成绩”并填写原因。",
                                item=item.name))
    _check_learner(course, user_id)
    grade = _grade_row(item, user_id, expected_version)
    grade.value = None if value in (None, "") else _check_points(item, value)
    grade.source, grade.computed_at = f"manual:{by.username}"[:64], clock.now()
    grade.version += 1
    db.session.flush()
    recompute_finals(course, user_ids=[user_id])
    return grade


def override_grade(course: Course, item: GradeItem, user_id: int, value, *, reason: str, by: User,
                   expected_version: int | None) -> GradeOverride:
    """Record an override beside the computed grade (value None withdraws it). A reason is required."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError(_("覆盖成绩必须填写原因。"))
    _check_learner(course, user_id)
    grade = _grade_row(item, user_id, expected_version)
    points = None if value in (None, "") else _check_points(item, value)
    db.session.flush()
    override = GradeOverride(grade_id=grade.id, value=points, reason=reason[:2000], created_by_id=by.id)
    db.session.add(override)
    grade.overridden, grade.override_value = points is not None, points
    grade.version += 1
    db.session.flush()
    recompute_finals(course, user_ids=[user_id])
    return override


# --- feedback files (反馈附件) -------------------------------------------------------------------------------------

#: Files one learner's grade on an item may carry (a few marked-up photos and a PDF).
MAX_GRADE_FILES = 5
GRADE_FILE_KINDS = ("image", "document")


def grade_files(item: GradeItem, user_id: int) -> list[GradeFile]:
    return list(db.session.scalars(select(GradeFile).where(GradeFile.item_id == item.id, GradeFile.user_id == user_id)
                                   .order_by(GradeFile.id)))


def grade_files_of_learner(course: Course, user_id: int) -> dict[int, list[GradeFile]]:
    """A learner's feedback files in the course by item id, in one statement."""
    found: dict[int, list[GradeFile]] = {}
    for f in db.session.scalars(select(GradeFile).join(GradeItem, GradeItem.id == GradeFile.item_id).where(
            GradeItem.course_id == course.id, GradeFile.user_id == user_id).order_by(GradeFile.id)):
        found.setdefault(f.item_id, []).append(f)
    return found


def get_grade_file(course: Course, file_id: int) -> GradeFile:
    grade_file = db.session.get(GradeFile, file_id)
    if grade_file is None or grade_file.item.course_id != course.id:
        raise NotFound(_("文件不存在。"))
    return grade_file


def attach_grade_files(course: Course, item: GradeItem, user_id: int, file_storages, *, by: User) -> list[GradeFile]:
    """Store the teacher's feedback files on a learner's grade (photos EXIF-rotated and shrunk, documents
    sniffed). All or nothing: if one file is refused, none of this call's files is kept."""
    from app.media.services import attach_files

    _check_learner(course, user_id)
    chosen = [f for f in file_storages if f is not None and getattr(f, "filename", "")]
    if not chosen:
        raise ValidationError(_("请选择要上传的照片或文件。"))
    present = len(grade_files(item, user_id))
    if present + len(chosen) > MAX_GRADE_FILES:
        raise ValidationError(_("每项成绩最多附加 %(n)s 个反馈文件（已有 %(have)s 个）。", n=MAX_GRADE_FILES, have=present))
    return attach_files(chosen, GRADE_FILE_KINDS, prefix="feedback", actor=by,
                        link=lambda media: GradeFile(item_id=item.id, user_id=user_id, media_file_id=media.id,
                                                     created_by_id=by.id))


def override_history(grade: Grade) -> list[GradeOverride]:
    return list(db.session.scalars(select(GradeOverride).where(GradeOverride.grade_id == grade.id).order_by(
        GradeOverride.id.desc())))


def get_grade(item: GradeItem, user_id: int) -> Grade | None:
    return db.session.scalar(select(Grade).where(Grade.item_id == item.id, Grade.user_id == user_id))


# --- batched recomputation -----------------------------------------------------------------------------------

def learner_ids(course: Course) -> list[int]:
    return list(db.session.scalars(select(Enrollment.user_id).where(
        Enrollment.course_id == course.id, Enrollment.role == EnrollmentRole.learner.value,
        Enrollment.status == EnrollmentStatus.active.value)))


def sync_computed_grades(course: Course, course_items: Sequence[GradeItem], user_ids: Sequence[int]) -> int:
    """Ask each source for its items' points (one batch per kind) and write what changed in bulk."""
    by_kind: dict[str, list[GradeItem]] = {}
    for item in course_items:
        if not get_source(item.kind).entered_by_hand:
            by_kind.setdefault(item.kind, []).append(item)
    if not by_kind or not user_ids:
        return 0
    computed: dict[tuple[int, int], float | None] = {}
    labels = {}
    for kind, kind_items in by_kind.items():
        source = SOURCES[kind]
        computed.update(source.compute(kind_items, user_ids))
        labels.update({i.id: source.source_label(i) for i in kind_items})
    item_ids = [i.id for kind_items in by_kind.values() for i in kind_items]
    existing = {(r.item_id, r.user_id): r for r in db.session.execute(
        select(Grade.id, Grade.item_id, Grade.user_id, Grade.value, Grade.version).where(
            Grade.item_id.in_(item_ids), Grade.user_id.in_(list(user_ids))))}
    now, inserts, updates = clock.now(), [], []
    for (item_id, user_id), value in computed.items():
        row = existing.get((item_id, user_id))
        if row is None:
            if value is not None:
                inserts.append({"item_id": item_id, "user_id": user_id, "value": value, "source": labels[item_id],
                                "computed_at": now, "version": 1, "overridden": False})
        elif row.value != value:
            updates.append({"id": row.id, "value": value, "source": labels[item_id], "computed_at": now,
                            "version": row.version + 1})
    if inserts:
        db.session.execute(insert(Grade), inserts)
    if updates:
        db.session.execute(update(Grade), updates)
    return len(inserts) + len(updates)


def effective_points(course_items: Sequence[GradeItem], user_ids: Sequence[int], *,
                     all_of_course: bool = False) -> dict[int, dict[int, float | None]]:
    """{user_id: {item_id: effective points}} in one query. With ``all_of_course`` the query reads every grade
    of the items and filters in Python: a 1,000-value IN list costs more to compile than the rows to skip."""
    out: dict[int, dict[int, float | None]] = {uid: {} for uid in user_ids}
    if not course_items or not user_ids:
        return out
    table = Grade.__table__  # Core columns: no ORM row bookkeeping for ten thousand rows
    stmt = select(table.c.item_id, table.c.user_id, table.c.value, table.c.overridden, table.c.override_value).where(
        table.c.item_id.in_([i.id for i in course_items]))
    if not all_of_course:
        stmt = stmt.where(table.c.user_id.in_(list(user_ids)))
    for item_id, user_id, value, overridden, override_value in db.session.execute(stmt):
        points = out.get(user_id)
        if points is not None:
            points[item_id] = override_value if overridden else value
    return out


def recompute_finals(course: Course, *, user_ids: Sequence[int] | None = None, sync: bool = True) -> int:
    """Recompute learners' final grades: a handful of queries for the whole course, compute in Python,
    write in bulk. Returns the number of learners computed."""
    whole = user_ids is None
    ids = learner_ids(course) if whole else list(user_ids)
    if not ids:
        return 0
    cats, course_items = categories(course), items(course)
    if sync:
        sync_computed_grades(course, course_items, ids)
    plan = Plan(cats, course_items)
    points = effective_points(course_items, ids, all_of_course=whole)
    stmt = select(FinalGrade.id, FinalGrade.user_id).where(FinalGrade.course_id == course.id)
    if not whole:
        stmt = stmt.where(FinalGrade.user_id.in_(ids))
    existing = {r.user_id: r.id for r in db.session.execute(stmt)}
    now, inserts, updates = clock.now(), [], []
    for uid in ids:
        result = plan.evaluate(points[uid], course.pass_mark)
        row = {"value": result.value, "status": result.status, "reason": "\n".join(result.reasons), "computed_at": now}
        if uid in existing:
            updates.append({"row_id": existing[uid], **row})
        else:
            inserts.append({"course_id": course.id, "user_id": uid, **row})
    # Core executemany, not ORM bulk: the ORM's per-row bookkeeping costs more than the computation.
    table = FinalGrade.__table__
    if inserts:
        db.session.execute(table.insert(), inserts)
    if updates:
        db.session.execute(table.update().where(table.c.id == bindparam("row_id")).values(
            value=bindparam("value"), status=bindparam("status"), reason=bindparam("reason"),
            computed_at=bindparam("computed_at")), updates)
    return len(ids)


def recompute_for_source(kind: str, *, target_id: int, user_ids: Sequence[int]) -> int:
    """Recompute the grades and finals of ``user_ids`` in every course with an item of ``kind`` on
    ``target_id`` (e.g. every course that grades this exam). Returns the number of courses touched."""
    course_ids = list(db.session.scalars(select(GradeItem.course_id).where(
        GradeItem.kind == kind, GradeItem.target_id == target_id).distinct()))
    for course in db.session.scalars(select(Course).where(Course.id.in_(course_ids))) if course_ids else []:
        enrolled = set(learner_ids(course))
        ids = [uid for uid in user_ids if uid in enrolled]
        if ids:
            recompute_finals(course, user_ids=ids)
    return len(course_ids)


@results_changed.connect
def _on_results_changed(kind, *, target_id: int, user_ids: Sequence[int], **_extra) -> None:
    """A source's results changed (an attempt graded, a task scored): bring the gradebooks up to date."""
    recompute_for_source(kind, target_id=target_id, user_ids=list(user_ids))


# --- reading ---------------------------------------------------------------------------------------------------

@dataclass
class Gradebook:
    course: Course
    learners: list[User]
    categories: list[GradeCategory]
    items: list[GradeItem]
    #: {(item_id, user_id): Grade}
    grades: dict
    #: {user_id: FinalGrade}
    finals: dict


def gradebook(course: Course, learners: list[User] | None = None) -> Gradebook:
    """Everything the teachers' gradebook page shows, in a constant number of queries."""
    learners = courses.learners(course) if learners is None else learners
    ids = [u.id for u in learners]
    course_items = items(course)
    grades = {}
    if ids and course_items:
        for g in db.session.scalars(select(Grade).where(Grade.item_id.in_([i.id for i in course_items]),
                                                        Grade.user_id.in_(ids))):
            grades[(g.item_id, g.user_id)] = g
    finals = {f.user_id: f for f in db.session.scalars(select(FinalGrade).where(
        FinalGrade.course_id == course.id, FinalGrade.user_id.in_(ids)))} if ids else {}
    return Gradebook(course, learners, categories(course), course_items, grades, finals)


def learner_report(course: Course, user_id: int) -> tuple[FinalResult, list[GradeItem], dict]:
    """How a learner's final is computed: the evaluated tree (weights, shares, dropped items, minimums)."""
    cats, course_items = categories(course), items(course)
    points = effective_points(course_items, [user_id])[user_id]
    grades = {g.item_id: g for g in db.session.scalars(select(Grade).where(
        Grade.user_id == user_id, Grade.item_id.in_([i.id for i in course_items])))} if course_items else {}
    return Plan(cats, course_items).evaluate(points, course.pass_mark), [i for i in course_items if not i.hidden], grades


def export_rows(book: Gradebook) -> tuple[list[str], list[list]]:
    """Header and rows of the gradebook export (effective grades; overrides marked)."""
    headers = [_("用户名"), _("姓名")] + [f"{i.name}（{_fmt(i.max_points)}）" for i in book.items] + [_("总评"), _("结果")]
    labels = status_labels()
    rows = []
    for user in book.learners:
        row = [user.username, user.full_name]
        for item in book.items:
            grade = book.grades.get((item.id, user.id))
            row.append(None if grade is None else grade.effective)
        final = book.finals.get(user.id)
        row += [final.value if final else None, labels[final.status] if final else labels["pending"]]
        rows.append(row)
    return headers, rows


def status_labels() -> dict[str, str]:
    return {FinalStatus.passed.value: _("通过"), FinalStatus.failed.value: _("不及格"),
            FinalStatus.pending.value: _("待定")}


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# --- transcripts and skill-level eligibility --------------------------------------------------------------------

@dataclass
class TranscriptLine:
    course: Course
    final: FinalGrade | None
    #: The 职业技能等级 a passed class course counts toward (None for training courses / no level).
    skill_level: object | None


def transcript(user: User) -> list[TranscriptLine]:
    """Every course the user learned in (active or not), with the result and the skill level it counts toward."""
    rows = db.session.execute(select(Course, FinalGrade).join(Enrollment, Enrollment.course_id == Course.id).outerjoin(
        FinalGrade, (FinalGrade.course_id == Course.id) & (FinalGrade.user_id == user.id)).where(
        Enrollment.user_id == user.id, Enrollment.role == EnrollmentRole.learner.value).order_by(Course.term, Course.id))
    lines = []
    for course, final in rows:
        level = course.training_level.skill_level if (course.kind == CourseKind.class_course.value
                                                       and course.training_level is not None) else None
        lines.append(TranscriptLine(course, final, level))
    return lines


@dataclass
class EligibilityRow:
    student: User
    passed: int
    required: int
    missing: list[str]
    eligible: bool


@dataclass
class EligibilityReport:
    cohort: Cohort
    courses: list[Course]
    rows: list[EligibilityRow]
    skill_level: object | None
    #: Why nobody can be eligible (profession not 工学一体化, no level, no courses), or "".
    blocker: str


def eligibility(cohort: Cohort) -> EligibilityReport:
    """工学一体化 graduation condition for 职业技能等级认定 (see docs/gradebook.md):

    a student of a cohort is eligible for the skill level of the cohort's training level when the cohort's
    profession is a 工学一体化 profession and the student PASSED every class course of that profession and
    level that the cohort was enrolled in (there must be at least one). Constant number of queries.
    """
    level = cohort.training_level.skill_level if cohort.training_level else None
    all_courses = courses.courses_of_cohort(cohort)
    required = [c for c in all_courses if c.kind == CourseKind.class_course.value
                and c.profession_id == cohort.profession_id and c.training_level_id == cohort.training_level_id]
    blocker = ""
    if cohort.profession is None or not cohort.profession.is_integrated:
        blocker = _("该班级的专业不是工学一体化专业，不适用工学一体化毕业生职业技能等级认定。")
    elif level is None:
        blocker = _("该班级的培养层级没有对应的职业技能等级。")
    elif not required:
        blocker = _("该班级还没有本专业本层级的班级课程。")
    students = courses.cohort_members(cohort)
    passed = set()
    if required and students:
        rows = db.session.execute(select(FinalGrade.user_id, FinalGrade.course_id).where(
            FinalGrade.course_id.in_([c.id for c in required]), FinalGrade.user_id.in_([s.id for s in students]),
            FinalGrade.status == FinalStatus.passed.value))
        passed = {(user_id, course_id) for user_id, course_id in rows}
    rows = []
    for student in students:
        missing = [c.title for c in required if (student.id, c.id) not in passed]
        rows.append(EligibilityRow(student, len(required) - len(missing), len(required), missing,
                                   not blocker and not missing))
    return EligibilityReport(cohort, required, rows, level, blocker)


def eligibility_export(report: EligibilityReport) -> tuple[list[str], list[list]]:
    headers = [_("用户名"), _("姓名"), _("班级"), _("专业"), _("职业技能等级"), _("已通过课程"), _("应通过课程"),
               _("未通过课程"), _("是否符合认定条件")]
    level = report.skill_level.name if report.skill_level else ""
    profession = report.cohort.profession.name if report.cohort.profession else ""
    rows = [[r.student.username, r.student.full_name, report.cohort.name, profession, level, r.passed, r.required,
             "、".join(r.missing), _("符合") if r.eligible else _("不符合")] for r in report.rows]
    return headers, rows
