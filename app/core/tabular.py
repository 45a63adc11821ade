"""Reading spreadsheets people upload (CSV from Excel, often GBK; XLSX), safely and with row numbers.

Every importer (users, questions, offline training ...) reads through :func:`read_table`, so that encodings,
zip bombs, empty rows and junk files are handled once.
"""
from __future__ import annotations

import csv
import io
import struct
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.errors import ValidationError

#: An XLSX whose parts unpack to more than this is refused before it is opened.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
#: ... or whose parts are compressed more than this ratio (a normal sheet compresses 5-20x).
MAX_COMPRESSION_RATIO = 200
#: Entries a zip container (xlsx, docx, pptx ...) may have; a real Office file has dozens, rarely thousands.
MAX_ZIP_ENTRIES = 10_000
#: Bytes its central directory (the list of entries) may take.
MAX_ZIP_DIRECTORY_BYTES = 4 * 1024 * 1024
#: Rows read at most from one file.
MAX_ROWS = 200_000
#: A run of this many empty rows ends the sheet (Excel files often carry 100,000 formatted empty rows).
EMPTY_RUN_STOP = 1000


class TableError(ValidationError):
    """The file as a whole cannot be read (format, encoding, size)."""


@dataclass
class Table:
    headers: list[str]
    #: (row number as a person sees it in Excel, values by header).
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    #: Which encoding a CSV was read with.
    encoding: str | None = None


def sniff_kind(filename: str, data: bytes) -> str:
    """``xlsx`` or ``csv`` from the content, whatever the name says; TableError for anything else."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise TableError(_("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV（UTF-8）后再导入。"))
    sample = data[:4096]
    if b"\x00" in sample.replace(b"\x00\x00", b"") and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(_("无法识别的文件格式：请上传 .xlsx 或 .csv 文件。"))
    return "csv"


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


def zip_directory(data: bytes) -> tuple[int, int, int] | None:
    """``(declared entries, central directory bytes, entry records found)`` read from the end of a zip without
    opening it (``zipfile.ZipFile`` builds an object per entry, which for 100,000 entries takes seconds).

    The records are counted by their signature in the directory's bytes, so a directory that declares fewer
    entries than it holds is still caught. None when there is no end-of-directory record (not a zip).
    """
    tail_start = max(0, len(data) - (_EOCD.size + 65535))
    at = data.rfind(b"PK\x05\x06", tail_start)
    if at < 0 or len(data) - at < _EOCD.size:
        return None
    _sig, _disk, _cd_disk, _here, entries, size, _offset, _comment = _EOCD.unpack_from(data, at)
    end = at
    if entries == 0xFFFF or size == 0xFFFFFFFF:
        locator = at - _ZIP64_LOCATOR.size
        if locator < 0 or data[locator:locator + 4] != b"PK\x06\x07":
            return None
        record = locator - _ZIP64_EOCD.size
        if record < 0 or data[record:record + 4] != b"PK\x06\x06":
            return None
        fields = _ZIP64_EOCD.unpack_from(data, record)
        entries, size, end = fields[7], fields[8], record
    start = max(0, end - min(size, len(data)))
    return entries, size, data.count(b"PK\x01\x02", start, end)


def _too_many(count: int | None) -> TableError:
    if count is None:
        return TableError(_("压缩文件的条目清单过大（条目上限 %(max)s 个），可能是压缩炸弹，已拒绝。",
                            max=f"{MAX_ZIP_ENTRIES:,}"))
    return TableError(_("压缩文件包含的条目过多（%(n)s 个，上限 %(max)s 个），可能是压缩炸弹，已拒绝。",
                        n=f"{count:,}", max=f"{MAX_ZIP_ENTRIES:,}"))


def check_zip(data: bytes, *, max_unpacked: int = MAX_UNPACKED_BYTES, what: str = ".xlsx") -> zipfile.ZipFile:
    """Open a zip only after its entry count and declared sizes look sane (zip bombs are refused unopened).

    ``what`` names the kind of file in messages (``.xlsx``, ``.docx`` ...). Every archive the platform opens
    goes through here: spreadsheet imports, Office uploads.
    """
    broken = _("文件已损坏或不是有效的 %(what)s 文件。", what=what)
    directory = zip_directory(data)
    if directory is None:
        raise TableError(broken)
    entries, size, found = directory
    if max(entries, found) > MAX_ZIP_ENTRIES:
        raise _too_many(max(entries, found))
    if size > MAX_ZIP_DIRECTORY_BYTES:
        raise _too_many(None)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error):
        raise TableError(broken) from None
    if len(archive.infolist()) > MAX_ZIP_ENTRIES:
        raise _too_many(len(archive.infolist()))
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO \
                and info.file_size > 1024 * 1024:
            raise TableError(_("文件压缩比异常（可能是压缩炸弹），已拒绝。"))
        if total > max_unpacked:
            raise TableError(_("文件解压后过大（超过 %(mb)s MB），已拒绝。", mb=max_unpacked // (1024 * 1024)))
    return archive


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text as UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312, as Excel saves)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise TableError(_("无法识别文件编码。请在 Excel 中选择“另存为 → CSV UTF-8（逗号分隔）”后再导入。")) from None
    # GB18030 decodes almost any byte soup; insist that the result looks like text.
    bad = sum(1 for ch in text[:2000] if ord(ch) < 32 and ch not in "\r\n\t")
    if bad > 5:
        raise TableError(_("无法识别的文件格式：请上传 .xlsx 或 .csv 文件。"))
    return text, "gb18030"


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _collect(rows_iter, first_row: int) -> Table:
    headers: list[str] | None = None
    table = Table(headers=[])
    empty_run = 0
    for number, raw in enumerate(rows_iter, start=first_row):
        values = [_clean(v) for v in raw]
        if headers is None:
            if not any(values):
                continue
            headers = values
            table.headers = headers
            continue
        if not any(values):
            empty_run += 1
            if empty_run >= EMPTY_RUN_STOP:
                break
            continue
        empty_run = 0
        if len(table.rows) >= MAX_ROWS:
            raise TableError(_("文件行数过多（上限 %(n)s 行），请拆分后导入。", n=MAX_ROWS))
        table.rows.append((number, {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers) if h}))
    if headers is None:
        raise TableError(_("文件是空的：没有找到表头行。"))
    return table


def read_table(filename: str, data: bytes) -> Table:
    """Parse a CSV or XLSX upload into headers and numbered rows. Raises TableError with a clear message."""
    if not data or not data.strip():
        raise TableError(_("文件是空的。"))
    kind = sniff_kind(filename, data)
    if kind == "xlsx":
        import openpyxl

        archive = check_zip(data)
        if "xl/workbook.xml" not in archive.namelist():
            raise TableError(_("文件已损坏或不是有效的 .xlsx 文件。"))
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds on malformed parts
            raise TableError(_("文件已损坏或不是有效的 .xlsx 文件。")) from None
        try:
            sheet = workbook.worksheets[0]
            return _collect(sheet.iter_rows(values_only=True), 1)
        finally:
            workbook.close()
    text, encoding = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        table = _collect(reader, 1)
    except csv.Error:
        # The csv module's own wording ("field larger than field limit (131072)") means nothing to the person
        # who saved the file; an unclosed quote or a megabyte-long cell is what it usually is.
        raise TableError(_("CSV 格式错误（第 %(line)s 行）：有未配对的引号或超长的单元格。请在 Excel 中另存为"
                           "“CSV UTF-8（逗号分隔）”后重新上传。", line=reader.line_num)) from None
    table.encoding = encoding
    return table


def pick(row: dict[str, str], aliases: dict[str, tuple[str, ...]], name: str) -> str:
    """The value of column ``name`` under any of its header aliases (case-insensitive)."""
    for alias in aliases[name]:
        for header, value in row.items():
            if header.strip().lower() == alias.lower():
                return value
    return ""


def missing_columns(headers: list[str], aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> list[str]:
    lowered = {h.strip().lower() for h in headers}
    return [name for name in required if not any(a.lower() in lowered for a in aliases[name])]
