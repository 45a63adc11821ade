"""Content section ``course_standards`` (the same importer as ``flask standards import``) and a demo step that
has the demo reviewer approve the demo standard, so that browsing shows it."""
from __future__ import annotations

from sqlalchemy import select

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.content import ContentError, Item, demo_step, section
from app.extensions import db


@section("course_standards", order=40)
def load_course_standards(items: list[Item]) -> int:
    from app.standards.yamlio import StandardImportError, import_items

    try:
        results = import_items(items)
    except StandardImportError as exc:
        first = items[0] if items else Item()
        raise ContentError(first.path, None, "\n  " + "\n  ".join(exc.errors)) from None
    return sum(1 for _version, changed in results if changed)


@demo_step(40, _l("课程标准"))
def approve_demo_standards() -> str:
    """Submit (as the demo admin) and approve (as the demo reviewer) every draft standard version."""
    from app.auth import services as auth
    from app.review import services as review
    from app.standards.models import StandardVersion

    admin, reviewer = auth.find_user("admin"), auth.find_user("reviewer")
    if admin is None or reviewer is None:
        return _("缺少演示账号")
    drafts = list(db.session.scalars(select(StandardVersion).where(StandardVersion.review_state == "draft")))
    for version in drafts:
        review.submit(version, admin)
        review.approve(version, reviewer, "示范数据：审核通过")
    return _("审核通过 %(n)s 份", n=len(drafts))
