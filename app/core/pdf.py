"""PDF documents with Chinese text (fpdf2 and a vendored CJK font).

The font is a subset of Noto Sans CJK SC kept in ``app/core/fonts`` (see ``scripts/subset_cjk_font.py`` and
``OFL.txt``), so PDFs render Chinese on a machine without network or system CJK fonts. Characters outside the
subset (rare hanzi beyond GB 2312) fall back to the PDF viewer's missing glyph; they are not dropped from the
text layer.
"""
from __future__ import annotations

import os

from fpdf import FPDF

FONT_DIR = os.path.join(os.path.dirname(__file__), "fonts")
FONT_FILE = os.path.join(FONT_DIR, "NotoSansSC-GB2312.otf")
#: The family name documents use with ``pdf.set_font(CJK_FAMILY, size=...)``.
CJK_FAMILY = "NotoSansSC"


def cjk_pdf(*, orientation: str = "portrait", unit: str = "mm", format: str = "A4", title: str = "",
            author: str = "") -> FPDF:
    """A new FPDF document with the CJK font registered (regular; bold falls back to the same face) and set."""
    pdf = FPDF(orientation=orientation, unit=unit, format=format)
    pdf.add_font(CJK_FAMILY, "", FONT_FILE)
    # One face only keeps the repository small; fpdf2 would otherwise refuse style="B".
    pdf.add_font(CJK_FAMILY, "B", FONT_FILE)
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
