"""Rebuild the vendored CJK font (app/core/fonts/NotoSansSC-GB2312.otf) from Noto Sans CJK SC.

The PDF builder (app/core/pdf.py) must render Chinese on a fresh machine without network, so the repository
carries a subset of Noto Sans CJK SC (SIL Open Font License 1.1, see app/core/fonts/OFL.txt): every character of
GB 2312 (levels 1 and 2: 6,763 hanzi, plus its punctuation and symbols), printable ASCII, CJK punctuation and
full-width forms. The outlines stay CFF (fpdf2 embeds CFF-flavoured OpenType); the result is a few MB.

Usage (needs the Debian package fonts-noto-cjk, or any Noto Sans CJK .ttc/.otf):
    python scripts/subset_cjk_font.py [/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]
"""
from __future__ import annotations

import os
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
TARGET = os.path.join(os.path.dirname(__file__), "..", "app", "core", "fonts", "NotoSansSC-GB2312.otf")


def gb2312_characters() -> set[str]:
    """Every character GB 2312 encodes (rows 0xA1-0xF7, cells 0xA1-0xFE)."""
    chars = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def wanted_codepoints() -> set[int]:
    points = {ord(c) for c in gb2312_characters()}
    points |= set(range(0x20, 0x7F))  # ASCII
    points |= set(range(0xA0, 0x100))  # Latin-1 (°, ±, ×, ÷ ...)
    points |= set(range(0x2000, 0x2070))  # general punctuation (— … ‰ ※)
    points |= set(range(0x2100, 0x2200))  # letterlike symbols, arrows (℃, №, →)
    points |= set(range(0x2460, 0x24FF))  # enclosed numbers ①
    points |= set(range(0x25A0, 0x2600))  # geometric shapes (□ ■ ○ ●) used by checklists
    points |= {0x2610, 0x2611, 0x2612, 0x2713, 0x2714}  # ballot boxes and check marks
    points |= set(range(0x3000, 0x3040))  # CJK symbols and punctuation
    points |= set(range(0xFF00, 0xFFF0))  # full-width forms
    return points


def load_sc(path: str) -> TTFont:
    if path.lower().endswith(".ttc"):
        for font in TTCollection(path).fonts:
            if font["name"].getDebugName(4) == "Noto Sans CJK SC":
                return font
        raise SystemExit(f"no 'Noto Sans CJK SC' face in {path}")
    return TTFont(path)


def main(argv: list[str]) -> None:
    source = argv[1] if len(argv) > 1 else SOURCE
    font = load_sc(source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # the PDF is scaled anyway; dropping hints saves a lot of bytes
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_codepoints())
    subsetter.subset(font)
    target = os.path.abspath(TARGET)
    font.save(target)
    print(f"wrote {target}: {os.path.getsize(target) / 1e6:.2f} MB, {len(font.getBestCmap())} characters")


if __name__ == "__main__":
    main(sys.argv)
