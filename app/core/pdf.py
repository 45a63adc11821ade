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


def write_html(pdf: FPDF, html: str) -> None:
    """Render sanitised HTML (``app.core.sanitize`` output) in the CJK font.

    Images are replaced by their alt text: fpdf2 would open ``src`` as a local path or URL, and a PDF builder
    must never read files or the network on behalf of page content. Markup fpdf2 cannot lay out (nested tags in
    table cells are flattened first) falls back to the plain text, so one odd construct never loses the document.
    """
    html = _CELL.sub(_flatten_cell, _IMG.sub(_image_placeholder, html))
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
