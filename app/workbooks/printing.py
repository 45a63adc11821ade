"""Loose-leaf printing: one sheet per page with its header, as HTML (print CSS) and as a PDF (fpdf2)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext as _

from app.core import i18n
from app.core.pdf import CJK_FAMILY, cjk_pdf, to_bytes, write_html
from app.workbooks import services
from app.workbooks.fields import get_type
from app.workbooks.labels import stage_label
from app.workbooks.markup import split_slots
from app.workbooks.models import PageVersion, Workbook, WorkbookPage


@dataclass
class Sheet:
    page: WorkbookPage
    version: PageVersion
    #: (label, value) pairs printed at the top of the leaf.
    header: list[tuple[str, str]]


def header_of(workbook: Workbook, page: WorkbookPage, version: PageVersion) -> list[tuple[str, str]]:
    """Profession, course, task, stage, page number, version and its effective date: what identifies a leaf
    once it is out of the binder."""
    course, task = page.course, page.task
    rows = [(_("所属专业"), workbook.profession.name), (_("活页教材"), workbook.title)]
    if course is not None:
        rows.append((_("一体化课程"), course.name))
    if task is not None:
        rows.append((_("学习任务"), task.name))
    if page.stage:
        rows.append((_("工作环节"), stage_label(page.stage, task)))
    rows += [(_("页码"), str(page.position)), (_("版本"), _("第 %(n)s 版", n=version.number)),
             (_("生效日期"), i18n.fmt_date(version.effective_date))]
    return rows


def sheets(workbook: Workbook, *, include_unpublished: bool = False) -> list[Sheet]:
    """Every printable page in order: the published version (or, for an editor's proof, the newest one)."""
    rows = services.pages_of_workbook(workbook, include_unpublished=include_unpublished)
    return [Sheet(r.page, r.shown, header_of(workbook, r.page, r.shown)) for r in rows if r.shown is not None]


def workbook_pdf(workbook: Workbook, *, include_unpublished: bool = False) -> bytes:
    """The workbook as a PDF: one or more PDF pages per leaf, each leaf starting on a new sheet with its header."""
    pdf = cjk_pdf(title=workbook.title)
    items = sheets(workbook, include_unpublished=include_unpublished)
    if not items:
        pdf.add_page()
        pdf.multi_cell(0, 8, _("此活页教材还没有已发布的活页。"))
    for sheet in items:
        _leaf(pdf, sheet)
    return to_bytes(pdf)


def _leaf(pdf, sheet: Sheet) -> None:
    pdf.add_page()
    pdf.set_font(CJK_FAMILY, size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 4.5, "  |  ".join(f"{label}：{value}" for label, value in sheet.header))
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.ln(4)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(CJK_FAMILY, "B", size=15)
    pdf.multi_cell(0, 8, sheet.version.title)
    pdf.ln(2)
    pdf.set_font(CJK_FAMILY, size=11)
    for kind, part in split_slots(sheet.version.html, sheet.version.fields):
        if kind == "html":
            if str(part).strip():
                write_html(pdf, str(part))
        else:
            write_html(pdf, render_template(get_type(part["type"]).pdf_template, field=part))
