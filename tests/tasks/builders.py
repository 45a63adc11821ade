"""Work-task test data through the real services: the content standard and the disc-brake workbook approved,
a class course with learners, and a task assignment of learning task C3-T1."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.standards.models import LearningTask, StandardVersion
from app.tasks import services
from app.workbooks.models import PageVersion, Workbook, WorkbookPage
from tests import factories
from tests.courses import builders as course_builders


def publish_content() -> None:
    """Approve the content standard and workbook pages (the demo seed does this with the demo accounts)."""
    from app.review import services as review

    admin, reviewer = factories.user("platform_admin"), factories.user("reviewer")
    drafts = list(db.session.scalars(select(StandardVersion).where(StandardVersion.review_state == "draft")))
    drafts += list(db.session.scalars(
        select(PageVersion).join(WorkbookPage, PageVersion.page_id == WorkbookPage.id)
        .join(Workbook, WorkbookPage.workbook_id == Workbook.id)
        .where(Workbook.key == "auto-repair-disc-brake", PageVersion.review_state == "draft")))
    for version in drafts:
        review.submit(version, admin)
        review.approve(version, reviewer, "ok")
    db.session.flush()


def learning_task(code: str = "C3-T1") -> LearningTask:
    from app.standards.models import CourseStandard, IntegratedCourse

    return db.session.scalar(select(LearningTask).join(IntegratedCourse, LearningTask.course_id == IntegratedCourse.id)
                             .join(CourseStandard, CourseStandard.current_version_id == IntegratedCourse.version_id)
                             .where(LearningTask.code == code))


def assignment(teacher=None, *, students: int = 3, **options):
    """(assignment, course, teacher, learners) with the content published."""
    publish_content()
    teacher = teacher or factories.user("teacher")
    course, learners = course_builders.course(teacher, students=students)
    a = services.create_assignment(course, learning_task(), by=teacher, **options)
    return a, course, teacher, learners


def stage(a, key: str):
    return next(s for s in a.stages if s.key == key)


def walk_to(a, submission, student, teacher, key: str) -> None:
    """Hand in every stage before ``key`` (approving those that need it), uploading evidence where required."""
    import io

    from werkzeug.datastructures import FileStorage

    for s in a.stages:
        if s.key == key:
            return
        if s.requires_evidence:
            services.upload_to_stage(submission, s, FileStorage(io.BytesIO(jpeg()), "p.jpg"), field="", by=student)
        services.save_stage(submission, s, answers_for(a, s), by=student, submit=True)
        if s.requires_approval:
            services.decide_stage(submission, s, by=teacher, approve=True)


def answers_for(a, s) -> dict:
    """Valid answers for every required text/table/checklist field of a stage."""
    raw = {}
    for f in services.stage_fields(a, s):
        d = f.definition
        if f.type in ("text", "long_text"):
            raw[f.answer_key] = "记录"
        elif f.type == "checklist":
            raw[f.answer_key] = list(range(len(d["items"])))
        elif f.type == "table":
            rows = len(d.get("row_labels") or []) or d["rows"]
            raw[f.answer_key] = [{c["key"]: ("1" if c["type"] == "number" else "x") for c in d["columns"]}
                                 for _ in range(rows)]
    return raw


def jpeg(size=(40, 30), orientation: int | None = None) -> bytes:
    import io

    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1] // 4))
    out = io.BytesIO()
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(out, "JPEG", exif=exif, quality=70)
    else:
        image.save(out, "JPEG", quality=70)
    return out.getvalue()
