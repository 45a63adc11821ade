"""Zip archives the question formats open (Word .docx, QTI content packages), checked before anything is read.

A zip is refused unopened when its directory declares too many entries, more unpacked bytes than
:data:`MAX_UNPACKED_BYTES`, or a compression ratio no real document has (zip bombs). Member names are read
only through :func:`member_path`, which refuses absolute paths and ``..`` segments.
"""
from __future__ import annotations

import io
import posixpath
import zipfile

from flask_babel import gettext as _

from app.errors import ValidationError

#: Entries at most (a Word file with 10,000 questions and a picture in each has ~10,000 entries).
MAX_ENTRIES = 20_000
#: Declared unpacked size at most, all entries together.
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
#: Compression ratio at most for an entry over 1 MB (XML compresses 5-30x; bombs 1000x and more).
MAX_RATIO = 200
#: Bytes read from one entry at most (checked again while reading: declared sizes can lie).
MAX_ENTRY_BYTES = 100 * 1024 * 1024


class ArchiveError(ValidationError):
    """The archive as a whole is refused."""


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """The archive, after its directory passed the limits; ArchiveError (naming ``what``) otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ArchiveError(_("文件已损坏，或不是有效的 %(what)s 文件。", what=what)) from None
    if len(infos) > MAX_ENTRIES:
        raise ArchiveError(_("%(what)s 文件包含的条目过多（%(n)s 个，上限 %(max)s 个），可能是压缩炸弹，已拒绝。",
                             what=what, n=len(infos), max=MAX_ENTRIES))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(_("%(what)s 文件的压缩比异常（可能是压缩炸弹），已拒绝。", what=what))
        if total > MAX_UNPACKED_BYTES:
            raise ArchiveError(_("%(what)s 文件解压后过大（超过 %(mb)s MB），已拒绝。", what=what,
                                 mb=MAX_UNPACKED_BYTES // 2**20))
    return archive


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """One entry's bytes, never more than :data:`MAX_ENTRY_BYTES` whatever its header claims."""
    with archive.open(name) as fh:
        data = fh.read(MAX_ENTRY_BYTES + 1)
    if len(data) > MAX_ENTRY_BYTES:
        raise ArchiveError(_("压缩包中的 %(name)s 过大，已拒绝。", name=name[-100:]))
    return data


def member_path(base: str, href: str) -> str | None:
    """The archive path ``href`` (relative to the folder ``base``) names; None for an absolute path, a URL or
    a path that climbs out of the archive with ``..``."""
    from urllib.parse import unquote

    href = unquote((href or "").strip()).replace("\\", "/")
    if not href or href.startswith("/") or "://" in href or ":" in href.split("/")[0]:
        return None
    if ".." in href.split("/"):
        return None
    path = posixpath.normpath(posixpath.join(base, href)) if base else posixpath.normpath(href)
    if path.startswith("../") or path == ".." or path.startswith("/"):
        return None
    return path
