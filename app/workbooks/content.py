"""Content section ``workbooks`` (demo loose-leaf workbooks in content/) and a demo step that has the demo
reviewer approve their pages, so that learners see them after ``flask demo seed``.

An item::

    - key: auto-repair-disc-brake          # stable key: loading again updates, never duplicates
      profession: auto-repair
      task: C3-T1                          # optional: learning task code in the profession's course standard
      title: 盘式制动器检修工作页
      description: ...
      pages:                               # in page order
        - title: 获取信息
          stage: inform                    # optional work step key
          task: C3-T1                      # optional, when the page serves another task than the workbook
          effective_date: 2026-09-01
          change_note: 首次发布
          source: |                        # Markdown with ```worksheet blocks (docs/worksheet-fields.md)
            ...

Loading validates every page (Markdown, worksheet fields, task codes) before writing anything. A page whose
title or source changed gets a new draft version (the approved one stays until the new one is approved).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from flask_babel import lazy_gettext as _l

from app.core.content import ContentError, Item, as_date, check_keys, demo_step, section
from app.extensions import db
from app.workbooks.markup import MarkupError, render_page


def _task(profession_id: int, code: str, item: Item):
    from app.standards.models import CourseStandard, IntegratedCourse, LearningTask, StandardVersion

    task = db.session.scalar(
        select(LearningTask).join(IntegratedCourse, LearningTask.course_id == IntegratedCourse.id)
        .join(StandardVersion, IntegratedCourse.version_id == StandardVersion.id)
        .join(CourseStandard, StandardVersion.standard_id == CourseStandard.id)
        .where(CourseStandard.profession_id == profession_id, LearningTask.code == str(code))
        .order_by(StandardVersion.number.desc()).limit(1))
    if task is None:
        raise item.error(_("这个专业的课程标准中没有学习任务“%(code)s”", code=code))
    return task


def _validate(item: Item) -> dict:
    from app.catalog.models import Profession

    item.require("key", "profession", "title")
    profession = db.session.scalar(select(Profession).where(Profession.key == item["profession"]))
    if profession is None:
        raise item.error(_("未知的专业“%(key)s”", key=item["profession"]))
    pages = item.get("pages") or []
    if not isinstance(pages, list) or not all(isinstance(p, Item) for p in pages):
        raise item.error(_("“pages”必须是映射的列表"))
    out = {"item": item, "profession": profession, "title": str(item["title"]),
           "description": str(item.get("description") or ""),
           "task": _task(profession.id, item["task"], item) if item.get("task") else None, "pages": []}
    for page in pages:
        page.require("title", "source")
        try:
            render_page(str(page["source"]))
        except MarkupError as exc:
            line = (page.line or 0) + (exc.line or 0)
            raise ContentError(page.path, line or page.line, exc.message) from None
        out["pages"].append({"title": str(page["title"]), "source": str(page["source"]),
                             "stage": str(page.get("stage") or ""), "change_note": str(page.get("change_note") or ""),
                             "effective_date": as_date(page, "effective_date"),
                             "task": _task(profession.id, page["task"], page) if page.get("task") else None})
    return out


@section("workbooks", order=50)
def load_workbooks(items: list[Item]) -> int:
    from app.workbooks import services
    from app.workbooks.models import Workbook, WorkbookPage

    check_keys(items)
    validated = [_validate(item) for item in items]
    changed = 0
    for data in validated:
        workbook = db.session.scalar(select(Workbook).where(Workbook.key == data["item"]["key"]))
        if workbook is None:
            workbook = services.create_workbook(profession=data["profession"], title=data["title"], author=None,
                                                description=data["description"], learning_task=data["task"],
                                                key=data["item"]["key"])
            changed += 1
        elif (workbook.title, workbook.description, workbook.learning_task_id) != (
                data["title"], data["description"], data["task"].id if data["task"] else None):
            services.update_workbook(workbook, title=data["title"], description=data["description"],
                                     learning_task=data["task"])
            changed += 1
        existing = {p.position: p for p in db.session.scalars(select(WorkbookPage)
                                                                .where(WorkbookPage.workbook_id == workbook.id))}
        for position, page in enumerate(data["pages"], start=1):
            changed += _load_page(workbook, existing.get(position), page)
    return changed


def _load_page(workbook, page, data: dict) -> int:
    from app.workbooks import services

    if page is None:
        services.add_page(workbook, author=None, title=data["title"], source=data["source"],
                          change_note=data["change_note"], effective_date=data["effective_date"], stage=data["stage"],
                          learning_task=data["task"])
        return 1
    latest = services.latest_version(page)
    if latest is not None and (latest.title, latest.source) == (data["title"], data["source"]):
        return 0
    services.save_version(page, author=None, title=data["title"], source=data["source"],
                          change_note=data["change_note"], effective_date=data["effective_date"], stage=data["stage"],
                          learning_task=data["task"])
    return 1


@demo_step(50, _l("活页式教材"))
def approve_demo_workbooks() -> str:
    """Submit (as the demo admin) and approve (as the demo reviewer) every draft page of content workbooks."""
    from app.auth import services as auth
    from app.review import services as review
    from app.workbooks.models import PageVersion, Workbook, WorkbookPage

    admin, reviewer = auth.find_user("admin"), auth.find_user("reviewer")
    if admin is None or reviewer is None:
        return _("缺少演示账号")
    drafts = list(db.session.scalars(
        select(PageVersion).join(WorkbookPage, PageVersion.page_id == WorkbookPage.id)
        .join(Workbook, WorkbookPage.workbook_id == Workbook.id)
        .where(Workbook.key.is_not(None), PageVersion.review_state == "draft")))
    for version in drafts:
        review.submit(version, admin)
        review.approve(version, reviewer, "示范数据：审核通过")
    return _("审核通过 %(n)s 页", n=len(drafts))
