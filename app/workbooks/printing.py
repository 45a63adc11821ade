"""Loose-leaf printing: one sheet per page with its header, as HTML (print CSS) and as a PDF (fpdf2)."""
from __future__ import annotations

import html as htmllib
import io
import re
from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext as _

from app.core import i18n
from app.core import pdf_images
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
    images = pdf_images.resolve(src for sheet in items for src in _IMG_SRC.findall(sheet.version.html or ""))
    for sheet in items:
        _leaf(pdf, sheet, images)
    return to_bytes(pdf)


#: An image, with the paragraph around it when it stands alone (Markdown's ``![alt](src)`` on its own line).
_IMG_BLOCK = re.compile(r"(?:<p>\s*)?(<img\b[^>]*>)(?:\s*</p>)?", re.IGNORECASE)
_IMG_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]*)"', re.IGNORECASE)
_ALT = re.compile(r'\balt="([^"]*)"', re.IGNORECASE)
#: Pixels per inch assumed for a picture's natural size (CSS pixels), so small pictures are not blown up.
_PX_PER_INCH = 96


def _write_part(pdf, html: str, images: dict[str, bytes]) -> None:
    """Sanitised HTML with its stored images drawn in place; any other image becomes a note."""
    position = 0
    for found in _IMG_BLOCK.finditer(html):
        before = html[position:found.start()]
        if before.strip():
            write_html(pdf, before)
        _image(pdf, found.group(1), images)
        position = found.end()
    rest = html[position:]
    if rest.strip():
        write_html(pdf, rest)


def _image(pdf, tag: str, images: dict[str, bytes]) -> None:
    """Draw a stored, printable image at its natural size, at most the text width; otherwise print a note."""
    from PIL import Image

    src = _IMG_SRC.search(tag)
    src = htmllib.unescape(src.group(1)) if src else ""
    alt = _ALT.search(tag)
    alt = htmllib.unescape(alt.group(1)) if alt else ""
    data = images.get(src)
    pdf.set_x(pdf.l_margin)  # write_html may leave the cursor at the end of its last line
    if data is None:
        pdf.set_text_color(120, 120, 120)
        pdf.multi_cell(0, 6, _("[图片未打印：%(alt)s（图片不存在或尚未审核发布）]", alt=alt or src))
        pdf.set_text_color(0, 0, 0)
        return
    with Image.open(io.BytesIO(data)) as picture:
        width_px = picture.size[0]
    width = min(pdf.epw, width_px * 25.4 / _PX_PER_INCH)
    pdf.ln(1)
    pdf.image(io.BytesIO(data), x=pdf.l_margin, w=width, alt_text=alt or None)
    pdf.ln(2)


def _leaf(pdf, sheet: Sheet, images: dict[str, bytes] | None = None) -> None:
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
                _write_part(pdf, str(part), images or {})
        else:
            write_html(pdf, render_template(get_type(part["type"]).pdf_template, field=part))
