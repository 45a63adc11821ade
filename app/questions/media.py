"""Pictures and sounds inside questions, stored through app.core.storage under generated keys.

The shared upload service (app/core/uploads.py) is being written on another branch; until it is merged this
module sniffs the few formats question text may embed by their magic bytes (never by name), re-encodes
pictures with Pillow under a pixel limit (dropping metadata and anything hidden after the image), and stores
the result under a generated key.
"""
from __future__ import annotations

import hashlib
import io

from sqlalchemy import select

from app.core.storage import get_storage, new_key
from app.extensions import db
from app.questions.models import QuestionFile

MAX_PIXELS = 40_000_000
MAX_FILE_BYTES = 20 * 1024 * 1024

#: (magic prefix, offset) -> (content type, extension). Sounds are stored as they are.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"WEBP", 8, "image/webp", "webp"),
    (b"ID3", 0, "audio/mpeg", "mp3"),
    (b"\xff\xfb", 0, "audio/mpeg", "mp3"),
    (b"\xff\xf3", 0, "audio/mpeg", "mp3"),
    (b"\xff\xf2", 0, "audio/mpeg", "mp3"),
    (b"OggS", 0, "audio/ogg", "ogg"),
)
_PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def file_url(record: QuestionFile) -> str:
    """The path question text uses for a file (served by ``questions.file``; works from the CLI too)."""
    return f"/questions/files/{record.id}"


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the content, or None for anything not allowed (SVG included)."""
    for magic, offset, content_type, ext in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            if content_type == "image/webp" and data[:4] != b"RIFF":
                continue
            return content_type, ext
    return None


def reencode(data: bytes, content_type: str) -> bytes | None:
    """Decode and re-encode an image under the pixel limit; None when it does not decode."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            image.load()
            out = io.BytesIO()
            fmt = _PIL_FORMATS[content_type]
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(out, format=fmt)
            return out.getvalue()
    except Exception:  # Pillow raises many kinds for broken or hostile images
        return None


def store_question_file(bank, original_name: str, data: bytes) -> QuestionFile | None:
    """Store one file for a bank (deduplicated by content); None when the content is not allowed."""
    if not data or len(data) > MAX_FILE_BYTES:
        return None
    kind = sniff(data)
    if kind is None:
        return None
    content_type, ext = kind
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(QuestionFile).where(QuestionFile.bank_id == bank.id,
                                                            QuestionFile.sha256 == digest))
    if existing is not None:
        return existing
    if content_type.startswith("image/"):
        data = reencode(data, content_type)
        if data is None:
            return None
    key = new_key("questions", ext)
    get_storage().put(key, data)
    record = QuestionFile(bank_id=bank.id, storage_key=key, original_name=(original_name or "")[:255],
                          content_type=content_type, size=len(data), sha256=digest)
    db.session.add(record)
    db.session.flush()
    return record
