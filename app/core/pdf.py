"""PDF documents with Chinese text (fpdf2 and a vendored CJK font).

The font is a subset of Noto Sans CJK SC kept in ``app/core/fonts`` (see ``scripts/subset_cjk_font.py`` and
``OFL.txt``), so PDFs render Chinese on a machine without network or system CJK fonts. Characters outside the
subset (rare hanzi beyond GB 2312) fall back to the PDF viewer's missing glyph; they are not dropped from the
text layer.
"""
from __future__ import annotations

import os

import re

from fpdf import FPDF, FontFace

FONT_DIR = os.path.join(os.path.dirname(__file__), "fonts")
FONT_FILE = os.path.join(FONT_DIR, "NotoSansSC-GB2312.otf")
#: The family name documents use with ``pdf.set_font(CJK_FAMILY, size=...)``.
CJK_FAMILY = "NotoSansSC"


def cjk_pdf(*, orientation: str = "portrait", unit: str = "mm", format: str = "A4", title: str = "",
            author: str = "") -> FPDF:
    """A new FPDF document with the CJK font registered (regular; bold falls back to the same face) and set."""
    pdf = FPDF(orientation=orientation, unit=unit, format=format)
    # One face only keeps the repository small; bold and italic map to it (fpdf2 refuses unregistered styles,
    # and write_html asks for them for <b>, <em> ...).
    for style in ("", "B", "I", "BI"):
        pdf.add_font(CJK_FAMILY, style, FONT_FILE)
    pdf.set_font(CJK_FAMILY, size=11)
    pdf.set_auto_page_break(auto=True, margin=15)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creator("Gongxue")
    return pdf


def to_bytes(pdf: FPDF) -> bytes:
    """The finished document as bytes (fpdf2 returns a bytearray)."""
    return bytes(pdf.output())


_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r'\balt="([^"]*)"', re.IGNORECASE)


def _image_placeholder(match: re.Match) -> str:
    from flask_babel import gettext as _

    alt = _ALT.search(match.group(0))
    return _("[图：%(alt)s]", alt=alt.group(1)) if alt and alt.group(1) else _("[图]")


def write_html(pdf: FPDF, html: str) -> None:
    """Render sanitised HTML (``app.core.sanitize`` output) in the CJK font.

    Images are replaced by their alt text: fpdf2 would open ``src`` as a local path or URL, and a PDF builder
    must never read files or the network on behalf of page content.
    """
    html = _IMG.sub(_image_placeholder, html)
    code = FontFace(family=CJK_FAMILY, size_pt=9)
    pdf.write_html(html, font_family=CJK_FAMILY, warn_on_tags_not_matching=False,
                   tag_styles={"code": code, "pre": code})
