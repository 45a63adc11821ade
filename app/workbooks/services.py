"""Workbooks: create them, write page versions, read what a user may see, compare versions.

Services flush, never commit. Review moves (submit, approve ...) go through :mod:`app.review.services`; this
module reacts to them through the hooks registered in :mod:`app.workbooks.review`.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, joinedload, lazyload

from app.core import clock
from app.core.i18n import by_pinyin
from app.errors import Conflict, NotFound, ValidationError, get_or_raise
from app.extensions import db
from app.review.models import ReviewState
from app.workbooks import diffing, links
from app.workbooks.markup import MarkupError, render_page
from app.workbooks.models import PageVersion, Workbook, WorkbookPage

APPROVED = ReviewState.approved.value


# Pages show the profession's name and authors' names only: load those with joins and keep the catalogue's and
# accounts' own eager loaders (training levels, roles) from adding a statement per page.
def _workbook_opts(path=None):
    from app.catalog.models import Profession

    rel = (path.joinedload(Workbook.profession) if path is not None
           else joinedload(Workbook.profession))
    return rel.lazyload(Profession.levels)


def _author_opts(entity=None):
    from app.auth.models import User

    return joinedload((entity or PageVersion).author).lazyload(User.roles)


def _page_opts():
    from app.standards.models import LearningTask

    return (_workbook_opts(joinedload(WorkbookPage.workbook)),
            joinedload(WorkbookPage.workbook).joinedload(Workbook.learning_task).joinedload(LearningTask.course),
            joinedload(WorkbookPage.learning_task).joinedload(LearningTask.course),
            joinedload(WorkbookPage.current_version).options(_author_opts()))


def _version_opts(entity=None):
    entity = entity or PageVersion
    return (_author_opts(entity),)


# --- loading ----------------------------------------------------------------------------------------------------

def get_workbook(workbook_id: int) -> Workbook:
    """The workbook with its profession, or NotFound."""
    return get_or_raise(Workbook, workbook_id, _("活页教材不存在。"), options=[_workbook_opts()])


def get_page(page_id: int) -> WorkbookPage:
    """The page with its workbook, tasks and current version, or NotFound."""
    return get_or_raise(WorkbookPage, page_id, _("活页不存在。"), options=_page_opts())


def get_version(page: WorkbookPage, number: int, *, include_unpublished: bool) -> PageVersion:
    """Version ``number`` of ``page``; unpublished versions are NotFound for readers who may not see them."""
    stmt = (select(PageVersion).options(*_version_opts())
            .where(PageVersion.page_id == page.id, PageVersion.number == number))
    if not include_unpublished:
        stmt = stmt.where(PageVersion.review_state == APPROVED)
    version = db.session.scalar(stmt)
    if version is None:
        raise NotFound(_("该版本不存在或尚未发布。"))
    return version


def latest_version(page: WorkbookPage) -> PageVersion | None:
    """The page's newest version in any state (what its editor continues from)."""
    return db.session.scalar(select(PageVersion).options(*_version_opts())
                             .where(PageVersion.page_id == page.id, PageVersion.number == page.latest_number))


def reading_version(page: WorkbookPage, *, include_unpublished: bool) -> PageVersion:
    """What a reader sees by default: the newest version for editors and reviewers, else the approved one."""
    version = latest_version(page) if include_unpublished else page.current_version
    if version is None:
        raise NotFound(_("该活页尚未发布。"))
    return version


@dataclass
class WorkbookRow:
    workbook: Workbook
    pages: int
    published_pages: int


def workbooks_of_profession(profession_id: int, *, include_unpublished: bool) -> list[WorkbookRow]:
    """Workbooks of a profession with their page counts, in one statement. Readers only see workbooks that have
    at least one published page."""
    published = func.count(WorkbookPage.current_version_id)
    stmt = (select(Workbook, func.count(WorkbookPage.id), published).options(_workbook_opts())
            .outerjoin(WorkbookPage, WorkbookPage.workbook_id == Workbook.id)
            .where(Workbook.profession_id == profession_id)
            .group_by(Workbook.id).order_by(Workbook.title, Workbook.id))
    if not include_unpublished:
        stmt = stmt.having(published > 0)
    return [WorkbookRow(w, total, pub) for w, total, pub in db.session.execute(stmt).unique()]


@dataclass
class PageRow:
    page: WorkbookPage
    #: The approved version (what learners read), or None.
    current: PageVersion | None
    #: The newest version in any state (None for readers who may not see unpublished versions).
    latest: PageVersion | None

    @property
    def shown(self) -> PageVersion | None:
        return self.latest or self.current


def pages_of_workbook(workbook: Workbook, *, include_unpublished: bool) -> list[PageRow]:
    """Pages in order, each with its current version (and the newest one for editors), in one statement."""
    if not include_unpublished:
        stmt = (select(WorkbookPage).options(*_page_opts()).where(WorkbookPage.workbook_id == workbook.id,
                                           WorkbookPage.current_version_id.is_not(None))
                .order_by(WorkbookPage.position))
        return [PageRow(p, p.current_version, None) for p in db.session.scalars(stmt)]
    latest = aliased(PageVersion)
    stmt = (select(WorkbookPage, latest).options(*_page_opts())
            .outerjoin(latest, and_(latest.page_id == WorkbookPage.id, latest.number == WorkbookPage.latest_number))
            .where(WorkbookPage.workbook_id == workbook.id).order_by(WorkbookPage.position))
    return [PageRow(p, p.current_version, v) for p, v in db.session.execute(stmt).unique()]


def versions_of(page: WorkbookPage, *, include_unpublished: bool) -> list[PageVersion]:
    """A page's history, newest first (readers see approved versions only)."""
    stmt = (select(PageVersion).options(*_version_opts()).where(PageVersion.page_id == page.id)
            .order_by(PageVersion.number.desc()))
    if not include_unpublished:
        stmt = stmt.where(PageVersion.review_state == APPROVED)
    return list(db.session.scalars(stmt))


# --- writing ----------------------------------------------------------------------------------------------------

def create_workbook(*, profession, title: str, author, description: str = "", integrated_course=None,
                    learning_task=None, key: str | None = None) -> Workbook:
    """Start a workbook for a profession (optionally for one integrated course or learning task)."""
    title = one_line(title)
    if not title:
        raise ValidationError(_("请填写标题。"))
    if learning_task is not None and integrated_course is None:
        integrated_course = learning_task.course
    links.check(profession.id, integrated_course, learning_task)
    workbook = Workbook(profession=profession, title=title, description=(description or "").strip(),
                        integrated_course=integrated_course, learning_task=learning_task,
                        created_by_id=author.id if author else None, key=key)
    db.session.add(workbook)
    db.session.flush()
    return workbook


def update_workbook(workbook: Workbook, *, title: str, description: str = "", integrated_course=None,
                    learning_task=None) -> Workbook:
    """Change a workbook's title, description and links (pages and their versions are untouched)."""
    title = one_line(title)
    if not title:
        raise ValidationError(_("请填写标题。"))
    if learning_task is not None and integrated_course is None:
        integrated_course = learning_task.course
    links.check(workbook.profession_id, integrated_course, learning_task)
    workbook.title, workbook.description = title, (description or "").strip()
    workbook.integrated_course, workbook.learning_task = integrated_course, learning_task
    db.session.flush()
    return workbook


def add_page(workbook: Workbook, *, author, title: str, source: str, change_note: str = "",
             effective_date: date | None = None, stage: str = "", learning_task=None, position: int | None = None) -> PageVersion:
    """Append a page to the workbook (or insert it at ``position``) with its first version, a draft."""
    rendered = _render(source)
    _check_page_task(workbook, learning_task)
    last = db.session.scalar(select(func.max(WorkbookPage.position))
                             .where(WorkbookPage.workbook_id == workbook.id)) or 0
    if position is None or position > last:
        position = last + 1
    else:
        _shift_pages(workbook, position)
    page = WorkbookPage(workbook=workbook, position=position, stage=stage or "", learning_task=learning_task,
                        latest_number=1)
    db.session.add(page)
    db.session.flush()
    version = PageVersion(page=page, number=1, title=_title(title), source=source, html=rendered.html,
                          fields=rendered.fields, change_note=(change_note or "").strip(),
                          effective_date=effective_date or clock.today(), author_id=author.id if author else None,
                          review_state=ReviewState.draft.value)
    db.session.add(version)
    db.session.flush()
    return version


def _shift_pages(workbook: Workbook, position: int) -> None:
    # Two steps, so the unique (workbook, position) constraint holds after every statement on every database.
    pages = list(db.session.scalars(select(WorkbookPage).where(WorkbookPage.workbook_id == workbook.id,
                                                               WorkbookPage.position >= position)
                                    .order_by(WorkbookPage.position.desc())))
    for page in pages:
        page.position = -page.position
    db.session.flush()
    for page in pages:
        page.position = -page.position + 1
    db.session.flush()


_KEEP = object()


def save_version(page: WorkbookPage, *, author, title: str, source: str, change_note: str = "",
                 effective_date: date | None = None, stage: str | None = None, learning_task=_KEEP) -> PageVersion:
    """Save an author's edit: it updates the page's open draft, or starts a new version when the newest one was
    already submitted (submitted versions are frozen). Refused while a version waits for review."""
    rendered = _render(source)
    latest = latest_version(page)
    if latest is not None and latest.review_state == ReviewState.submitted.value:
        raise Conflict(_("第 %(n)s 版正在审核中，审核结束（或撤回）后才能再修改。", n=latest.number))
    values = dict(title=_title(title), source=source, html=rendered.html, fields=rendered.fields,
                  change_note=(change_note or "").strip(), effective_date=effective_date or clock.today(),
                  author_id=author.id if author else None)
    if stage is not None:
        page.stage = stage
    if learning_task is not _KEEP:
        _check_page_task(page.workbook, learning_task)
        page.learning_task = learning_task
    if latest is not None and latest.review_state == ReviewState.draft.value:
        for name, value in values.items():
            setattr(latest, name, value)
        latest.updated_at = clock.now()
        db.session.flush()
        return latest
    page.latest_number += 1
    version = PageVersion(page=page, number=page.latest_number, review_state=ReviewState.draft.value, **values)
    db.session.add(version)
    db.session.flush()
    return version


def _check_page_task(workbook: Workbook, task) -> None:
    """A page's own task must belong to the workbook's profession (and course, when the workbook has one)."""
    if task is not None:
        links.check(workbook.profession_id, workbook.integrated_course, task)


def one_line(text: str | None) -> str:
    """A title as one line: line breaks and other control characters become spaces. Titles end up in page
    headers and in the PDF's download name, where a line break made the response fail."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in (text or ""))
    return " ".join(cleaned.split())


def _title(title: str) -> str:
    title = one_line(title)
    if not title:
        raise ValidationError(_("请填写页面标题。"))
    if len(title) > 200:
        raise ValidationError(_("页面标题不能超过 200 个字。"))
    return title


def _render(source: str):
    try:
        return render_page(source or "")
    except MarkupError as exc:
        message = exc.message if exc.line is None else _("第 %(line)s 行：%(error)s", line=exc.line,
                                                         error=exc.message)
        raise ValidationError(message) from None


# --- reacting to review -------------------------------------------------------------------------------------------

def publish_version(version: PageVersion) -> None:
    """After approval: the page now shows this version, unless a newer one is already published."""
    page = version.page
    current = page.current_version
    if current is None or current.number < version.number or current.review_state != APPROVED:
        page.current_version = version
    db.session.flush()


def unpublish_version(version: PageVersion) -> None:
    """After an approved version is withdrawn: fall back to the newest other approved version (or none)."""
    page = version.page
    if page.current_version_id != version.id:
        return
    page.current_version = db.session.scalar(
        select(PageVersion).where(PageVersion.page_id == page.id, PageVersion.review_state == APPROVED,
                                  PageVersion.id != version.id).order_by(PageVersion.number.desc()).limit(1))
    db.session.flush()


# --- comparing ----------------------------------------------------------------------------------------------------

def as_text(version: PageVersion | None) -> str:
    """What a diff compares: the title line, then the Markdown source (worksheet blocks included)."""
    if version is None:
        return ""
    return f"# {version.title}\n\n{version.source}"


def diff(old: PageVersion | None, new: PageVersion):
    """Unified lines and a side-by-side table between two versions (HTML escaped)."""
    old_label = _("第 %(n)s 版", n=old.number) if old else _("（无）")
    return {"unified": diffing.unified(as_text(old), as_text(new)),
            "side_by_side": diffing.side_by_side(as_text(old), as_text(new), old_label,
                                                 _("第 %(n)s 版", n=new.number))}


def previous_published(version: PageVersion) -> PageVersion | None:
    """The newest approved version older than ``version`` (what a reviewer compares a submission with)."""
    return db.session.scalar(select(PageVersion).where(PageVersion.page_id == version.page_id,
                                                       PageVersion.review_state == APPROVED,
                                                       PageVersion.number < version.number)
                             .order_by(PageVersion.number.desc()).limit(1))


# --- browsing -----------------------------------------------------------------------------------------------------

@dataclass
class ProfessionRow:
    profession: object
    workbooks: int


def professions_with_workbooks(*, include_unpublished: bool) -> list[ProfessionRow]:
    """Professions that have workbooks (with at least one published page, for readers), in one statement."""
    from app.catalog.models import Profession

    stmt = (select(Profession, func.count(func.distinct(Workbook.id))).options(lazyload(Profession.levels))
            .join(Workbook, Workbook.profession_id == Profession.id)
            .group_by(Profession.id).order_by(Profession.name))
    if not include_unpublished:
        stmt = stmt.join(WorkbookPage, and_(WorkbookPage.workbook_id == Workbook.id,
                                            WorkbookPage.current_version_id.is_not(None)))
    return [ProfessionRow(p, n) for p, n in by_pinyin(db.session.execute(stmt).unique(), key=lambda row: row[0].name)]


def neighbours(page: WorkbookPage, *, include_unpublished: bool) -> dict:
    """The previous and next page a reader can open (for page-turning links), in one statement."""
    stmt = select(WorkbookPage.id, WorkbookPage.position).where(WorkbookPage.workbook_id == page.workbook_id)
    if not include_unpublished:
        stmt = stmt.where(WorkbookPage.current_version_id.is_not(None))
    rows = db.session.execute(stmt.order_by(WorkbookPage.position)).all()
    before = [r.id for r in rows if r.position < page.position]
    after = [r.id for r in rows if r.position > page.position]
    return {"prev": before[-1] if before else None, "next": after[0] if after else None}
