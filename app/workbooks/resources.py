"""The profession's resource package lists approved workbook pages under the learning task they serve."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.extensions import db
from app.standards.resources import ResourceLink, register_resource_provider, url_maker
from app.workbooks.models import PageVersion, Workbook, WorkbookPage

KIND = "workbook_page"


def _task_column():
    # A page serves its own task, else its workbook's.
    return func.coalesce(WorkbookPage.learning_task_id, Workbook.learning_task_id)


def _published_pages(task_ids: list[int]):
    """Approved current versions of pages linked (directly or through their workbook) to ``task_ids``."""
    task = _task_column()
    return (select(task, WorkbookPage.id, WorkbookPage.position, WorkbookPage.stage, Workbook.title,
                   PageVersion.title, PageVersion.number)
            .join(Workbook, Workbook.id == WorkbookPage.workbook_id)
            .join(PageVersion, PageVersion.id == WorkbookPage.current_version_id)
            .where(task.in_(task_ids), PageVersion.review_state == "approved")
            .order_by(Workbook.title, WorkbookPage.position))


def _links(stmt) -> dict[int, list[ResourceLink]]:
    out: dict[int, list[ResourceLink]] = {}
    # Translated and routed once, formatted per row (hundreds of pages on a profession page).
    detail, page_url = _("第 %(p)s 页 · 第 %(n)s 版"), url_maker("workbooks.page", "page_id")
    for task_id, page_id, position, stage, workbook_title, title, number in db.session.execute(stmt):
        out.setdefault(task_id, []).append(ResourceLink(
            KIND, f"{workbook_title} · {title}", page_url(page_id), detail=detail % {"p": position, "n": number},
            stage_key=stage or None))
    return out


def pages_for_tasks(task_ids: list[int]) -> dict[int, list[ResourceLink]]:
    """One statement, whatever the number of tasks and pages."""
    return _links(_published_pages(task_ids))


def search_pages(q: str, task_ids: list[int]) -> dict[int, list[ResourceLink]]:
    """Approved pages whose title, workbook title or text contains ``q``."""
    q = q.strip()  # autoescape: a searched % or _ is a character, not a wildcard
    return _links(_published_pages(task_ids).where(or_(PageVersion.title.icontains(q, autoescape=True),
                                                       PageVersion.source.icontains(q, autoescape=True),
                                                       Workbook.title.icontains(q, autoescape=True))))


register_resource_provider(KIND, pages_for_tasks, label=_l("活页"), search=search_pages)
