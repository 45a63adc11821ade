"""PDF documents with Chinese text (fpdf2 and a vendored CJK font).

The font is a subset of Noto Sans CJK SC kept in ``app/core/fonts`` (see ``scripts/subset_cjk_font.py`` and
``OFL.txt``), so PDFs render Chinese on a machine without network or system CJK fonts. Characters outside the
subset (rare hanzi beyond GB 2312) fall back to the PDF viewer's missing glyph; they are not dropped from the
text layer.
"""
from __future__ import annotations

import copy
import io
import os
import re
import threading

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fpdf2 and fontTools take ~0.6 s to import: loaded on the first PDF, not at app start-up
    from fpdf import FPDF

FONT_DIR = os.path.join(os.path.dirname(__file__), "fonts")
FONT_FILE = os.path.join(FONT_DIR, "NotoSansSC-GB2312.otf")
#: The family name documents use with ``pdf.set_font(CJK_FAMILY, size=...)``.
CJK_FAMILY = "NotoSansSC"


def cjk_pdf(*, orientation: str = "portrait", unit: str = "mm", format: str = "A4", title: str = "",
            author: str = "") -> FPDF:
    """A new FPDF document with the CJK font registered (regular; bold falls back to the same face) and set."""
    from fpdf import FPDF

    pdf = FPDF(orientation=orientation, unit=unit, format=format)
    # One face only keeps the repository small; bold and italic map to it (fpdf2 refuses unregistered styles,
    # and write_html asks for them for <b>, <em> ...).
    for style in ("", "B", "I", "BI"):
        _add_cached_font(pdf, style)
    pdf.set_font(CJK_FAMILY, size=11)
    pdf.set_auto_page_break(auto=True, margin=15)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creator("Gongxue")
    return pdf


#: Parsed CJK faces, one per style, built once per process (see _add_cached_font).
_FONT_TEMPLATES: dict = {}
_FONT_BYTES: list[bytes] = []
_FONT_LOCK = threading.Lock()


def _add_cached_font(pdf: FPDF, style: str) -> None:
    """Register the CJK face on ``pdf`` from a per-process template instead of ``pdf.add_font``.

    ``add_font`` parses the font and measures every glyph of the GB 2312 subset (about 80 ms per style, 0.3 s per
    document), which dominated small PDFs such as a certificate. The measured widths and glyph ids never change,
    so a document gets a shallow copy of a template that shares them; what a document changes gets its own copy:
    the fontTools object (the output step subsets it in place; re-opened lazily from bytes in memory), the
    subset map of used glyphs, and the font descriptor (the output numbers it as a PDF object).
    """
    from fontTools import ttLib
    from fpdf import FPDF
    from fpdf.fonts import SubsetMap

    fontkey = f"{CJK_FAMILY.lower()}{style}"
    template = _FONT_TEMPLATES.get(style)
    if template is None:
        with _FONT_LOCK:
            template = _FONT_TEMPLATES.get(style)
            if template is None:
                scratch = FPDF()
                scratch.add_font(CJK_FAMILY, style, FONT_FILE)
                template = _FONT_TEMPLATES[style] = scratch.fonts[fontkey]
                if not _FONT_BYTES:
                    with open(FONT_FILE, "rb") as fh:
                        _FONT_BYTES.append(fh.read())
    font = copy.copy(template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(io.BytesIO(_FONT_BYTES[0]), recalcTimestamp=False, lazy=True)
    font.desc = copy.copy(template.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.subset = SubsetMap(font)
    pdf.fonts[fontkey] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")


def to_bytes(pdf: FPDF) -> bytes:
    """The finished document as bytes (fpdf2 returns a bytearray).

    fpdf2 embeds (and subsets, ~0.1 s each) every registered font; the CJK styles no page used are dropped
    first, so a document in the regular face pays for one subset instead of four."""
    _drop_unused_cjk_styles(pdf)
    return bytes(pdf.output())


def _drop_unused_cjk_styles(pdf: FPDF) -> None:
    from fpdf.enums import PDFResourceType

    used = set()
    for (_page, kind), ids in pdf._resource_catalog.resources_per_page.items():
        if kind == PDFResourceType.FONT:
            used.update(str(i) for i in ids)
    for key, font in list(pdf.fonts.items()):
        if key.startswith(CJK_FAMILY.lower()) and str(font.i) not in used and font is not pdf.current_font:
            del pdf.fonts[key]


_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r'\balt="([^"]*)"', re.IGNORECASE)


def _image_placeholder(match: re.Match) -> str:
    from flask_babel import gettext as _

    alt = _ALT.search(match.group(0))
    return _("[图：%(alt)s]", alt=alt.group(1)) if alt and alt.group(1) else _("[图]")


_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _flatten_cell(match: re.Match) -> str:
    # fpdf2 renders table cells as plain text and refuses nested tags (<strong>, <a>, <code>) inside them.
    text = _TAG.sub("", re.sub(r"<br\s*/?>", " ", match.group(3), flags=re.IGNORECASE))
    return f"<{match.group(1)}{match.group(2)}>{text}</{match.group(1)}>"


_TABLE = re.compile(r"<table\b[^>]*>.*?</table>", re.IGNORECASE | re.DOTALL)
#: Height of a printed table row, tall enough to write in by hand (a ruled line of an exercise book is 8–9 mm).
TABLE_ROW_HEIGHT = 9
TABLE_LINE_HEIGHT = 5.5


def write_html(pdf: FPDF, html: str) -> None:
    """Render sanitised HTML (``app.core.sanitize`` output) in the CJK font.

    Images are replaced by their alt text: fpdf2 would open ``src`` as a local path or URL, and a PDF builder
    must never read files or the network on behalf of page content. Tables are drawn by :func:`write_table`
    (every cell ruled, one printed row per HTML row); fpdf2's HTML tables drop the rules of Markdown tables and
    run the cells of rows without text together. Markup fpdf2 cannot lay out falls back to the plain text, so
    one odd construct never loses the document.
    """
    html = _IMG.sub(_image_placeholder, html)
    position = 0
    for found in _TABLE.finditer(html):
        if html[position:found.start()].strip():
            _write_flow(pdf, html[position:found.start()])
        write_table(pdf, found.group(0))
        position = found.end()
    if html[position:].strip() or position == 0:
        _write_flow(pdf, html[position:])


class _TableParser:
    """Rows of a sanitised HTML table: ``[(cells, heading_row)]``, a cell being ``(text, is_th, colspan)``."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        self.rows: list[tuple[list[tuple[str, bool, int]], bool]] = []
        self._section = ""
        self._row: list | None = None
        self._cell: list | None = None
        parser = HTMLParser(convert_charrefs=True)
        parser.handle_starttag = self._start
        parser.handle_endtag = self._end
        parser.handle_data = self._data
        parser.feed(html)
        parser.close()
        self._close_row()

    def _start(self, tag, attrs):
        if tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            self._close_cell()
            if self._row is None:
                self._row = []
            try:
                span = max(1, min(int(dict(attrs).get("colspan") or 1), 12))
            except ValueError:
                span = 1
            self._cell = [[], tag == "th", span]
        elif tag == "br" and self._cell is not None:
            self._cell[0].append("\n")

    def _end(self, tag):
        if tag in ("td", "th"):
            self._close_cell()
        elif tag == "tr":
            self._close_row()
        elif tag in ("thead", "tbody", "tfoot"):
            self._close_row()
            self._section = ""

    def _data(self, data):
        if self._cell is not None:
            self._cell[0].append(data)

    def _close_cell(self):
        if self._cell is not None and self._row is not None:
            text = re.sub(r"[ \t\r\f\v]+", " ", "".join(self._cell[0])).strip()
            self._row.append((text.replace("\xa0", " ").strip(), self._cell[1], self._cell[2]))
        self._cell = None

    def _close_row(self):
        self._close_cell()
        if self._row:
            self.rows.append((self._row, self._section == "thead" or all(th for _t, th, _s in self._row)))
        self._row = None


def write_table(pdf: FPDF, html: str) -> None:
    """Draw an HTML table with every cell ruled and every row at least :data:`TABLE_ROW_HEIGHT` high, so that a
    printed worksheet can be filled in by hand: one printed row per HTML row, row labels in their own cells, the
    heading rows (``<thead>``, or leading rows of ``<th>`` only) shaded and repeated on a new page."""
    from fpdf import FontFace

    rows = _TableParser(html).rows
    if not rows:
        return
    width = max(sum(span for _t, _th, span in cells) for cells, _h in rows)
    headings = 0
    while headings < len(rows) - 1 and rows[headings][1]:
        headings += 1
    pdf.set_x(pdf.l_margin)  # write_html may leave the cursor at the end of its last line
    if pdf.get_y() > pdf.t_margin:
        pdf.ln(1)
    size = pdf.font_size_pt
    pdf.set_font(CJK_FAMILY, size=min(size, 10.5))
    try:
        with pdf.table(first_row_as_headings=headings > 0, num_heading_rows=max(headings, 1),
                       headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                       line_height=TABLE_LINE_HEIGHT, min_row_height=TABLE_ROW_HEIGHT, text_align="LEFT",
                       v_align="MIDDLE", borders_layout="ALL", padding=(1, 1.5), width=pdf.epw) as table:
            label = FontFace(emphasis="BOLD")
            for cells, _heading in rows:
                row = table.row()
                used = 0
                for text, th, span in cells:
                    span = min(span, width - used)
                    if span <= 0:
                        break
                    row.cell(text, colspan=span, style=label if th else None)
                    used += span
                for _ in range(width - used):  # a short row still gets its ruled cells
                    row.cell("")
    finally:
        pdf.set_font(CJK_FAMILY, size=size)
    pdf.ln(2)


def _write_flow(pdf: FPDF, html: str) -> None:
    html = _CELL.sub(_flatten_cell, html)
    styles = _tag_styles()
    try:
        with pdf.offset_rendering() as probe:
            probe.write_html(html, font_family=CJK_FAMILY, warn_on_tags_not_matching=False, tag_styles=styles)
    except Exception:  # fpdf2 raises NotImplementedError/FPDFException for markup it cannot lay out
        pdf.multi_cell(0, 6, html_to_text(html))
        pdf.ln(2)
        return
    pdf.write_html(html, font_family=CJK_FAMILY, warn_on_tags_not_matching=False, tag_styles=styles)


def _tag_styles() -> dict:
    """Black headings a little larger than the text (fpdf2's defaults are dark red and huge), code in the CJK
    face (the built-in Courier has no Chinese glyphs)."""
    from fpdf import FontFace, TextStyle

    def heading(size: float) -> TextStyle:
        return TextStyle(font_family=CJK_FAMILY, font_size_pt=size, color=(0, 0, 0), t_margin=3, b_margin=1)

    code = FontFace(family=CJK_FAMILY, size_pt=9)
    return {"h1": heading(15), "h2": heading(13), "h3": heading(12), "h4": heading(11), "h5": heading(11),
            "h6": heading(11), "code": code, "pre": code}


def html_to_text(html: str) -> str:
    """Plain text of sanitised HTML, one block per line (the fallback when markup cannot be laid out)."""
    from html import unescape

    text = re.sub(r"</(p|div|li|tr|h[1-6]|pre|blockquote|table)>|<br\s*/?>", "\n", html, flags=re.IGNORECASE)
    text = re.sub(r"</t[dh]>", "  ", text, flags=re.IGNORECASE)
    return re.sub(r"\n{3,}", "\n\n", unescape(_TAG.sub("", text))).strip()


def qr_code(pdf: FPDF, data: str, x: float, y: float, size: float, *, border: int = 2) -> None:
    """Draw a QR code of ``data`` as vector squares at ``x``/``y`` (document units), ``size`` wide with a
    ``border`` of quiet-zone modules inside that width.

    Drawn straight into the page as one filled path (one ``re`` operator per run of dark modules) instead of a
    PNG that fpdf2 would decode and re-compress: crisp at any print size and about 1 ms instead of 20. The mask
    is fixed (pattern 0, valid for every reader) because choosing the "best" of the eight costs 6 ms per code
    in pure Python and a printed certificate's QR code is large and clean enough for any of them.
    """
    import segno

    matrix = segno.make(data, error="m", mask=0).matrix
    n = len(matrix)
    module = size / (n + 2 * border)
    k = pdf.k
    ops = []
    for r, row in enumerate(matrix):
        top = (pdf.h - (y + (r + border) * module)) * k
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            ops.append(f"{(x + (start + border) * module) * k:.2f} {top:.2f} {(c - start) * module * k:.2f} "
                       f"{-module * k:.2f} re")
    pdf._out("q 0 g " + " ".join(ops) + " f Q")  # fpdf2's own page-content writer; colour state kept by q/Q
