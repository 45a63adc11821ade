"""Zip archives the question formats open (Word .docx, QTI content packages), checked before anything is read.

The limits are the platform's one zip check, :func:`app.core.tabular.check_zip` (too many entries, too many
unpacked bytes, a compression ratio no real document has), with a larger unpacked total for pictures. Member
names are read only through :func:`member_path`, which refuses absolute paths and ``..`` segments.
"""
from __future__ import annotations

import posixpath
import zipfile

from flask_babel import gettext as _

from app.core.tabular import TableError, check_zip
from app.errors import ValidationError

#: Declared unpacked size at most, all entries together (a Word bank carries its pictures).
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
#: Bytes read from one entry at most (checked again while reading: declared sizes can lie).
MAX_ENTRY_BYTES = 100 * 1024 * 1024


class ArchiveError(ValidationError):
    """The archive as a whole is refused."""


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """The archive, after :func:`app.core.tabular.check_zip` passed it; ArchiveError (naming ``what``)
    otherwise."""
    try:
        return check_zip(data, max_unpacked=MAX_UNPACKED_BYTES, what=what)
    except TableError as exc:
        raise ArchiveError(exc.message) from None


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
