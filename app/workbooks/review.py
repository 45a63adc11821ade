"""Page versions go through review (凡编必审): registered here as the reviewable kind ``page_version``."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db

from app.review.registry import register_kind
from app.workbooks import diffing, permissions, services
from app.workbooks.models import PageVersion, Workbook, WorkbookPage

KIND = "page_version"


def _context(version: PageVersion) -> dict:
    """Workbook title, page number and the newest approved older version: set in bulk by ``_prefetch`` for the
    queue, loaded one by one elsewhere."""
    ctx = getattr(version, "_review_context", None)
    if ctx is None:
        page = version.page
        ctx = {"workbook": page.workbook.title, "position": page.position,
               "previous": services.previous_published(version)}
    return ctx


def _title(version: PageVersion) -> str:
    ctx = _context(version)
    return _("%(workbook)s · 第 %(page)s 页“%(title)s” 第 %(n)s 版", workbook=ctx["workbook"],
             page=ctx["position"], title=version.title, n=version.number)


def _url(version: PageVersion) -> str:
    return url_for("workbooks.version", page_id=version.page_id, number=version.number)


def _diff(version: PageVersion) -> Markup:
    """What changed since the newest approved version (the whole page for a first version)."""
    return diffing.review_html(services.as_text(_context(version)["previous"]), services.as_text(version),
                               version.change_note)


def _prefetch(versions: list[PageVersion]) -> None:
    """Everything the queue shows of many page versions in two statements: their pages' workbook titles and
    numbers, and the approved versions they are compared with."""
    ids = {v.page_id for v in versions}
    if not ids:
        return
    pages = {pid: (title, position) for pid, position, title in db.session.execute(
        select(WorkbookPage.id, WorkbookPage.position, Workbook.title)
        .join(Workbook, Workbook.id == WorkbookPage.workbook_id).where(WorkbookPage.id.in_(ids)))}
    approved: dict[int, list[PageVersion]] = {}
    for old in db.session.scalars(select(PageVersion).where(PageVersion.page_id.in_(ids),
                                                            PageVersion.review_state == "approved")
                                  .order_by(PageVersion.number.desc())):
        approved.setdefault(old.page_id, []).append(old)
    for version in versions:
        title, position = pages[version.page_id]
        previous = next((o for o in approved.get(version.page_id, []) if o.number < version.number), None)
        version._review_context = {"workbook": title, "position": position, "previous": previous}


register_kind(
    KIND, model=PageVersion, label=_l("活页"), title=_title, url=_url, diff=_diff,
    owner_id=lambda version: version.author_id, prefetch=_prefetch,
    # Looked up at call time: this module is imported while app.workbooks.services may still be loading.
    on_approve=lambda version: services.publish_version(version),
    on_withdraw=lambda version: services.unpublish_version(version),
    can_submit=lambda user, version: permissions.can_edit_workbook(user, version.page.workbook),
)
