"""Pictures and sounds inside questions, stored under generated keys.

Pictures go through the platform's upload service (``app.core.uploads``: content sniffing, extension check,
Pillow re-encoding under a pixel limit, no SVG). Sounds (``.mp3``/``.ogg`` that Moodle questions embed) are
not an upload kind there, so this module sniffs their magic bytes itself and stores them unchanged.
"""
from __future__ import annotations

import hashlib
import io

from sqlalchemy import select

from app.core import uploads
from app.core.storage import get_storage, new_key
from app.extensions import db
from app.questions.models import QuestionFile

MAX_FILE_BYTES = 20 * 1024 * 1024

#: Sound formats by magic bytes: (prefix, content type, extension).
_SOUNDS = (
    (b"ID3", "audio/mpeg", "mp3"),
    (b"\xff\xfb", "audio/mpeg", "mp3"),
    (b"\xff\xf3", "audio/mpeg", "mp3"),
    (b"\xff\xf2", "audio/mpeg", "mp3"),
    (b"OggS", "audio/ogg", "ogg"),
)


def file_url(record: QuestionFile) -> str:
    """The path question text uses for a file (served by ``questions.file``; works from the CLI too)."""
    return f"/questions/files/{record.id}"


def sniff_sound(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an mp3/ogg sound, or None."""
    for magic, content_type, ext in _SOUNDS:
        if data.startswith(magic):
            return content_type, ext
    return None


def store_question_file(bank, original_name: str, data: bytes) -> QuestionFile | None:
    """Store one picture or sound for a bank (deduplicated by content); None when it is not allowed."""
    if not data or len(data) > MAX_FILE_BYTES:
        return None
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(QuestionFile).where(QuestionFile.bank_id == bank.id,
                                                            QuestionFile.sha256 == digest))
    if existing is not None:
        return existing
    sound = sniff_sound(data)
    if sound is not None:
        content_type, ext = sound
        key = new_key("questions/sound", ext)
        get_storage().put(key, data)
        size = len(data)
    else:
        try:
            stored = uploads.store_stream(io.BytesIO(data), original_name or "picture", {"image"}, prefix="questions")
        except (uploads.UploadRefused, uploads.UploadTooLarge):
            return None
        key, content_type, size = stored.key, stored.mime, stored.size
        for derivative in stored.derivatives.values():
            get_storage().delete(derivative.key)  # questions show the picture itself; no thumbnail to keep
    # sha256 of the bytes as they came, so that the same source file is recognised on the next import.
    record = QuestionFile(bank_id=bank.id, storage_key=key, original_name=(original_name or "")[:255],
                          content_type=content_type, size=size, sha256=digest)
    db.session.add(record)
    db.session.flush()
    return record
