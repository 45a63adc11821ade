"""CSV and XLSX downloads with spreadsheet formula injection neutralised."""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def safe_cell(value):
    """Prefix text that a spreadsheet would run as a formula with a quote; numbers pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        # Stored times are UTC; a download shows them in the configured zone (its header names the zone).
        from app.core import clock

        return clock.local_text(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    text = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32 or ch == "\r")
    if text.startswith(_DANGEROUS_START):
        return "'" + text
    return text


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with BOM, which Excel on Windows opens correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], *, title: str = "Sheet1") -> bytes:
    return to_xlsx_sheets([(title, headers, rows)])


def to_xlsx_sheets(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """A workbook with one sheet per ``(title, headers, rows)``, cells made safe as in :func:`to_xlsx`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    first = True
    for title, headers, rows in sheets:
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        sheet.title = str(title)[:31]
        sheet.append([safe_cell(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        for i, header in enumerate(headers, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(
                12, len(str(header)) * 2 + 4)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _plain_ascii(text: str) -> str:
    return "".join(ch for ch in text if " " <= ch <= "~" and ch not in '"\\')


def download_name(name: str) -> dict:
    """Headers for a download with a Chinese file name (RFC 6266 ``filename*``)."""
    from urllib.parse import quote

    name = "".join(ch for ch in name if ch.isprintable()) or "download"
    # The plain ``filename`` is for clients that ignore ``filename*``: printable ASCII without quotes or
    # backslashes, and never a bare extension (作业报告.pdf would become ".pdf", a hidden file).
    stem, ext = os.path.splitext(name)
    ascii_name = (_plain_ascii(stem).strip() or "download") + _plain_ascii(ext)
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}
